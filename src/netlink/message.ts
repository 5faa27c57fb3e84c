/**
 * Netlink messages (struct nlmsghdr + family header + attributes) and the
 * kernel's error/ack messages (struct nlmsgerr with extended-ack TLVs).
 */
import { getSystemErrorName } from 'node:util';
import { native } from '../native/binding.js';
import { type Attr, AttrSet, NetlinkDecodeError, attrsLength, align4, hostLittleEndian as LE, writeAttrs } from './attr.js';
import { NL } from './constants.js';

/** sizeof(struct nlmsghdr), aligned (NLMSG_HDRLEN in the header). */
export const NLMSG_HDRLEN = NL.NLMSG_HDRLEN;

export interface OutgoingMessage {
  type: number;
  flags: number;
  /** Fixed family header (ifinfomsg, ifaddrmsg, rtmsg, genlmsghdr...). */
  header: Uint8Array;
  attrs: readonly Attr[];
}

export interface IncomingMessage {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  /** Everything after nlmsghdr. */
  payload: Uint8Array;
}

export function messageLength(m: OutgoingMessage): number {
  return NLMSG_HDRLEN + align4(m.header.length) + attrsLength(m.attrs);
}

/** Encodes one message at `offset` of `out`; returns the aligned end offset. */
export function writeMessage(out: Uint8Array, offset: number, m: OutgoingMessage, seq: number): number {
  const len = messageLength(m);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(offset, len, LE);
  view.setUint16(offset + 4, m.type, LE);
  view.setUint16(offset + 6, m.flags, LE);
  view.setUint32(offset + 8, seq >>> 0, LE);
  view.setUint32(offset + 12, 0, LE);
  out.set(m.header, offset + NLMSG_HDRLEN);
  writeAttrs(out, offset + NLMSG_HDRLEN + align4(m.header.length), m.attrs);
  return offset + align4(len);
}

/** Encodes a batch: many messages in one buffer, sequence numbers from `firstSeq`. */
export function encodeBatch(msgs: readonly OutgoingMessage[], firstSeq: number): Uint8Array {
  let total = 0;
  for (const m of msgs) total += align4(messageLength(m));
  const out = new Uint8Array(total);
  let off = 0;
  msgs.forEach((m, i) => {
    off = writeMessage(out, off, m, firstSeq + i);
  });
  return out;
}

export function decodeMessages(buf: Uint8Array): IncomingMessage[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: IncomingMessage[] = [];
  let off = 0;
  while (off + NLMSG_HDRLEN <= buf.length) {
    const len = view.getUint32(off, LE);
    if (len < NLMSG_HDRLEN || off + len > buf.length) throw new NetlinkDecodeError(`bad message length ${len} at offset ${off}`);
    out.push({
      type: view.getUint16(off + 4, LE),
      flags: view.getUint16(off + 6, LE),
      seq: view.getUint32(off + 8, LE),
      pid: view.getUint32(off + 12, LE),
      payload: buf.subarray(off + NLMSG_HDRLEN, off + len),
    });
    off += align4(len);
  }
  return out;
}

/** The kernel's answer to one request: errno 0 is an ack. */
export interface NetlinkAck {
  errno: number;
  /** NLMSGERR_ATTR_MSG: the kernel's own explanation, when it gave one. */
  kernelMessage?: string;
  /** NLMSGERR_ATTR_OFFS: byte offset of the offending attribute in our request. */
  badAttrOffset?: number;
}

export function decodeAck(m: IncomingMessage): NetlinkAck {
  if (m.payload.length < 4) throw new NetlinkDecodeError('short NLMSG_ERROR');
  const view = new DataView(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength);
  // 0 - x, not -x: a zero error must be 0, not -0 (assert.deepEqual and Object.is tell them apart).
  const errno = 0 - view.getInt32(0, LE);
  const ack: NetlinkAck = { errno };
  if ((m.flags & NL.NLM_F_ACK_TLVS) === 0) return ack;
  // nlmsgerr = error + the original header (+ payload unless NLM_F_CAPPED); TLVs follow.
  if (m.payload.length < 4 + NLMSG_HDRLEN) return ack;
  let tlvStart = 4 + NLMSG_HDRLEN;
  if ((m.flags & NL.NLM_F_CAPPED) === 0) {
    const origLen = view.getUint32(4, LE);
    // An echoed length that does not fit this message means there is nothing past it to read.
    if (origLen < NLMSG_HDRLEN || 4 + origLen > m.payload.length) return ack;
    tlvStart = 4 + align4(origLen);
  }
  if (tlvStart > m.payload.length) return ack;
  return { ...ack, ...extAck(new AttrSet(m.payload, tlvStart)) };
}

/**
 * NLMSG_DONE ends a dump; its payload is the dump's error (int), followed by
 * extended-ack TLVs when NLM_F_ACK_TLVS is set.
 */
export function decodeDone(m: IncomingMessage): NetlinkAck {
  if (m.payload.length < 4) return { errno: 0 };
  const errno = 0 - new DataView(m.payload.buffer, m.payload.byteOffset, 4).getInt32(0, LE);
  if ((m.flags & NL.NLM_F_ACK_TLVS) === 0 || m.payload.length <= 4) return { errno };
  return { errno, ...extAck(new AttrSet(m.payload, 4)) };
}

function extAck(tlvs: AttrSet): Omit<NetlinkAck, 'errno'> {
  const ack: Omit<NetlinkAck, 'errno'> = {};
  const msg = tlvs.str(NL.NLMSGERR_ATTR_MSG);
  if (msg !== undefined && msg !== '') ack.kernelMessage = msg;
  const offs = tlvs.u32(NL.NLMSGERR_ATTR_OFFS);
  if (offs !== undefined) ack.badAttrOffset = offs;
  return ack;
}

/** A request the kernel refused. Node's errno shape plus the kernel's text. */
export class NetlinkError extends Error {
  override name = 'NetlinkError';
  readonly errno: number;
  readonly code: string;
  readonly syscall = 'netlink';
  constructor(
    errno: number,
    readonly operation: string,
    readonly kernelMessage?: string,
  ) {
    const code = errnoName(errno);
    super(`${operation}: ${code} (${native().strerror(errno)})${kernelMessage !== undefined ? `: ${kernelMessage}` : ''}`);
    this.errno = -errno;
    this.code = code;
  }
  get positiveErrno(): number {
    return -this.errno;
  }
}

function errnoName(errno: number): string {
  try {
    return getSystemErrorName(-errno);
  } catch {
    return `E${errno}`;
  }
}
