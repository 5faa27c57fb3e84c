/**
 * Putting a device back on the host as it left: used by the undo of a move,
 * by the poststop teardown and by crash recovery (one code path).
 *
 * Before the move home (wherever the link is): down, every link attribute of
 * the table (link-attributes.ts) back, altnames the container added (or that
 * a host device took meanwhile) removed, since the kernel refuses to move a
 * device whose altname is taken in the target netns. After: the host's
 * altnames, its IPv4/IPv6 settings (a move resets them to the netns'
 * defaults), its ethtool state, its addresses with every attribute (finite
 * lifetimes count down from the snapshot), its up state, then its routes in
 * every table, in an order that works (onlink and direct ones let gateway
 * ones through), after DAD of any tentative source address (bounded).
 *
 * Only the move can fail the whole: every other step that fails is a Loss,
 * and the steps after it still run.
 */
import type { HostOriginal, Loss, SavedAddress, SavedRoute } from '../state/device-record.js';
import { fromB64 } from './host-original.js';
import { type NameTaken, takenIn } from './host-names.js';
import { type Ipv6Conf, procIpv6Conf } from './host-extras.js';
import { linkStateRequests } from './link-attributes.js';
import type { EthtoolSession } from '../ethtool/session.js';
import { type AddrOptions, addrAdd, addrList } from '../netlink/addr.js';
import { ERRNO, RTNL, RTNL3 } from '../netlink/constants.js';
import { linkSetInetConf } from '../netlink/inet-conf.js';
import { type Link, linkAltname, linkGet, linkSetNs, linkSetUp } from '../netlink/link.js';
import { type RouteInput, routeAdd, routeReplace } from '../netlink/route.js';
import type { NetlinkSocket, Request } from '../netlink/socket.js';

/** How long a restored route waits for its tentative IPv6 source address to pass DAD. */
export const DAD_WAIT_MS = 3000;

