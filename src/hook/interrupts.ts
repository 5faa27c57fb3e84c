/**
 * SIGTERM, SIGINT and the hook's own deadline, turned into an error thrown at
 * the next checkpoint so the transaction rolls back before the process exits.
 * (Runtimes kill a hook past its `timeout`; the deadline lets us undo first.)
 */
import { InterruptedError } from '../errors.js';

export class Interrupts {
  private reason: string | undefined;
  /** Counted from the process start: the runtime's timeout covers the whole hook. */
  readonly deadlineAt: number | undefined;
  private readonly deadlineSeconds: number | undefined;
  private readonly onSignal = (sig: NodeJS.Signals): void => {
    this.reason ??= `interrupted by ${sig}`;
  };

  constructor(deadlineSeconds?: number) {
    process.on('SIGTERM', this.onSignal);
    process.on('SIGINT', this.onSignal);
    if (deadlineSeconds !== undefined && deadlineSeconds > 0) this.deadlineAt = performance.timeOrigin + deadlineSeconds * 1000;
    this.deadlineSeconds = deadlineSeconds;
  }

  /**
   * Lets a pending signal be delivered, then throws if one came or the
   * deadline passed. Two hops: the first lands in this loop iteration's check
   * phase, the second only after a poll phase, which is where libuv reads the
   * signal pipe. Costs a few microseconds.
   */
  readonly checkpoint = async (): Promise<void> => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.reason === undefined && this.deadlineAt !== undefined && Date.now() >= this.deadlineAt) this.reason = `deadline of ${this.deadlineSeconds}s passed (--timeout)`;
    if (this.reason !== undefined) throw new InterruptedError(`createRuntime ${this.reason}`);
  };

  dispose(): void {
    process.off('SIGTERM', this.onSignal);
    process.off('SIGINT', this.onSignal);
  }
}
