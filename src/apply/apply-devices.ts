/**
 * Moves and configures the devices, phase by phase for all devices at once so
 * each phase is one batched netlink send. Every change registers its undo in
 * the transaction as soon as the kernel acknowledged it.
 *
 * Order: move (+rename), carried-over addresses, the interface's scalar fields
 * (MAC, MTU, GSO/GRO sizes, ...: apply-interface.ts),
 * per-interface settings, VRF (create, enslave), addresses, ethtool, up, DHCP lease,
 * routes, rules, neighbors, SLAAC wait. Routes need the addresses and the link up.
 */
import type { Cidr, DeviceSpec } from '../config/model.js';
import { formatIp } from '../config/ip.js';
import { wantsEthtool } from '../ethtool/plan.js';
import { type Addr, type AddrOptions, addrAdd, addrDel } from '../netlink/addr.js';
import { RTNL } from '../netlink/constants.js';
import { type Link, linkGet, linkList, linkSetNs, linkSetUp } from '../netlink/link.js';
import { type Route, routeAdd, routeDel, routeList, routeReplace, type RouteInput } from '../netlink/route.js';
import { NetlinkError } from '../netlink/message.js';
import type { NetlinkSocket, Request } from '../netlink/socket.js';
import { type DeviceIdentity, identifies, identityOf } from '../state/identity.js';
import { type AddressingEnv, applyDhcp, awaitSlaac } from './apply-addressing.js';
import { applyInterfaceFields } from './apply-interface.js';
import { applyRulesAndNeighbors } from './apply-rules.js';
import { applyVrfs } from './apply-vrf.js';
import { createIpvlanChildren, isIpvlan, placeIpvlanChild } from './ipvlan-child.js';
import { applySysctls } from './apply-sysctls.js';
import { type DeviceTarget, type NamespaceView, PER_DEVICE_READS, findMoved, movedAsNamed } from './inspect.js';
import { type ProcSys, procSysIn } from './proc-sys.js';
import { type HostExtras, saveAddress, snapshotHost } from './host-original.js';
import type { DeviceRecord, HostOriginal, Loss } from '../state/device-record.js';
import { bringHome } from './bring-home.js';
import { linkIfPresent } from './host-names.js';
import { addOrder, addressOptions, type HomeOptions } from './restore.js';
import type { DhcpLease } from '../dhcp/lease.js';
import type { Transaction } from './transaction.js';

export interface ApplyEnv {
  host: NetlinkSocket;
  ctr: NetlinkSocket;
  hostNetnsFd: number;
  ctrNetnsFd: number;
  /** nsfs inodes of both netns: part of each device's identity. */
  hostNetnsIno: number;
  ctrNetnsIno: number;
  tx: Transaction;
  /** Applies ethtool settings to the container-side link; records originals it changed. */
  ethtool?: (target: Placed, tx: Transaction) => void;
  /** Called with every device's host snapshot and identity before the first move (the crash journal). */
  beforeMove?: (originals: ReadonlyMap<string, HostOriginal>, identities: ReadonlyMap<string, DeviceIdentity>) => void;
  /** Called with each DHCP lease as soon as it is obtained (the crash journal records it for recovery's DHCPRELEASE). */
  onLease?: (hostName: string, lease: DhcpLease) => void;
  /** Awaited between phases and move chunks: where signals and the deadline get their turn. */
  checkpoint?: () => Promise<void>;
  /** The container netns' /proc/sys/net (default: opened through ctrNetnsFd by the native shim). */
  procSys?: ProcSys;
  /** Reads what the snapshot needs beyond rtnetlink (ethtool, IPv6 settings) for a host device. */
  hostExtras?: (link: Link) => HostExtras;
  /** How a device comes home when a move is undone (ethtool session, IPv6 settings). */
  home?: HomeOptions;
  /** Where an undone move reports what it could not restore. */
  losses?: Loss[];
  /** DHCP transport and timing, SLAAC wait (tests); defaults in apply-addressing.ts. */
  addressing?: Pick<AddressingEnv, 'dhcpTransport' | 'dhcpTiming' | 'slaacTimeoutMs'>;
}

/** Moves are serialised by the kernel (~17 ms each): chunks keep a signal's wait short. */
const MOVE_CHUNK = 16;

/** A device and where it now lives in the container. */
export interface Placed {
  spec: DeviceSpec;
  link: Link;
  original: HostOriginal;
  movedByRuntime: boolean;
  identity: DeviceIdentity;
  /** Addresses already on the link once in the container (carried over or set by the runtime). */
  present: Set<string>;
  /** The DHCP lease applied to it (addressing DHCP). */
  lease?: DhcpLease;
  /** Not the host device but a child of it made for the container (type IPVLAN). */
  child?: 'ipvlan';
}

