/**
 * SIGTERM, SIGINT and the hook's own deadline, turned into an error thrown at
 * the next checkpoint so the transaction rolls back before the process exits.
 * (Runtimes kill a hook past its `timeout`; the deadline lets us undo first.)
 * In the daemon a request's interrupts come from its connection instead of the
 * process: the front door relays its signals, and a closed connection (the front
 * door killed, the runtime's timeout) counts as SIGTERM.
 */
import { InterruptedError } from '../errors.js';

/** A request's own interrupt source (daemon); without one the process's signals are used. */
export interface InterruptSource {
  /** Aborted with the reason's text (`interrupted by SIGTERM`, ...). */
  signal: AbortSignal;
  /** When the hook started (epoch ms): the runtime's timeout covers the whole hook. */
  startedAt: number;
}

export class Interrupts {
  private reason: string | undefined;
  /** Counted from the hook's start (the process's, or the front door's in the daemon): the runtime's timeout covers the whole hook. */
  readonly deadlineAt: number | undefined;
  private readonly deadlineSeconds: number | undefined;
  private readonly onSignal = (sig: NodeJS.Signals): void => {
    this.reason ??= `interrupted by ${sig}`;
  };
  private readonly onAbort = (): void => {
    this.reason ??= String(this.source?.signal.reason ?? 'interrupted');
  };

  constructor(deadlineSeconds?: number, private readonly source?: InterruptSource) {
    if (source !== undefined) {
      if (source.signal.aborted) this.onAbort();
      else source.signal.addEventListener('abort', this.onAbort, { once: true });
    } else {
      process.on('SIGTERM', this.onSignal);
      process.on('SIGINT', this.onSignal);
    }
    // The process's start, in epoch ms (performance.timeOrigin would load perf_hooks: 0.6 ms of a cold hook).
    const origin = source?.startedAt ?? Date.now() - process.uptime() * 1000;
    if (deadlineSeconds !== undefined && deadlineSeconds > 0) this.deadlineAt = origin + deadlineSeconds * 1000;
    this.deadlineSeconds = deadlineSeconds;
  }

  /**
   * Lets a pending signal be delivered, then throws if one came or the
   * deadline passed. Two hops: the first lands in this loop iteration's check
   * phase, the second only after a poll phase, which is where libuv reads the
   * signal pipe (and a socket's data or hang-up). Costs a few microseconds.
   */
  readonly checkpoint = async (): Promise<void> => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.reason === undefined && this.deadlineAt !== undefined && Date.now() >= this.deadlineAt) this.reason = `deadline of ${this.deadlineSeconds}s passed (--timeout)`;
    if (this.reason !== undefined) throw new InterruptedError(`createRuntime ${this.reason}`);
  };

  dispose(): void {
    if (this.source !== undefined) this.source.signal.removeEventListener('abort', this.onAbort);
    else {
      process.off('SIGTERM', this.onSignal);
      process.off('SIGINT', this.onSignal);
    }
  }
}
