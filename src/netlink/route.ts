/** Typed rtnetlink route operations (main table unless a table is given). */
import { type Attr, AttrSet, NetlinkDecodeError, align4, attr, encodeAttrs, hostLittleEndian } from './attr.js';
import { NL, RTNL, RTNL3 } from './constants.js';
import type { IncomingMessage } from './message.js';
import { afOf } from './addr.js';
import { RTMSG_LEN, decodeRtMsg, encodeRtMsg } from './rtnl-headers.js';
import type { Request } from './socket.js';

export interface RouteInput {
  family: 4 | 6;
  /** Destination network bytes (host bits clear) and prefix length. */
  dst: Uint8Array;
  dstLength: number;
  gateway?: Uint8Array;
  prefSrc?: Uint8Array;
  scope: number;
  oif: number;
  /** RTPROT_*; RTPROT_BOOT (what `ip route add` uses) when absent. */
  protocol?: number;
  /** Routing table; the main table when absent. */
  table?: number;
  /** RTA_PRIORITY (the metric). */
  priority?: number;
  /** RTN_*; RTN_UNICAST when absent. */
  type?: number;
  /** rtm_flags: RTNH_F_ONLINK and friends. */
  flags?: number;
  /** RTA_MULTIPATH: the next hops of a multipath route (then `oif` and `gateway` are unused). */
  nexthops?: MultipathHop[];
  /** RTA_METRICS as the kernel reported it (nested RTAX_* values: mtu, window, lock...). */
  metrics?: Uint8Array;
  /** RTA_PREF (IPv6 router preference). */
  pref?: number;
}

/** One struct rtnexthop of RTA_MULTIPATH with its RTA_GATEWAY. */
export interface MultipathHop {
  oif: number;
  /** RTNH_F_* */
  flags: number;
  /** rtnh_hops: the weight minus one. */
  hops: number;
  gateway?: Uint8Array;
}

export interface Route extends Omit<RouteInput, 'table' | 'protocol' | 'type'> {
  table: number;
  protocol: number;
  type: number;
  priority?: number;
  /** Interfaces of a multipath route's next hops (RTA_MULTIPATH); its `oif` is then 0. */
  nexthopOifs: number[];
  /** RTA_NH_ID: the route goes through a nexthop object (see nexthop.ts). */
  nhId?: number;
}

/**
 * The next hops of RTA_MULTIPATH: a run of struct rtnexthop {u16 len, u8 flags,
 * u8 hops, s32 ifindex}, each followed by its own attributes within `len`.
 */
export function decodeMultipathOifs(data: Uint8Array): number[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out: number[] = [];
  const hdr = RTNL.RTNH_HDRLEN;
  for (let off = 0; off + hdr <= data.length; ) {
    const len = view.getUint16(off, hostLittleEndian);
    if (len < hdr || off + len > data.length) throw new NetlinkDecodeError(`bad rtnexthop length ${len} at offset ${off}`);
    out.push(view.getInt32(off + 4, hostLittleEndian));
    off += align4(len);
  }
  return out;
}

/** The next hops of RTA_MULTIPATH with their flags, weight and gateway. */
export function decodeMultipath(data: Uint8Array): MultipathHop[] {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out: MultipathHop[] = [];
  const hdr = RTNL.RTNH_HDRLEN;
  for (let off = 0; off + hdr <= data.length; ) {
    const len = view.getUint16(off, hostLittleEndian);
    if (len < hdr || off + len > data.length) throw new NetlinkDecodeError(`bad rtnexthop length ${len} at offset ${off}`);
    const hop: MultipathHop = { flags: view.getUint8(off + 2), hops: view.getUint8(off + 3), oif: view.getInt32(off + 4, hostLittleEndian) };
    const gw = new AttrSet(data, off + hdr, off + len).raw(RTNL.RTA_GATEWAY);
    if (gw !== undefined) hop.gateway = Uint8Array.from(gw);
    out.push(hop);
    off += align4(len);
  }
  return out;
}

export function encodeMultipath(hops: readonly MultipathHop[]): Uint8Array {
  const parts = hops.map((n) => {
    const inner = n.gateway !== undefined ? encodeAttrs([attr.bytes(RTNL.RTA_GATEWAY, n.gateway)]) : new Uint8Array(0);
    const b = new Uint8Array(RTNL.RTNH_HDRLEN + inner.length);
    const v = new DataView(b.buffer);
    v.setUint16(0, b.length, hostLittleEndian);
    v.setUint8(2, n.flags);
    v.setUint8(3, n.hops);
    v.setInt32(4, n.oif, hostLittleEndian);
    b.set(inner, RTNL.RTNH_HDRLEN);
    return b;
  });
  return Uint8Array.from(Buffer.concat(parts));
}