export interface HomeOptions {
  /** A host-side ethtool session (opened on first use). */
  ethtool?: () => EthtoolSession;
  ipv6Conf?: Ipv6Conf;
  dadWaitMs?: number;
  /** Clock for lifetimes (ms since the epoch). */
  now?: () => number;
  /** net.ipv6.conf.default, read on first use and kept for every device of this teardown. */
  ipv6Defaults?: Record<string, string>;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs each request on its own outcome; the failures become losses (EEXIST: already there). */
function runEach(sock: NetlinkSocket, device: string, items: ReadonlyArray<{ what: string; request: Request<void> }>, losses: Loss[]): void {
  if (items.length === 0) return;
  sock.runBatch(items.map((i) => i.request)).forEach((o, k) => {
    if (!o.ok && Math.abs(o.error.errno) !== ERRNO.EEXIST) losses.push({ device, what: items[k]!.what, why: o.error.message });
  });
}

/**
 * Down, the table's link attributes back, and the altnames cleared that would stop the move
 * home or are not the host's. Runs on the socket of the netns the link is in.
 */
export function prepareForHome(sock: NetlinkSocket, link: Link, original: HostOriginal, taken: NameTaken): Loss[] {
  const losses: Loss[] = [];
  const device = original.name;
  const items: Array<{ what: string; request: Request<void> }> = [];
  if (link.up) items.push({ what: 'down', request: linkSetUp(link.index, false) });
  items.push(...linkStateRequests(link, original));
  const mine = new Set(original.altnames ?? []);
  for (const a of link.altnames ?? []) {
    if (!mine.has(a)) items.push({ what: `altname ${a} (the container's)`, request: linkAltname(link.index, a, false) });
    else if (taken(a)) {
      items.push({ what: `altname ${a}`, request: linkAltname(link.index, a, false) });
      losses.push({ device, what: `altname ${a}`, why: 'the name is taken on the host' });
    }
  }
  runEach(sock, device, items, losses);
  return losses;
}

/**
 * Moves the link at `containerIndex` home as `name` (throws when the kernel refuses), then
 * restores the rest of the host state; returns what could not be restored.
 */
export function moveHome(ctr: NetlinkSocket, host: NetlinkSocket, hostNetnsFd: number, containerIndex: number, original: HostOriginal, name: string = original.name, opts: HomeOptions = {}): Loss[] {
  ctr.run(linkSetNs({ index: containerIndex }, hostNetnsFd, name));
  const link = host.run(linkGet({ name }));
  return restoreHostConfig(host, link, original, opts);
}

/** Everything after the move, on the host: altnames, IPv4/IPv6 settings, ethtool, addresses, up, routes. */
export function restoreHostConfig(host: NetlinkSocket, link: Link, original: HostOriginal, opts: HomeOptions = {}): Loss[] {
  const losses: Loss[] = [];
  const device = original.name;
  const step = (what: string, fn: () => void): void => {
    try {
      fn();
    } catch (e) {
      losses.push({ device, what, why: message(e) });
    }
  };
  const items: Array<{ what: string; request: Request<void> }> = [];
  const has = new Set(link.altnames ?? []);
  const taken = takenIn(host, link.index);
  for (const a of original.altnames ?? []) {
    if (has.has(a)) continue;
    if (taken(a)) losses.push({ device, what: `altname ${a}`, why: 'the name is taken on the host' });
    else items.push({ what: `altname ${a}`, request: linkAltname(link.index, a, true) });
  }
  const v4 = inet4Diff(link, original);
  if (v4.size > 0) items.push({ what: 'IPv4 settings (net.ipv4.conf)', request: linkSetInetConf(link.index, v4, `net.ipv4.conf.${link.name}.*`) });
  runEach(host, device, items, losses);
  if (original.ipv6Conf !== undefined) restoreIpv6Conf(link.name, original.ipv6Conf, opts.ipv6Conf ?? procIpv6Conf, opts, device, losses);
  step('ethtool settings', () => restoreEthtool(link.index, original, opts.ethtool, device, losses));

  restoreAddresses(host, link, original, opts.now ?? Date.now, losses);
  if (original.up && !link.up) runEach(host, device, [{ what: 'up', request: linkSetUp(link.index, true) }], losses);
  step('wait for DAD', () => waitForDad(host, link.index, original.routes, opts.dadWaitMs ?? DAD_WAIT_MS));
  restoreRoutes(host, link.index, original, losses);
  return losses;
}

function inet4Diff(link: Link, original: HostOriginal): Map<number, number> {
  const out = new Map<number, number>();
  if (original.ipv4Conf === undefined || link.ipv4Conf === undefined) return out;
  for (const [k, v] of Object.entries(original.ipv4Conf)) {
    const i = Number(k);
    if (link.ipv4Conf.get(i) !== v) out.set(i, v);
  }
  return out;
}

/**
 * disable_ipv6 first (it decides whether the others apply), then the rest by name. A move gave
 * the device the netns' `default` values (read once per teardown): only the files whose saved
 * value differs from those are read on the device, and written when they differ.
 */
function restoreIpv6Conf(dev: string, saved: Readonly<Record<string, string>>, io: Ipv6Conf, opts: HomeOptions, device: string, losses: Loss[]): void {
  const defaults = (opts.ipv6Defaults ??= io.read('default') ?? {});
  const keys = Object.keys(saved).filter((k) => defaults[k] !== saved[k]).sort((a, b) => (a === 'disable_ipv6' ? -1 : b === 'disable_ipv6' ? 1 : a < b ? -1 : 1));
  for (const k of keys) {
    const now = io.readOne(dev, k);
    if (now === undefined || now === saved[k]) continue;
    try {
      io.write(dev, k, saved[k]!);
    } catch (e) {
      losses.push({ device, what: `net.ipv6.conf.${dev}.${k}`, why: message(e) });
    }
  }
}

function restoreEthtool(index: number, original: HostOriginal, ethtool: (() => EthtoolSession) | undefined, device: string, losses: Loss[]): void {
  const wanted = { ...original.features, ...original.featuresAll };
  const flags = { ...original.privateFlags, ...original.privateFlagsAll };
  if (Object.keys(wanted).length === 0 && Object.keys(flags).length === 0) return;
  if (ethtool === undefined) {
    losses.push({ device, what: 'ethtool settings', why: 'no ethtool session' });
    return;
  }
  const s = ethtool();
  if (Object.keys(wanted).length > 0) {
    const now = s.features(index);
    const changes: Record<string, boolean> = {};
    for (const [k, v] of Object.entries(wanted)) if (now.known.has(k) && now.wanted.get(k) !== v) changes[k] = v;
    if (Object.keys(changes).length > 0) {
      try {
        s.setFeatures(index, changes);
      } catch (e) {
        losses.push({ device, what: `ethtool features ${Object.keys(changes).join(',')}`, why: message(e) });
      }
    }
  }
  if (Object.keys(flags).length > 0) {
    try {
      s.setPrivateFlags(index, flags);
    } catch (e) {
      losses.push({ device, what: 'ethtool private flags', why: message(e) });
    }
  }
}

/** The IFA_F_* bits an address is created with; the others (secondary, permanent, tentative, deprecated...) the kernel derives. */
const SETTABLE = (): number => RTNL.IFA_F_NODAD | RTNL3.IFA_F_OPTIMISTIC | RTNL3.IFA_F_HOMEADDRESS | RTNL3.IFA_F_MANAGETEMPADDR | RTNL3.IFA_F_NOPREFIXROUTE | RTNL3.IFA_F_MCAUTOJOIN;

/** The kernel's options for re-creating a saved address; `label` overrides its label (a rename). */
export function addressOptions(a: SavedAddress, label?: string): AddrOptions {
  const o: AddrOptions = { scope: a.scope, flags: a.flags & SETTABLE(), text: a.text };
  if (a.peer !== undefined) o.peer = fromB64(a.peer);
  if (a.broadcast !== undefined) o.broadcast = fromB64(a.broadcast);
  const l = label ?? a.label;
  if (l !== undefined && a.family === 4) o.label = l;
  if (a.metric !== undefined) o.metric = a.metric;
  if (a.proto !== undefined) o.proto = a.proto;
  return o;
}

/** What is left of a lifetime `elapsed` seconds later; undefined when the address is gone (expired). */
export function remainingLifetime(l: SavedAddress['lifetime'], elapsedSeconds: number): AddrOptions['lifetime'] | 'expired' | undefined {
  if (l === undefined) return undefined;
  const inf = RTNL3.IFA_INFINITY_LIFETIME;
  const left = (v: number): number => (v === inf ? inf : Math.max(0, v - elapsedSeconds));
  const valid = left(l.valid);
  if (valid === 0) return 'expired';
  return { preferred: Math.min(left(l.preferred), valid), valid };
}

/**
 * The order to add addresses in so the kernel lists them as the dump did: IPv4 keeps insertion
 * order (the first of a subnet is its primary), IPv6 lists the newest first within a scope.
 */
export function addOrder<T extends { family: 4 | 6 }>(addrs: readonly T[]): T[] {
  return [...addrs.filter((a) => a.family === 4), ...addrs.filter((a) => a.family === 6).reverse()];
}

function addrKey(family: number, bytes: Uint8Array, prefixLength: number, peer: Uint8Array | undefined): string {
  return `${family}/${Buffer.from(bytes).toString('hex')}/${prefixLength}/${peer !== undefined ? Buffer.from(peer).toString('hex') : ''}`;
}

function restoreAddresses(host: NetlinkSocket, link: Link, original: HostOriginal, now: () => number, losses: Loss[]): void {
  const device = original.name;
  const present = new Set(host.run(addrList()).filter((a) => a.index === link.index).map((a) => addrKey(a.family, a.bytes, a.prefixLength, a.peer)));
  const elapsed = original.takenAt !== undefined ? Math.max(0, Math.floor((now() - original.takenAt) / 1000)) : 0;
  const items: Array<{ what: string; request: Request<void> }> = [];
  for (const a of addOrder(original.addresses)) {
    const bytes = fromB64(a.bytes);
    if (present.has(addrKey(a.family, bytes, a.prefixLength, a.peer !== undefined ? fromB64(a.peer) : undefined))) continue;
    const o = addressOptions(a);
    const life = remainingLifetime(a.lifetime, elapsed);
    if (life === 'expired') {
      losses.push({ device, what: `address ${a.text}`, why: `its lifetime (${a.lifetime!.valid} s) ran out while the device was away` });
      continue;
    }
    if (life !== undefined) o.lifetime = life;
    items.push({ what: `address ${a.text}`, request: addrAdd(link.index, { family: a.family, bytes, prefixLength: a.prefixLength }, o) });
  }
  runEach(host, device, items, losses);
}

/** Waits (bounded) until no IPv6 source address a route names is tentative, when DAD can run at all. */
function waitForDad(host: NetlinkSocket, index: number, routes: readonly SavedRoute[], maxMs: number): void {
  const sources = new Set(routes.filter((r) => r.family === 6 && r.prefSrc !== undefined).map((r) => Buffer.from(fromB64(r.prefSrc!)).toString('hex')));
  if (sources.size === 0) return;
  const running = (host.run(linkGet({ index })).flags & RTNL3.IFF_RUNNING) !== 0;
  if (!running) return; // no carrier: DAD waits for it, and so would we, for nothing
  const deadline = Date.now() + maxMs;
  for (;;) {
    const tentative = host.run(addrList()).some((a) => a.index === index && a.family === 6 && (a.flags & RTNL3.IFA_F_TENTATIVE) !== 0 && sources.has(Buffer.from(a.bytes).toString('hex')));
    if (!tentative || Date.now() >= deadline) return;
    sleepMs(50);
  }
}

export function routeInputOf(r: SavedRoute, originalIndex: number, index: number): RouteInput {
  const input: RouteInput = { family: r.family, dst: fromB64(r.dst), dstLength: r.dstLength, scope: r.scope, oif: index };
  if (r.gateway !== undefined) input.gateway = fromB64(r.gateway);
  if (r.prefSrc !== undefined) input.prefSrc = fromB64(r.prefSrc);
  if (r.table !== undefined) input.table = r.table;
  if (r.protocol !== undefined) input.protocol = r.protocol;
  if (r.type !== undefined) input.type = r.type;
  if (r.priority !== undefined) input.priority = r.priority;
  if (r.flags !== undefined) input.flags = r.flags;
  if (r.pref !== undefined) input.pref = r.pref;
  if (r.metrics !== undefined) input.metrics = fromB64(r.metrics);
  if (r.nexthops !== undefined) {
    input.nexthops = r.nexthops.map((n) => ({ oif: n.oif === originalIndex ? index : n.oif, flags: n.flags, hops: n.hops, ...(n.gateway !== undefined ? { gateway: fromB64(n.gateway) } : {}) }));
  }
  return input;
}

/**
 * Adds the routes, again and again while some succeed: a gateway route waits for the route
 * that makes its gateway reachable, whatever order the snapshot listed them in.
 */
function restoreRoutes(host: NetlinkSocket, index: number, original: HostOriginal, losses: Loss[]): void {
  const device = original.name;
  let pending: Array<{ what: string; request: Request<void> }> = [];
  for (const r of original.routes) {
    if (r.nhId !== undefined) {
      losses.push({ device, what: `route ${r.text}`, why: `it used nexthop object ${r.nhId}, which the kernel deleted with the device's move; nexthop objects are not restored` });
      continue;
    }
    const input = routeInputOf(r, original.index, index);
    // A multipath route may have kept its other next hops (IPv6): it is replaced whole.
    pending.push({ what: `route ${r.text}`, request: input.nexthops !== undefined ? routeReplace(input, r.text) : routeAdd(input, r.text) });
  }
  let last: Array<{ what: string; error: string }> = [];
  while (pending.length > 0) {
    const outcomes = host.runBatch(pending.map((p) => p.request));
    const failed: typeof pending = [];
    last = [];
    outcomes.forEach((o, k) => {
      if (o.ok || Math.abs(o.error.errno) === ERRNO.EEXIST) return;
      failed.push(pending[k]!);
      last.push({ what: pending[k]!.what, error: o.error.message });
    });
    if (failed.length === pending.length) break;
    pending = failed;
  }
  if (pending.length > 0) for (const l of last) losses.push({ device, what: l.what, why: l.error });
}
