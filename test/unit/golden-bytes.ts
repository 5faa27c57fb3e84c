/** Shared by the golden-byte tests: hex text of encoded messages, as NetlinkSocket would send them. */
import { type OutgoingMessage, encodeBatch } from '../../src/netlink/message.js';

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
/** Joins hex groups written with spaces for reading. */
export const h = (...parts: string[]): string => parts.join('').replace(/\s+/g, '');
/** What NetlinkSocket adds to every request: NLM_F_REQUEST | NLM_F_ACK. */
export const asSent = (m: OutgoingMessage): OutgoingMessage => ({ ...m, flags: m.flags | 0x1 | 0x4 });
export const SEQ = 0x11223344;
/** SEQ as it appears on the wire (little-endian). */
export const seqHex = '44332211';
/** One request, encoded with sequence number SEQ. */
export const one = (m: OutgoingMessage): string => hex(encodeBatch([asSent(m)], SEQ));
