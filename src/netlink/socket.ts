/**
 * A netlink socket that runs requests: one at a time or many in a single
 * send (a batch), matching the kernel's answers to requests by sequence number.
 */
import { hostLittleEndian } from './attr.js';
import { NL } from './constants.js';
import { type IncomingMessage, type OutgoingMessage, NetlinkError, decodeAck, decodeMessages, encodeBatch } from './message.js';

/** Where bytes go. The native socket in production, a fake kernel in unit tests. */
export interface Transport {
  send(data: Uint8Array): void;
  /** One datagram; may hold several messages. */
  recv(): Uint8Array;
  close(): void;
}

/** A typed request: the message to send and how to read the kernel's answer. */
export interface Request<T> {
  /** Human name used in errors, e.g. `set mtu 1400 on eth1`. */
  describe: string;
  message: OutgoingMessage;
  /** Builds the result from the replies (dump parts or the single reply); not called on error. */
  parse(replies: IncomingMessage[]): T;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: NetlinkError };

const MAX_BATCH_BYTES = 256 * 1024;

function doneError(m: IncomingMessage): number {
  if (m.payload.length < 4) return 0;
  return -new DataView(m.payload.buffer, m.payload.byteOffset, 4).getInt32(0, hostLittleEndian);
}

export class NetlinkSocket {
  private seq: number;

  constructor(
    private readonly transport: Transport,
    readonly label = 'netlink',
  ) {
    this.seq = (Date.now() & 0x7fffffff) >>> 0;
  }

  /** Runs one request; throws NetlinkError when the kernel refuses it. */
  run<T>(req: Request<T>): T {
    const [out] = this.runBatch([req]);
    if (!out!.ok) throw out!.error;
    return out!.value;
  }

  /**
   * Sends many requests with as few sends as possible and reads all answers.
   * The kernel processes every message of a batch even when an earlier one
   * fails, so each outcome is reported separately.
   */
  runBatch<T>(reqs: readonly Request<T>[]): Outcome<T>[] {
    const outcomes: Outcome<T>[] = new Array(reqs.length);
    let start = 0;
    while (start < reqs.length) {
      let end = start;
      let bytes = 0;
      while (end < reqs.length && (end === start || bytes < MAX_BATCH_BYTES)) {
        bytes += 64 + reqs[end]!.message.attrs.length * 16;
        end++;
      }
      this.runChunk(reqs.slice(start, end), outcomes, start);
      start = end;
    }
    return outcomes;
  }

  private runChunk<T>(reqs: readonly Request<T>[], outcomes: Outcome<T>[], base: number): void {
    const first = this.nextSeq(reqs.length);
    const msgs = reqs.map((r) => ({ ...r.message, flags: r.message.flags | NL.NLM_F_REQUEST | NL.NLM_F_ACK }));
    this.transport.send(encodeBatch(msgs, first));
    const replies: IncomingMessage[][] = reqs.map(() => []);
    let pending = reqs.length;
    const done = new Array<boolean>(reqs.length).fill(false);
    while (pending > 0) {
      for (const m of decodeMessages(this.transport.recv())) {
        const i = (m.seq - first) >>> 0;
        if (i >= reqs.length || done[i]) continue; // stray or late message of an old request
        const req = reqs[i]!;
        if (m.type === NL.NLMSG_ERROR) {
          const ack = decodeAck(m);
          outcomes[base + i] = ack.errno === 0 ? this.parse(req, replies[i]!) : { ok: false, error: new NetlinkError(ack.errno, req.describe, ack.kernelMessage) };
        } else if (m.type === NL.NLMSG_DONE) {
          // A dump ends with DONE (no separate ack); its payload may carry the dump's error.
          const err = doneError(m);
          outcomes[base + i] = err === 0 ? this.parse(req, replies[i]!) : { ok: false, error: new NetlinkError(err, req.describe) };
          done[i] = true;
          pending--;
          continue;
        } else if (m.type === NL.NLMSG_NOOP || m.type === NL.NLMSG_OVERRUN) {
          continue;
        } else {
          replies[i]!.push(m);
          continue;
        }
        done[i] = true;
        pending--;
      }
    }
  }

  private parse<T>(req: Request<T>, replies: IncomingMessage[]): Outcome<T> {
    return { ok: true, value: req.parse(replies) };
  }

  private nextSeq(count: number): number {
    // A batch's sequence range never wraps, so `seq - first` indexes it.
    if (this.seq + count > 0x7fffffff) this.seq = 1;
    const s = this.seq;
    this.seq += count;
    return s;
  }

  close(): void {
    this.transport.close();
  }
}