const addrKey = (bytes: Uint8Array, prefixLength: number): string => `${formatIp(bytes)}/${prefixLength}`;

export async function applyDevices(env: ApplyEnv, targets: readonly DeviceTarget[], hostView: NamespaceView, ctrView: NamespaceView): Promise<DeviceRecord[]> {
  const { tx, ctr } = env;
  const raw = env.checkpoint ?? (async () => undefined);
  // Between phases: a checkpoint after a phase that changed nothing would start the very rollback
  // the previous one could have (and a signal waits at most one phase's planning). Waits (DHCP,
  // SLAAC) keep the raw one; the caller's own checkpoint before the commit always runs.
  let seen = -1;
  const checkpoint = async (): Promise<void> => {
    if (tx.stepsStarted === seen) return;
    seen = tx.stepsStarted;
    await raw();
  };
  const placed = await moveAll(env, targets, hostView, ctrView, checkpoint);
  await checkpoint();

  // Permanent global-scope addresses travel with the device (runtime-spec v1.3.0); the move flushed them.
  tx.batch(ctr, 'carry over host addresses', placed.flatMap((p) => addOrder(carried(p, hostView)).map((a) => {
    // Every attribute the host had (peer, broadcast, flags, metric, proto); the label follows the rename.
    const saved = saveAddress(a);
    const label = a.label !== undefined ? renamedLabel(a.label, p.original.name, p.link.name) : undefined;
    return addressItem(ctr, p, a.bytes, a.family, a.prefixLength, addressOptions(saved, label));
  })));

  await applyInterfaceFields(ctr, tx, placed, checkpoint);
  await checkpoint();
  applySysctls(ctr, tx, env.procSys ?? procSysIn(env.ctrNetnsFd), placed);
  await checkpoint();
  applyVrfs(ctr, tx, placed);
  await checkpoint();
  tx.batch(ctr, 'add address', placed.flatMap((p) => p.spec.addresses.filter((a) => !p.present.has(addrKey(a.bytes, a.prefixLength))).map((a) => addressItem(ctr, p, a.bytes, a.family, a.prefixLength))));

  await checkpoint();
  if (env.ethtool !== undefined) for (const p of placed) if (wantsEthtool(p.spec)) env.ethtool(p, tx);

  await checkpoint();
  tx.batch(ctr, 'set link up', placed.filter((p) => !p.link.up).map((p) => ({
    device: p.spec.hostName, request: linkSetUp(p.link.index, true), undo: () => ctr.run(linkSetUp(p.link.index, false)),
  })));
  await checkpoint();
  const addressing: AddressingEnv = { ctr, ctrNetnsFd: env.ctrNetnsFd, tx, checkpoint: raw, ...env.addressing, ...(env.onLease !== undefined ? { onLease: env.onLease } : {}) };
  await applyDhcp(addressing, placed);
  await checkpoint();
  // A route to a destination the kernel already routes (the prefix route of an address on the same
  // subnet, as in DraNet's examples) replaces it, like `ip route replace`; its undo puts the old one back.
  const existing = placed.some((p) => p.spec.routes.length > 0) ? ctr.run(routeList()) : [];
  tx.batch(ctr, 'add route', placed.flatMap((p) => p.spec.routes.map((r) => {
    const input = routeInput(r, p.link.index);
    const text = routeText(r);
    const old = existing.find((e) => sameDestination(e, input));
    const undo = (): void => {
      ignoring(['ESRCH'], () => ctr.run(routeDel(input, text)));
      if (old !== undefined) ignoring(['EEXIST', 'ENETUNREACH', 'ENODEV'], () => ctr.run(routeAdd(old, `${text} (previous route)`)));
    };
    return { device: p.spec.hostName, request: old === undefined ? routeAdd(input, text) : routeReplace(input, text), undo };
  })));
  await checkpoint();
  applyRulesAndNeighbors(ctr, tx, placed);
  await awaitSlaac(addressing, placed);

  return placed.map((p) => ({
    hostName: p.spec.hostName,
    containerName: p.link.name,
    containerIndex: p.link.index,
    movedByRuntime: p.movedByRuntime,
    original: p.original,
    identity: p.identity,
    ...(p.lease !== undefined ? { dhcpLease: p.lease } : {}),
    ...(p.child !== undefined ? { child: p.child } : {}),
  }));
}

