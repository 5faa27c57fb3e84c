/**
 * Runs kernel-changing steps and remembers how to undo each one the moment it
 * succeeds. On failure the caller rolls back in reverse order.
 */
import { StepError } from '../errors.js';
import { NetlinkError } from '../netlink/message.js';
import type { NetlinkSocket, Outcome, Request } from '../netlink/socket.js';

export interface Undo {
  device: string;
  what: string;
  run(): void;
}

export interface StepObserver {
  /** Called before each kernel-changing step (journal, logs). */
  beforeStep?(device: string, step: string): void;
  afterStep?(device: string, step: string): void;
}

export interface BatchItem<T> {
  device: string;
  request: Request<T>;
  /** Must be idempotent: after a lost answer it runs without knowing whether the request was applied (no result). */
  undo?: (result: T | undefined) => void;
  /**
   * The undo also runs after a refusal (other than EEXIST: every add here is NLM_F_EXCL, so that
   * refusal changed nothing and what exists is not ours): for changes outside the device, such as
   * FIB rules, whose undo is harmless when nothing was applied.
   */
  undoIfRefused?: boolean;
  onFailure?: (error: Error) => void;
}

export class Transaction {
  private readonly undos: Undo[] = [];
  private started = 0;

  constructor(private readonly observer: StepObserver = {}) {}

  /** How many kernel-changing steps have been started so far (a batch counts one per item). */
  get stepsStarted(): number {
    return this.started;
  }

  private enter(device: string, step: string): void {
    this.started++;
    this.observer.beforeStep?.(device, step);
  }

  /** Runs one action; wraps its failure as a StepError; registers `undo` once it succeeded. */
  step<T>(device: string, step: string, action: () => T, undo?: (result: T) => void): T {
    this.enter(device, step);
    let result: T;
    try {
      result = action();
    } catch (e) {
      throw e instanceof StepError ? e : new StepError(step, device, e);
    }
    if (undo !== undefined) this.undos.push({ device, what: step, run: () => undo(result) });
    this.observer.afterStep?.(device, step);
    return result;
  }

  /**
   * A setting whose `restore` (put the old values back) is right whether or not the change
   * happened: registered before the action runs, so a change the kernel made but did not
   * acknowledge (a lost or failed answer) is undone as well.
   */
  setting(device: string, step: string, action: () => void, restore: () => void): void {
    this.enter(device, step);
    this.undos.push({ device, what: step, run: restore });
    try {
      action();
    } catch (e) {
      throw e instanceof StepError ? e : new StepError(step, device, e);
    }
    this.observer.afterStep?.(device, step);
  }

  /**
   * Runs one request per device in a single batch. Successful ones register
   * their undo (refused ones too with undoIfRefused); then the first failure,
   * if any, is thrown as a StepError.
   */
  batch<T>(
    sock: NetlinkSocket,
    step: string,
    items: ReadonlyArray<BatchItem<T>>,
  ): T[] {
    if (items.length === 0) return [];
    for (const it of items) this.enter(it.device, step);
    let outcomes: Outcome<T>[];
    try {
      outcomes = sock.runBatch(items.map((it) => it.request));
    } catch (e) {
      // The batch was sent but its answers were lost part way: any request may have been applied.
      for (const it of items) {
        const undo = it.undo;
        if (undo !== undefined) this.undos.push({ device: it.device, what: `${step} (answer lost)`, run: () => undo(undefined) });
      }
      throw new StepError(step, items[0]!.device, e);
    }
    let failure: StepError | undefined;
    const values: T[] = [];
    outcomes.forEach((o, i) => {
      const it = items[i]!;
      if (o.ok) {
        values.push(o.value);
        if (it.undo !== undefined) {
          const undo = it.undo;
          this.undos.push({ device: it.device, what: step, run: () => undo(o.value) });
        }
        this.observer.afterStep?.(it.device, step);
      } else {
        // A refused request may still have changed something (a move whose rename failed).
        it.onFailure?.(o.error);
        if (it.undoIfRefused === true && it.undo !== undefined && !(o.error instanceof NetlinkError && o.error.code === 'EEXIST')) {
          const undo = it.undo;
          this.undos.push({ device: it.device, what: `${step} (refused; may have been applied)`, run: () => undo(undefined) });
        }
        failure ??= new StepError(`${step} (${it.request.describe})`, it.device, o.error);
      }
    });
    if (failure !== undefined) throw failure;
    return values;
  }

  /** Registers an undo for a change made outside step() (e.g. discovered after a partial failure). */
  registerUndo(u: Undo): void {
    this.undos.push(u);
  }

  /** Undoes every registered step in reverse order; returns the undo failures (never throws). */
  rollback(): Error[] {
    const errors: Error[] = [];
    while (this.undos.length > 0) {
      const u = this.undos.pop()!;
      try {
        u.run();
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        errors.push(new Error(`undo "${u.what}" on ${JSON.stringify(u.device)}: ${why}`));
      }
    }
    return errors;
  }

  /** Forgets the undos: the changes are now owned by the container. */
  commit(): void {
    this.undos.length = 0;
  }
}
