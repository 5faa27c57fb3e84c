/**
 * SIGTERM, SIGINT and the hook's own deadline, turned into an error thrown at
 * the next checkpoint so the transaction rolls back before the process exits.
 * (Runtimes kill a hook past its `timeout`; the deadline lets us undo first.)
 */
import { StepError } from '../errors.js';

export class Interrupted extends Error {
  override name = 'Interrupted';
}

export class Interrupts {
  private reason: string | undefined;
  private readonly timer: NodeJS.Timeout | undefined;
  private readonly onSignal = (sig: NodeJS.Signals): void => {
    this.reason ??= `interrupted by ${sig}`;
  };

  constructor(deadlineSeconds?: number) {
    process.on('SIGTERM', this.onSignal);
    process.on('SIGINT', this.onSignal);
    if (deadlineSeconds !== undefined && deadlineSeconds > 0) {
      this.timer = setTimeout(() => {
        this.reason ??= `deadline of ${deadlineSeconds}s passed`;
      }, deadlineSeconds * 1000);
    }
  }

  /** Lets pending signal and timer callbacks run, then throws if one fired. */
  readonly checkpoint = async (): Promise<void> => {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.reason !== undefined) throw new StepError('apply', '*', new Interrupted(this.reason));
  };

  dispose(): void {
    process.off('SIGTERM', this.onSignal);
    process.off('SIGINT', this.onSignal);
    if (this.timer !== undefined) clearTimeout(this.timer);
  }
}
