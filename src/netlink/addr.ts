/** Typed rtnetlink address operations. */
import { type Attr, AttrSet, NetlinkDecodeError, attr, hostLittleEndian as LE } from './attr.js';
import { NL, RTNL, RTNL3 } from './constants.js';
import type { IncomingMessage } from './message.js';
import { IFADDRMSG_LEN, decodeIfAddr, encodeIfAddr } from './rtnl-headers.js';
import type { Request } from './socket.js';

export interface AddrInput {
  family: 4 | 6;
  bytes: Uint8Array;
  prefixLength: number;
}

/** struct ifa_cacheinfo: lifetimes left in seconds (IFA_INFINITY_LIFETIME: forever), stamps in 1/100 s since boot. */
export interface AddrCacheInfo {
  preferred: number;
  valid: number;
  created: number;
  updated: number;
}

export interface Addr extends AddrInput {
  index: number;
  scope: number;
  /** IFA_FLAGS (32-bit) when present, else the 8-bit header flags. */
  flags: number;
  label?: string;
  /** The other end of a point-to-point address (IFA_ADDRESS when it differs from IFA_LOCAL). */
  peer?: Uint8Array;
  broadcast?: Uint8Array;
  /** IFA_RT_PRIORITY: the metric of the prefix route the address makes. */
  metric?: number;
  /** IFA_PROTO (Linux 5.18+): who made the address (IFAPROT_*). */
  proto?: number;
  cacheInfo?: AddrCacheInfo;
}

/** Every attribute an address can be created with, beyond its local bytes and prefix length. */
export interface AddrOptions {
  scope?: number;
  /** IFA_F_* flags (all 32 bits travel in IFA_FLAGS). */
  flags?: number;
  text?: string;
  peer?: Uint8Array;
  broadcast?: Uint8Array;
  label?: string;
  metric?: number;
  proto?: number;
  /** Seconds; absent: forever. */
  lifetime?: { preferred: number; valid: number };
}

export const afOf = (family: 4 | 6): number => (family === 4 ? NL.AF_INET : NL.AF_INET6);

const same = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

export function decodeCacheInfo(d: Uint8Array): AddrCacheInfo {
  if (d.length < RTNL3.IFA_CACHEINFO_LEN) throw new NetlinkDecodeError(`IFA_CACHEINFO of ${d.length} bytes`);
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  return { preferred: v.getUint32(0, LE), valid: v.getUint32(4, LE), created: v.getUint32(8, LE), updated: v.getUint32(12, LE) };
}

export function encodeCacheInfo(preferred: number, valid: number): Uint8Array {
  const b = new Uint8Array(RTNL3.IFA_CACHEINFO_LEN);
  const v = new DataView(b.buffer);
  v.setUint32(0, preferred >>> 0, LE);
  v.setUint32(4, valid >>> 0, LE);
  return b;
}

export function decodeAddr(m: IncomingMessage): Addr {
  const h = decodeIfAddr(m.payload);
  const a = new AttrSet(m.payload, IFADDRMSG_LEN);
  // IFA_LOCAL is the interface's address; IFA_ADDRESS is the peer on point-to-point addresses
  // (and equal to IFA_LOCAL otherwise; IPv6 sends IFA_LOCAL only when there is a peer).
  const local = a.raw(RTNL.IFA_LOCAL);
  const address = a.raw(RTNL.IFA_ADDRESS);
  const bytes = local ?? address ?? new Uint8Array(0);
  const out: Addr = {
    family: h.family === NL.AF_INET6 ? 6 : 4,
    bytes: Uint8Array.from(bytes),
    prefixLength: h.prefixLength,
    index: h.index,
    scope: h.scope,
    flags: a.u32(RTNL.IFA_FLAGS) ?? h.flags,
  };
  if (local !== undefined && address !== undefined && !same(local, address)) out.peer = Uint8Array.from(address);
  const label = a.str(RTNL.IFA_LABEL);
  if (label !== undefined) out.label = label;
  const brd = a.raw(RTNL3.IFA_BROADCAST);
  if (brd !== undefined) out.broadcast = Uint8Array.from(brd);
  const metric = a.u32(RTNL3.IFA_RT_PRIORITY);
  if (metric !== undefined) out.metric = metric;
  const proto = a.u8(RTNL3.IFA_PROTO);
  if (proto !== undefined) out.proto = proto;
  const ci = a.raw(RTNL3.IFA_CACHEINFO);
  if (ci !== undefined) out.cacheInfo = decodeCacheInfo(ci);
  return out;
}

