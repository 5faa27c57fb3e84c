/** Typed rtnetlink neighbour operations (`ip neigh`): struct ndmsg + NDA_* attributes. */
import { AttrSet, NetlinkDecodeError, hostLittleEndian as LE, attr } from './attr.js';
import { NL, RTNL2 } from './constants.js';
import { afOf } from './addr.js';
import { bytesToMac, macToBytes } from './link.js';
import type { IncomingMessage, OutgoingMessage } from './message.js';
import type { Request } from './socket.js';

export const NDMSG_LEN = RTNL2.NDMSG_LEN;

export interface NeighInput {
  family: 4 | 6;
  index: number;
  dst: Uint8Array;
  /** Lower-case colon MAC. */
  lladdr: string;
}

export interface Neigh extends Omit<NeighInput, 'lladdr'> {
  lladdr?: string;
  state: number;
}

interface NdMsg {
  family: number;
  index: number;
  state: number;
  flags: number;
  type: number;
}

export function encodeNdMsg(h: NdMsg): Uint8Array {
  const b = new Uint8Array(NDMSG_LEN);
  const v = new DataView(b.buffer);
  v.setUint8(0, h.family);
  v.setInt32(4, h.index, LE);
  v.setUint16(8, h.state, LE);
  v.setUint8(10, h.flags);
  v.setUint8(11, h.type);
  return b;
}

export function decodeNeigh(m: IncomingMessage): Neigh {
  if (m.payload.length < NDMSG_LEN) throw new NetlinkDecodeError('short ndmsg');
  const v = new DataView(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength);
  const a = new AttrSet(m.payload, NDMSG_LEN);
  const family = v.getUint8(0) === NL.AF_INET6 ? 6 : 4;
  const n: Neigh = { family, index: v.getInt32(4, LE), state: v.getUint16(8, LE), dst: Uint8Array.from(a.raw(RTNL2.NDA_DST) ?? new Uint8Array(0)) };
  const ll = a.raw(RTNL2.NDA_LLADDR);
  if (ll !== undefined && ll.length === 6) n.lladdr = bytesToMac(ll);
  return n;
}

function neighMessage(type: number, flags: number, n: NeighInput, withLladdr: boolean): OutgoingMessage {
  const attrs = [attr.bytes(RTNL2.NDA_DST, n.dst)];
  if (withLladdr) attrs.push(attr.bytes(RTNL2.NDA_LLADDR, macToBytes(n.lladdr)));
  return { type, flags, header: encodeNdMsg({ family: afOf(n.family), index: n.index, state: RTNL2.NUD_PERMANENT, flags: 0, type: 0 }), attrs };
}

/** ip neigh add DST lladdr MAC dev INDEX nud permanent */
export function neighAdd(n: NeighInput, text: string): Request<void> {
  return { describe: `add neighbor ${text}`, message: neighMessage(RTNL2.RTM_NEWNEIGH, NL.NLM_F_CREATE | NL.NLM_F_EXCL, n, true), parse: () => undefined };
}

/** ip neigh del DST dev INDEX */
export function neighDel(n: NeighInput, text: string): Request<void> {
  return { describe: `delete neighbor ${text}`, message: neighMessage(RTNL2.RTM_DELNEIGH, 0, n, false), parse: () => undefined };
}

/** ip neigh show (both families) */
export function neighList(): Request<Neigh[]> {
  return {
    describe: 'list neighbors',
    message: { type: RTNL2.RTM_GETNEIGH, flags: NL.NLM_F_DUMP, header: encodeNdMsg({ family: NL.AF_UNSPEC, index: 0, state: 0, flags: 0, type: 0 }), attrs: [] },
    parse: (replies) => replies.filter((m) => m.type === RTNL2.RTM_NEWNEIGH).map(decodeNeigh),
  };
}
