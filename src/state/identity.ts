/**
 * Who a device is, independent of its name: recorded when it is claimed and
 * checked before any undo, teardown, recovery or claim decision touches a
 * device. A name is only a hint; another device may carry it by then.
 *
 * What survives a move into another netns: the permanent MAC (IFLA_PERM_ADDRESS,
 * where the driver has one), the link kind, a veth's peer ifindex (the peer
 * stays put) and the MAC (unless we set one; both are accepted). The ifindex
 * survives too unless it is taken in the target netns; it is recorded at
 * each stage, with the inode of the netns the device is in.
 */
import { statSync } from 'node:fs';
import type { Link } from '../netlink/link.js';
import { StateParseError } from './records.js';

export interface DeviceIdentity {
  /** ifindex in the host netns when claimed. */
  hostIndex: number;
  /** Inode of the host netns (nsfs). */
  hostNetns: number;
  kind?: string;
  permMac?: string;
  /** MAC on the host when claimed. */
  mac?: string;
  /** veth: the peer's ifindex (IFLA_LINK). */
  peerIndex?: number;
  /** Inode of the container netns the device is moved into. */
  containerNetns?: number;
  /** ifindex in the container netns, once there. */
  containerIndex?: number;
  /** MAC set in the container (networkConfig hardwareAddr). */
  containerMac?: string;
}

/** The nsfs inode of a netns path (/proc/<pid>/ns/net, a pin); undefined when it cannot be read. */
export function netnsInode(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

/** The identity of a host link as claimed. */
export function identityOf(link: Link, hostNetns: number, containerNetns?: number): DeviceIdentity {
  const id: DeviceIdentity = { hostIndex: link.index, hostNetns };
  if (link.kind !== undefined) id.kind = link.kind;
  if (link.permMac !== undefined) id.permMac = link.permMac;
  if (link.mac !== undefined) id.mac = link.mac;
  if (link.kind === 'veth' && link.link !== undefined && link.link > 0) id.peerIndex = link.link;
  if (containerNetns !== undefined) id.containerNetns = containerNetns;
  return id;
}

/**
 * Is `link`, seen in the netns `where`, the device `id`? Everything recorded
 * that survives a move must agree; the ifindex must agree where it is known
 * for that stage ('host': the host ifindex; 'container': the container one,
 * when recorded).
 */
export function identifies(link: Link, id: DeviceIdentity, where: 'host' | 'container'): boolean {
  if ((link.kind ?? '') !== (id.kind ?? '')) return false;
  if (id.permMac !== undefined && link.permMac !== id.permMac) return false;
  if (id.peerIndex !== undefined && link.link !== id.peerIndex) return false;
  const macs = [id.mac, id.containerMac].filter((m): m is string => m !== undefined);
  if (macs.length > 0 && (link.mac === undefined || !macs.includes(link.mac))) return false;
  if (where === 'host') return link.index === id.hostIndex;
  if (id.containerIndex !== undefined) return link.index === id.containerIndex;
  // Before the container ifindex was recorded (a crash mid-apply): only what survives a move.
  // A device that has neither a permanent MAC, a peer nor a MAC cannot be told apart by them.
  return id.permMac !== undefined || id.peerIndex !== undefined || macs.length > 0;
}

/** The one link of `links` that is the device, or undefined (none, or more than one candidate). */
export function findByIdentity(links: readonly Link[], id: DeviceIdentity, where: 'host' | 'container'): Link | undefined {
  const hits = links.filter((l) => identifies(l, id, where));
  if (hits.length <= 1) return hits[0];
  // Several candidates without a recorded container ifindex: the kept host ifindex decides, or nobody.
  return where === 'container' ? hits.find((l) => l.index === id.hostIndex) : undefined;
}

type Obj = Record<string, unknown>;

function fail(path: string, what: string): never {
  throw new StateParseError(`${path}: ${what}`);
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){0,31}$/;

function idx(o: Obj, k: string, path: string, required: boolean): number | undefined {
  const v = o[k];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 0xffffffff) fail(`${path}.${k}`, 'must be a positive integer');
  return v;
}

function mac(o: Obj, k: string, path: string): string | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !MAC.test(v)) fail(`${path}.${k}`, 'must be a lower-case colon MAC');
  return v;
}

/** Strict parser for the `identity` of a record's device. */
export function parseIdentity(v: unknown, path: string): DeviceIdentity {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'must be an object');
  const o = v as Obj;
  const id: DeviceIdentity = { hostIndex: idx(o, 'hostIndex', path, true)!, hostNetns: idx(o, 'hostNetns', path, true)! };
  if (o.kind !== undefined) {
    if (typeof o.kind !== 'string' || !/^[a-z0-9_-]{1,32}$/.test(o.kind)) fail(`${path}.kind`, 'must be a link kind');
    id.kind = o.kind;
  }
  const opt = (k: 'permMac' | 'mac' | 'containerMac'): void => {
    const m = mac(o, k, path);
    if (m !== undefined) id[k] = m;
  };
  opt('permMac');
  opt('mac');
  opt('containerMac');
  for (const k of ['peerIndex', 'containerNetns', 'containerIndex'] as const) {
    const n = idx(o, k, path, false);
    if (n !== undefined) id[k] = n;
  }
  return id;
}