/** ip addr show (all families; filter the result by index) */
export function addrList(): Request<Addr[]> {
  return {
    describe: 'list addresses',
    message: { type: RTNL.RTM_GETADDR, flags: NL.NLM_F_DUMP, header: encodeIfAddr({ family: NL.AF_UNSPEC, prefixLength: 0, flags: 0, scope: 0, index: 0 }), attrs: [] },
    parse: (replies) => replies.filter((m) => m.type === RTNL.RTM_NEWADDR).map(decodeAddr),
  };
}

/**
 * ip address show dev INDEX. The kernel filters by ifa_index only on a strict-checking socket;
 * elsewhere it sends every address, and the parse keeps the device's.
 */
export function addrListOf(index: number): Request<Addr[]> {
  return {
    describe: `list addresses of ifindex ${index}`,
    message: { type: RTNL.RTM_GETADDR, flags: NL.NLM_F_DUMP, header: encodeIfAddr({ family: NL.AF_UNSPEC, prefixLength: 0, flags: 0, scope: 0, index }), attrs: [] },
    parse: (replies) => replies.filter((m) => m.type === RTNL.RTM_NEWADDR).map(decodeAddr).filter((a) => a.index === index),
  };
}

function addrAttrs(a: AddrInput, o: AddrOptions): Attr[] {
  const attrs = [attr.bytes(RTNL.IFA_LOCAL, a.bytes), attr.bytes(RTNL.IFA_ADDRESS, o.peer ?? a.bytes)];
  if ((o.flags ?? 0) !== 0) attrs.push(attr.u32(RTNL.IFA_FLAGS, o.flags!));
  if (o.broadcast !== undefined) attrs.push(attr.bytes(RTNL3.IFA_BROADCAST, o.broadcast));
  if (o.label !== undefined) attrs.push(attr.str(RTNL.IFA_LABEL, o.label));
  if (o.metric !== undefined) attrs.push(attr.u32(RTNL3.IFA_RT_PRIORITY, o.metric));
  if (o.proto !== undefined) attrs.push(attr.u8(RTNL3.IFA_PROTO, o.proto));
  if (o.lifetime !== undefined) attrs.push(attr.bytes(RTNL3.IFA_CACHEINFO, encodeCacheInfo(o.lifetime.preferred, o.lifetime.valid)));
  return attrs;
}

function show(a: AddrInput): string {
  return a.family === 4 ? `${Array.from(a.bytes).join('.')}/${a.prefixLength}` : `${Buffer.from(a.bytes).toString('hex')}/${a.prefixLength}`;
}

/**
 * ip addr add ADDR/PLEN [peer P] [broadcast B] [label L] [metric M] [proto P] [valid_lft V preferred_lft P]
 * dev INDEX [scope SCOPE] [nodad|noprefixroute|...] — fails with EEXIST if present.
 */
export function addrAdd(index: number, a: AddrInput, opts: AddrOptions = {}): Request<void> {
  return {
    describe: `add address ${opts.text ?? show(a)} on ifindex ${index}`,
    message: {
      type: RTNL.RTM_NEWADDR,
      flags: NL.NLM_F_CREATE | NL.NLM_F_EXCL,
      header: encodeIfAddr({ family: afOf(a.family), prefixLength: a.prefixLength, flags: (opts.flags ?? 0) & 0xff, scope: opts.scope ?? RTNL.RT_SCOPE_UNIVERSE, index }),
      attrs: addrAttrs(a, opts),
    },
    parse: () => undefined,
  };
}

/** ip addr del ADDR/PLEN [peer P] dev INDEX (a point-to-point address is named by its peer too) */
export function addrDel(index: number, a: AddrInput, text?: string, peer?: Uint8Array): Request<void> {
  return {
    describe: `delete address ${text ?? show(a)} on ifindex ${index}`,
    message: {
      type: RTNL.RTM_DELADDR,
      flags: 0,
      header: encodeIfAddr({ family: afOf(a.family), prefixLength: a.prefixLength, flags: 0, scope: 0, index }),
      attrs: addrAttrs(a, peer !== undefined ? { peer } : {}),
    },
    parse: () => undefined,
  };
}