export function decodeRoute(m: IncomingMessage): Route {
  const h = decodeRtMsg(m.payload);
  const a = new AttrSet(m.payload, RTMSG_LEN);
  const family = h.family === NL.AF_INET6 ? 6 : 4;
  const r: Route = {
    family,
    dst: Uint8Array.from(a.raw(RTNL.RTA_DST) ?? new Uint8Array(family === 4 ? 4 : 16)),
    dstLength: h.dstLength,
    scope: h.scope,
    oif: a.u32(RTNL.RTA_OIF) ?? 0,
    table: a.u32(RTNL.RTA_TABLE) ?? h.table,
    protocol: h.protocol,
    type: h.type,
    nexthopOifs: [],
  };
  const gw = a.raw(RTNL.RTA_GATEWAY);
  if (gw !== undefined) r.gateway = Uint8Array.from(gw);
  const src = a.raw(RTNL.RTA_PREFSRC);
  if (src !== undefined) r.prefSrc = Uint8Array.from(src);
  const prio = a.u32(RTNL.RTA_PRIORITY);
  if (prio !== undefined) r.priority = prio;
  const multipath = a.raw(RTNL.RTA_MULTIPATH);
  if (multipath !== undefined) {
    r.nexthops = decodeMultipath(multipath);
    r.nexthopOifs = r.nexthops.map((n) => n.oif);
  }
  if (h.flags !== 0) r.flags = h.flags;
  const metrics = a.raw(RTNL3.RTA_METRICS);
  if (metrics !== undefined) r.metrics = Uint8Array.from(metrics);
  const pref = a.u8(RTNL3.RTA_PREF);
  if (pref !== undefined) r.pref = pref;
  const nhId = a.u32(RTNL.RTA_NH_ID);
  if (nhId !== undefined) r.nhId = nhId;
  return r;
}

/** ip route show table all (both families) */
export function routeList(): Request<Route[]> {
  return {
    describe: 'list routes',
    message: {
      type: RTNL.RTM_GETROUTE,
      flags: NL.NLM_F_DUMP,
      header: encodeRtMsg({ family: NL.AF_UNSPEC, dstLength: 0, srcLength: 0, tos: 0, table: 0, protocol: 0, scope: 0, type: 0, flags: 0 }),
      attrs: [],
    },
    parse: (replies) => replies.filter((m) => m.type === RTNL.RTM_NEWROUTE).map(decodeRoute),
  };
}

/**
 * ip route show table all dev INDEX, both families: the routes that use the device (as their
 * oif, a multipath hop or through a nexthop object). The kernel filters by RTA_OIF only on a
 * strict-checking socket; elsewhere every route comes back (callers filter what they need).
 */
export function routeListVia(index: number): Request<Route[]> {
  const all = routeList();
  return { ...all, describe: `list routes via ifindex ${index}`, message: { ...all.message, attrs: [attr.u32(RTNL.RTA_OIF, index)] } };
}

function routeMessage(type: number, flags: number, r: RouteInput): { type: number; flags: number; header: Uint8Array; attrs: Attr[] } {
  const table = r.table ?? RTNL.RT_TABLE_MAIN;
  const attrs: Attr[] = [attr.u32(RTNL.RTA_TABLE, table)];
  if (r.nexthops === undefined) attrs.push(attr.u32(RTNL.RTA_OIF, r.oif));
  if (r.dstLength > 0) attrs.push(attr.bytes(RTNL.RTA_DST, r.dst));
  if (r.gateway !== undefined && r.nexthops === undefined) attrs.push(attr.bytes(RTNL.RTA_GATEWAY, r.gateway));
  if (r.prefSrc !== undefined) attrs.push(attr.bytes(RTNL.RTA_PREFSRC, r.prefSrc));
  if (r.priority !== undefined) attrs.push(attr.u32(RTNL.RTA_PRIORITY, r.priority));
  if (r.nexthops !== undefined) attrs.push(attr.bytes(RTNL.RTA_MULTIPATH, encodeMultipath(r.nexthops)));
  if (r.metrics !== undefined) attrs.push({ type: RTNL3.RTA_METRICS | NL.NLA_F_NESTED, data: r.metrics });
  if (r.pref !== undefined) attrs.push(attr.u8(RTNL3.RTA_PREF, r.pref));
  return {
    type,
    flags,
    header: encodeRtMsg({
      // As iproute2: a table id past the 8-bit header field goes in RTA_TABLE only.
      family: afOf(r.family), dstLength: r.dstLength, srcLength: 0, tos: 0, table: table < 256 ? table : RTNL.RT_TABLE_UNSPEC,
      protocol: r.protocol ?? RTNL.RTPROT_BOOT, scope: r.scope, type: r.type ?? RTNL.RTN_UNICAST, flags: r.flags ?? 0,
    }),
    attrs,
  };
}

/** ip route add DST/LEN [via GW] dev OIF [scope SCOPE] [src SRC] [table T] */
export function routeAdd(r: RouteInput, text: string): Request<void> {
  return { describe: `add route ${text}`, message: routeMessage(RTNL.RTM_NEWROUTE, NL.NLM_F_CREATE | NL.NLM_F_EXCL, r), parse: () => undefined };
}

/**
 * ip route replace DST/LEN [via GW] dev OIF [scope SCOPE] [src SRC] [table T]
 * Replaces a route to the same destination (e.g. the prefix route an address made).
 */
export function routeReplace(r: RouteInput, text: string): Request<void> {
  return { describe: `replace route ${text}`, message: routeMessage(RTNL.RTM_NEWROUTE, NL.NLM_F_CREATE | NL.NLM_F_REPLACE, r), parse: () => undefined };
}

/** ip route del DST/LEN [via GW] dev OIF [table T] */
export function routeDel(r: RouteInput, text: string): Request<void> {
  return { describe: `delete route ${text}`, message: routeMessage(RTNL.RTM_DELROUTE, 0, r), parse: () => undefined };
}