/** Moves every host device into the container netns (renaming it on the way) and finds it there by identity. */
async function moveAll(env: ApplyEnv, targets: readonly DeviceTarget[], hostView: NamespaceView, ctrView: NamespaceView, checkpoint: () => Promise<void>): Promise<Placed[]> {
  const { tx, host, ctr } = env;
  const toMove = targets.filter((t) => t.hostLink !== undefined && !isIpvlan(t));
  const beforeIdx = new Set(ctrView.links.map((l) => l.index));
  const originals = new Map(toMove.map((t) => [t.spec.hostName, snapshotHost(t.hostLink!, hostView, env.hostExtras?.(t.hostLink!))]));
  const identities = new Map(toMove.map((t) => {
    const id = identityOf(t.hostLink!, env.hostNetnsIno, env.ctrNetnsIno);
    if (t.spec.hardwareAddr !== undefined) id.containerMac = t.spec.hardwareAddr;
    return [t.spec.hostName, id];
  }));

  // The undo looks the device up by identity when it runs: its container ifindex and name are
  // only known after the move, and a refused rename leaves it under its host name.
  const undoMove = (t: DeviceTarget): void => {
    const id = identities.get(t.spec.hostName)!;
    const link = findMoved(id, beforeIdx, ctr.run(linkList()));
    if (link === undefined) {
      if (stillOnHost(host, t.hostLink!.index, id)) return; // never moved: nothing to undo
      throw new Error(`cannot identify ${t.spec.hostName} in the container netns (ifindex ${id.hostIndex}${id.mac !== undefined ? `, MAC ${id.mac}` : ''}) to move it back`);
    }
    // The same way home as a teardown's: a rollback restores the same complete state.
    const home = bringHome(ctr, host, env.hostNetnsFd, link, originals.get(t.spec.hostName)!, id, env.home);
    env.losses?.push(...home.losses);
  };
  const moveChunk = (chunk: DeviceTarget[]): void => {
    tx.batch(host, 'move to container netns', chunk.map((t) => ({
      device: t.spec.hostName,
      request: linkSetNs({ index: t.hostLink!.index }, env.ctrNetnsFd, t.containerName),
      undo: () => undoMove(t),
      // The kernel moves first and renames after: a failed rename leaves the device moved.
      onFailure: () => {
        if (!stillOnHost(host, t.hostLink!.index, identities.get(t.spec.hostName)!)) tx.registerUndo({ device: t.spec.hostName, what: 'move to container netns (partial)', run: () => undoMove(t) });
      },
    })));
  };
  env.beforeMove?.(originals, identities);
  for (let i = 0; i < toMove.length; i += MOVE_CHUNK) {
    if (i > 0) await checkpoint();
    moveChunk(toMove.slice(i, i + MOVE_CHUNK));
  }

  createIpvlanChildren(host, ctr, env.ctrNetnsFd, tx, targets);
  const claimed = new Set(beforeIdx);
  const named = movedByName(ctr, toMove, identities, claimed);
  let dump: Link[] | undefined;
  const after = (): Link[] => (dump ??= toMove.length > 0 || targets.some(isIpvlan) ? ctr.run(linkList()) : ctrView.links);
  const placed: Placed[] = [];
  for (const t of targets) {
    if (isIpvlan(t)) {
      placed.push(placeIpvlanChild(t, after(), claimed, ctrView, env.ctrNetnsIno));
      continue;
    }
    if (t.containerLink !== undefined) {
      placed.push({
        spec: t.spec, link: t.containerLink, movedByRuntime: true, original: snapshotHost(t.containerLink, ctrView),
        identity: { ...identityOf(t.containerLink, env.ctrNetnsIno, env.ctrNetnsIno), containerIndex: t.containerLink.index },
        present: new Set(ctrView.addrs.filter((a) => a.index === t.containerLink!.index).map((a) => addrKey(a.bytes, a.prefixLength))),
      });
      continue;
    }
    const id = identities.get(t.spec.hostName)!;
    const link = named?.get(t.spec.hostName) ?? findMoved(id, claimed, after());
    if (link === undefined || link.name !== t.containerName) throw new Error(`device ${t.spec.hostName} moved but was not found in the container netns as ${t.containerName}`);
    claimed.add(link.index);
    id.containerIndex = link.index;
    placed.push({ spec: t.spec, link, movedByRuntime: false, original: originals.get(t.spec.hostName)!, identity: id, present: new Set() });
  }
  return placed;
}

/**
 * The moved devices got by the names the move gave them, one get each in one batch, when every one
 * of them is the link a whole dump would have found (movedAsNamed); undefined otherwise, or past
 * PER_DEVICE_READS devices, where one dump is cheaper; a refusal other than ENODEV throws.
 * A get is one link to decode, not the whole netns.
 */
