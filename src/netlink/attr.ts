/**
 * Netlink attributes (struct nlattr): encoding, decoding, nesting.
 * Pure functions over bytes; host byte order (netlink's own), 4-byte alignment.
 */
import { NL } from './constants.js';

const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** NLA_HDRLEN: sizeof(struct nlattr), aligned. */
const ATTR_HDR = NL.NLA_HDRLEN;

/** Rounds up to a multiple of 4 (NLMSG_ALIGN/NLA_ALIGN); exact for any length up to 2^53, not just 2^31. */
export const align4 = (n: number): number => n + ((4 - (n % 4)) % 4);

/** An attribute ready to encode: raw payload bytes or nested children. */
export type Attr = { type: number; data: Uint8Array } | { type: number; nested: Attr[] };

export const attr = {
  bytes: (type: number, data: Uint8Array): Attr => ({ type, data }),
  u8: (type: number, v: number): Attr => ({ type, data: Uint8Array.of(v & 0xff) }),
  u16: (type: number, v: number): Attr => {
    const b = new Uint8Array(2);
    new DataView(b.buffer).setUint16(0, v, LE);
    return { type, data: b };
  },
  u32: (type: number, v: number): Attr => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, v >>> 0, LE);
    return { type, data: b };
  },
  s32: (type: number, v: number): Attr => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, v, LE);
    return { type, data: b };
  },
  /** NUL-terminated string (NLA_NUL_STRING / NLA_STRING both accept it). */
  str: (type: number, s: string): Attr => {
    const enc = Buffer.from(s, 'utf8');
    const b = new Uint8Array(enc.length + 1);
    b.set(enc);
    return { type, data: b };
  },
  flag: (type: number): Attr => ({ type, data: new Uint8Array(0) }),
  nest: (type: number, children: Attr[]): Attr => ({ type: type | NL.NLA_F_NESTED, nested: children }),
};

export function attrsLength(attrs: readonly Attr[]): number {
  let n = 0;
  for (const a of attrs) n += align4(attrLength(a));
  return n;
}

function attrLength(a: Attr): number {
  return ATTR_HDR + ('data' in a ? a.data.length : attrsLength(a.nested));
}

/** Writes attrs into `out` at `offset`; returns the offset after the last (aligned). */
export function writeAttrs(out: Uint8Array, offset: number, attrs: readonly Attr[]): number {
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let off = offset;
  for (const a of attrs) {
    const len = attrLength(a);
    view.setUint16(off, len, LE);
    view.setUint16(off + 2, a.type, LE);
    if ('data' in a) out.set(a.data, off + ATTR_HDR);
    else writeAttrs(out, off + ATTR_HDR, a.nested);
    off += align4(len);
  }
  return off;
}

export function encodeAttrs(attrs: readonly Attr[]): Uint8Array {
  const out = new Uint8Array(attrsLength(attrs));
  writeAttrs(out, 0, attrs);
  return out;
}

/** Decoded attributes of one level. Later duplicates are kept in `all`. */
export class AttrSet {
  private readonly byType = new Map<number, Uint8Array>();
  readonly all: Array<{ type: number; data: Uint8Array }> = [];

  constructor(buf: Uint8Array, offset = 0, end = buf.length) {
    if (!Number.isInteger(offset) || !Number.isInteger(end) || offset < 0 || end > buf.length || offset > end) {
      throw new NetlinkDecodeError(`attributes at ${offset}..${end} lie outside a ${buf.length}-byte message`);
    }
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let off = offset;
    while (off + ATTR_HDR <= end) {
      const len = view.getUint16(off, LE);
      if (len < ATTR_HDR || off + len > end) throw new NetlinkDecodeError(`bad attribute length ${len} at offset ${off}`);
      const type = view.getUint16(off + 2, LE) & NL.NLA_TYPE_MASK;
      const data = buf.subarray(off + ATTR_HDR, off + len);
      this.all.push({ type, data });
      if (!this.byType.has(type)) this.byType.set(type, data);
      off += align4(len);
    }
  }

  has(type: number): boolean {
    return this.byType.has(type);
  }
  raw(type: number): Uint8Array | undefined {
    return this.byType.get(type);
  }
  u8(type: number): number | undefined {
    const d = this.byType.get(type);
    return d === undefined ? undefined : need(d, 1, type)[0];
  }
  u16(type: number): number | undefined {
    const d = this.byType.get(type);
    return d === undefined ? undefined : dv(need(d, 2, type)).getUint16(0, LE);
  }
  u32(type: number): number | undefined {
    const d = this.byType.get(type);
    return d === undefined ? undefined : dv(need(d, 4, type)).getUint32(0, LE);
  }
  s32(type: number): number | undefined {
    const d = this.byType.get(type);
    return d === undefined ? undefined : dv(need(d, 4, type)).getInt32(0, LE);
  }
  str(type: number): string | undefined {
    const d = this.byType.get(type);
    if (d === undefined) return undefined;
    const nul = d.indexOf(0);
    return Buffer.from(d.buffer, d.byteOffset, nul >= 0 ? nul : d.length).toString('utf8');
  }
  nested(type: number): AttrSet | undefined {
    const d = this.byType.get(type);
    return d === undefined ? undefined : new AttrSet(d);
  }
}

export class NetlinkDecodeError extends Error {
  override name = 'NetlinkDecodeError';
}

function need(d: Uint8Array, n: number, type: number): Uint8Array {
  if (d.length < n) throw new NetlinkDecodeError(`attribute ${type} has ${d.length} bytes, expected ${n}`);
  return d;
}

function dv(d: Uint8Array): DataView {
  return new DataView(d.buffer, d.byteOffset, d.byteLength);
}

export const hostLittleEndian = LE;
