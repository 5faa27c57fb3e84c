/**
 * A netlink socket that runs requests: one at a time or many in a single
 * send (a batch), matching the kernel's answers to requests by sequence number.
 */
import { KernelError, isErrnoLike } from '../errors.js';
import { align4 } from './attr.js';
import { ERRNO, NL } from './constants.js';
import { type IncomingMessage, type OutgoingMessage, NetlinkError, decodeAck, decodeDone, decodeMessages, encodeBatch, messageLength } from './message.js';

/**
 * How many times a dump the kernel marked interrupted (NLM_F_DUMP_INTR) is read again before it
 * is reported, with a pause growing from 2 to 100 ms between readings (about half a second in
 * all). A host creating and deleting links all the time (a busy node, parallel tests) interrupts
 * several readings in a row: measured here, 4 immediate readings were not always enough.
 */
export const DUMP_RETRIES = 10;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * A dump the kernel marked NLM_F_DUMP_INTR: the table changed while it was read, so the
 * parts may be inconsistent (a link listed twice or not at all). Reported after DUMP_RETRIES.
 */
export class DumpInterruptedError extends NetlinkError {
  override name = 'DumpInterruptedError';
  constructor(operation: string, readonly attempts: number) {
    super(ERRNO.EINTR, operation, `dump interrupted ${attempts} time(s) in a row: the kernel's table kept changing while it was read`);
  }
}

/** The socket's receive timeout (SO_RCVTIMEO) expired: the kernel never answered. */
export class KernelTimeoutError extends KernelError {
  override name = 'KernelTimeoutError';
}

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
    const outcomes = this.runOnce(reqs, 1);
    // Only dumps (reads) are ever marked interrupted: reading them again changes nothing.
    for (let attempt = 2; attempt <= DUMP_RETRIES + 1; attempt++) {
      const again = outcomes.flatMap((o, i) => (!o.ok && o.error instanceof DumpInterruptedError ? [i] : []));
      if (again.length === 0) break;
      Atomics.wait(sleeper, 0, 0, Math.min(2 ** (attempt - 1), 100));
      const redone = this.runOnce(again.map((i) => reqs[i]!), attempt);
      again.forEach((i, k) => {
        outcomes[i] = redone[k]!;
      });
    }
    return outcomes;
  }

  private runOnce<T>(reqs: readonly Request<T>[], attempt: number): Outcome<T>[] {
    const outcomes: Outcome<T>[] = new Array(reqs.length);
    let start = 0;
    while (start < reqs.length) {
      // Each send stays within MAX_BATCH_BYTES (a single larger message goes alone).
      let end = start;
      let bytes = 0;
      while (end < reqs.length) {
        const len = align4(messageLength(reqs[end]!.message));
        if (end > start && bytes + len > MAX_BATCH_BYTES) break;
        bytes += len;
        end++;
      }
      this.runChunk(reqs.slice(start, end), outcomes, start, attempt);
      start = end;
    }
    return outcomes;
  }

  private runChunk<T>(reqs: readonly Request<T>[], outcomes: Outcome<T>[], base: number, attempt: number): void {
    const first = this.nextSeq(reqs.length);
    const msgs = reqs.map((r) => ({ ...r.message, flags: r.message.flags | NL.NLM_F_REQUEST | NL.NLM_F_ACK }));
    this.transport.send(encodeBatch(msgs, first));
    const replies: IncomingMessage[][] = reqs.map(() => []);
    let pending = reqs.length;
    const done = new Array<boolean>(reqs.length).fill(false);
    // A reply we cannot parse must not leave the rest of the chunk's answers unread in the socket.
    let parseFailure: unknown;
    const interrupted = new Array<boolean>(reqs.length).fill(false);
    while (pending > 0) {
      for (const m of decodeMessages(this.receive(reqs, done))) {
        const i = (m.seq - first) >>> 0;
        if (i >= reqs.length || done[i]) continue; // stray or late message of an old request
        const req = reqs[i]!;
        if ((m.flags & NL.NLM_F_DUMP_INTR) !== 0) interrupted[i] = true;
        if (m.type === NL.NLMSG_ERROR) {
          const ack = decodeAck(m);
          if (ack.errno !== 0) outcomes[base + i] = { ok: false, error: new NetlinkError(ack.errno, req.describe, ack.kernelMessage) };
          else parseFailure ??= this.settle(req, replies[i]!, outcomes, base + i);
        } else if (m.type === NL.NLMSG_DONE) {
          // A dump ends with DONE (no separate ack); its payload may carry the dump's error.
          const end = decodeDone(m);
          if (end.errno !== 0) outcomes[base + i] = { ok: false, error: new NetlinkError(end.errno, req.describe, end.kernelMessage) };
          else if (interrupted[i]) outcomes[base + i] = { ok: false, error: new DumpInterruptedError(req.describe, attempt) };
          else parseFailure ??= this.settle(req, replies[i]!, outcomes, base + i);
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
    if (parseFailure !== undefined) throw parseFailure;
  }

  /** One datagram; a receive timeout becomes a KernelTimeoutError naming what was waited for. */
  private receive(reqs: readonly Request<unknown>[], done: readonly boolean[]): Uint8Array {
    try {
      return this.transport.recv();
    } catch (e) {
      if (!isErrnoLike(e) || (e.code !== 'EAGAIN' && e.code !== 'EWOULDBLOCK')) throw e;
      const waiting = reqs.filter((_, i) => !done[i]).map((r) => r.describe);
      const more = waiting.length > 1 ? ` (and ${waiting.length - 1} more request(s) of the batch)` : '';
      throw new KernelTimeoutError(`kernel did not answer ${waiting[0] ?? 'a request'}${more} on the ${this.label} netlink socket within its receive timeout`, e);
    }
  }

  /** Stores the parsed outcome; returns the parse error instead of throwing it. */
  private settle<T>(req: Request<T>, replies: IncomingMessage[], outcomes: Outcome<T>[], at: number): unknown {
    try {
      outcomes[at] = { ok: true, value: req.parse(replies) };
      return undefined;
    } catch (e) {
      return e;
    }
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
