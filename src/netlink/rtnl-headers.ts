/** Fixed rtnetlink family headers: ifinfomsg, ifaddrmsg, rtmsg. */
import { hostLittleEndian as LE } from './attr.js';
import { NetlinkDecodeError } from './attr.js';
import { RTNL } from './constants.js';

/** sizeof(struct ifinfomsg), sizeof(struct ifaddrmsg), sizeof(struct rtmsg), from the headers. */
export const IFINFOMSG_LEN = RTNL.IFINFOMSG_LEN;
export const IFADDRMSG_LEN = RTNL.IFADDRMSG_LEN;
export const RTMSG_LEN = RTNL.RTMSG_LEN;

export interface IfInfoMsg {
  family: number;
  type: number;
  index: number;
  flags: number;
  change: number;
}

export function encodeIfInfo(h: Partial<IfInfoMsg>): Uint8Array {
  const b = new Uint8Array(IFINFOMSG_LEN);
  const v = new DataView(b.buffer);
  v.setUint8(0, h.family ?? 0);
  v.setUint16(2, h.type ?? 0, LE);
  v.setInt32(4, h.index ?? 0, LE);
  v.setUint32(8, (h.flags ?? 0) >>> 0, LE);
  v.setUint32(12, (h.change ?? 0) >>> 0, LE);
  return b;
}

export function decodeIfInfo(p: Uint8Array): IfInfoMsg {
  if (p.length < IFINFOMSG_LEN) throw new NetlinkDecodeError('short ifinfomsg');
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  return { family: v.getUint8(0), type: v.getUint16(2, LE), index: v.getInt32(4, LE), flags: v.getUint32(8, LE), change: v.getUint32(12, LE) };
}

export interface IfAddrMsg {
  family: number;
  prefixLength: number;
  flags: number;
  scope: number;
  index: number;
}

export function encodeIfAddr(h: IfAddrMsg): Uint8Array {
  const b = new Uint8Array(IFADDRMSG_LEN);
  const v = new DataView(b.buffer);
  v.setUint8(0, h.family);
  v.setUint8(1, h.prefixLength);
  v.setUint8(2, h.flags & 0xff);
  v.setUint8(3, h.scope);
  v.setUint32(4, h.index >>> 0, LE);
  return b;
}

export function decodeIfAddr(p: Uint8Array): IfAddrMsg {
  if (p.length < IFADDRMSG_LEN) throw new NetlinkDecodeError('short ifaddrmsg');
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  return { family: v.getUint8(0), prefixLength: v.getUint8(1), flags: v.getUint8(2), scope: v.getUint8(3), index: v.getUint32(4, LE) };
}

export interface RtMsg {
  family: number;
  dstLength: number;
  srcLength: number;
  tos: number;
  table: number;
  protocol: number;
  scope: number;
  type: number;
  flags: number;
}

export function encodeRtMsg(h: RtMsg): Uint8Array {
  const b = new Uint8Array(RTMSG_LEN);
  const v = new DataView(b.buffer);
  v.setUint8(0, h.family);
  v.setUint8(1, h.dstLength);
  v.setUint8(2, h.srcLength);
  v.setUint8(3, h.tos);
  v.setUint8(4, h.table);
  v.setUint8(5, h.protocol);
  v.setUint8(6, h.scope);
  v.setUint8(7, h.type);
  v.setUint32(8, h.flags >>> 0, LE);
  return b;
}

export function decodeRtMsg(p: Uint8Array): RtMsg {
  if (p.length < RTMSG_LEN) throw new NetlinkDecodeError('short rtmsg');
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  return {
    family: v.getUint8(0), dstLength: v.getUint8(1), srcLength: v.getUint8(2), tos: v.getUint8(3),
    table: v.getUint8(4), protocol: v.getUint8(5), scope: v.getUint8(6), type: v.getUint8(7), flags: v.getUint32(8, LE),
  };
}