function movedByName(ctr: NetlinkSocket, toMove: readonly DeviceTarget[], identities: ReadonlyMap<string, DeviceIdentity>, claimed: ReadonlySet<number>): Map<string, Link> | undefined {
  if (toMove.length === 0 || toMove.length > PER_DEVICE_READS) return undefined;
  const got = ctr.runBatch(toMove.map((t) => linkGet({ name: t.containerName })));
  // No such name (ENODEV) leaves it to the dump; any other refusal is the kernel's answer, as a dump's would be.
  for (const o of got) if (!o.ok && o.error.code !== 'ENODEV') throw o.error;
  const out = new Map<string, Link>();
  for (const [i, t] of toMove.entries()) {
    const o = got[i]!;
    const link = o.ok && o.value.name === t.containerName ? movedAsNamed(identities.get(t.spec.hostName)!, claimed, o.value) : undefined;
    if (link === undefined) return undefined;
    out.set(t.spec.hostName, link);
  }
  return out;
}

/**
 * Is the device still in the host netns (its move never happened)? When the host cannot even be
 * read, it is taken to have moved: the undo then looks for it in the container, and says so if it is in neither.
 */
function stillOnHost(host: NetlinkSocket, index: number, id: DeviceIdentity): boolean {
  try {
    const link = linkIfPresent(host, { index });
    return link !== undefined && identifies(link, id, 'host');
  } catch {
    return false;
  }
}

function carried(p: Placed, hostView: NamespaceView): Addr[] {
  if (p.movedByRuntime || p.child !== undefined) return [];
  return hostView.addrs.filter((a) => a.index === p.original.index && (a.flags & RTNL.IFA_F_PERMANENT) !== 0 && a.scope === RTNL.RT_SCOPE_UNIVERSE);
}

/**
 * An address label after the device's rename, as the kernel's own rename rewrites it: the name
 * part replaced, a `:suffix` kept (the name cut short when both do not fit in IFNAMSIZ-1 bytes).
 */
export function renamedLabel(label: string, from: string, to: string): string {
  if (label === from || !label.startsWith(`${from}:`)) return label === from ? to : label;
  const suffix = label.slice(from.length);
  const room = 15 - Buffer.byteLength(suffix);
  return room >= Buffer.byteLength(to) ? `${to}${suffix}` : `${Buffer.from(to).subarray(0, Math.max(0, room)).toString('utf8')}${suffix}`;
}

/** `opts` absent: an address the spec asks for (nodad for IPv6); given: a carried host address as it was. */
function addressItem(ctr: NetlinkSocket, p: Placed, bytes: Uint8Array, family: 4 | 6, prefixLength: number, opts?: AddrOptions): { device: string; request: Request<void>; undo: () => void } {
  const key = addrKey(bytes, prefixLength);
  p.present.add(key);
  const a = { family, bytes, prefixLength };
  // nodad: a container interface's IPv6 address must be usable at once (routes via it, the app's bind).
  const o = opts ?? { flags: family === 6 ? RTNL.IFA_F_NODAD : 0 };
  // The link going down (an earlier undo) already drops IPv6 addresses: gone is what the undo wants.
  return { device: p.spec.hostName, request: addrAdd(p.link.index, a, { ...o, text: key }), undo: () => ignoring(['EADDRNOTAVAIL'], () => ctr.run(addrDel(p.link.index, a, key, o.peer))) };
}

/** Runs an undo action; a refusal that means "already undone" is not a failure. */
function ignoring(codes: readonly string[], action: () => void): void {
  try {
    action();
  } catch (e) {
    if (!(e instanceof NetlinkError && codes.includes(e.code))) throw e;
  }
}

function sameDestination(r: Route, want: RouteInput): boolean {
  return r.table === (want.table ?? RTNL.RT_TABLE_MAIN) && r.family === want.family && r.dstLength === want.dstLength && r.type === RTNL.RTN_UNICAST
    && Buffer.compare(Buffer.from(r.dst), Buffer.from(want.dst)) === 0 && (r.priority ?? 0) === 0;
}

function routeInput(r: DeviceSpec['routes'][number], oif: number): RouteInput {
  const input: RouteInput = { family: r.destination.family, dst: networkBytes(r.destination), dstLength: r.destination.prefixLength, scope: r.scope, oif, table: r.table };
  if (r.gateway !== undefined) input.gateway = r.gateway.bytes;
  if (r.source !== undefined) input.prefSrc = r.source.bytes;
  return input;
}

function networkBytes(c: Cidr): Uint8Array {
  const out = Uint8Array.from(c.bytes);
  for (let i = 0; i < out.length; i++) {
    const bits = Math.max(0, Math.min(8, c.prefixLength - i * 8));
    out[i]! &= (0xff << (8 - bits)) & 0xff;
  }
  return out;
}

function routeText(r: DeviceSpec['routes'][number]): string {
  return `${r.destination.text}/${r.destination.prefixLength}${r.gateway !== undefined ? ` via ${r.gateway.text}` : ''}${r.scope === 253 ? ' scope link' : ''}${r.table !== RTNL.RT_TABLE_MAIN ? ` table ${r.table}` : ''}`;
}
