/**
 * Typed errors. The CLI's single error sink (src/cli/error-sink.ts) maps each
 * class to an exit code and prints one line on stderr.
 */

export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  validation: 3,
  kernel: 4,
  busy: 5,
  policy: 6,
  /** Every device came home, but some of its host state could not be restored (each loss is reported). */
  restoredWithLosses: 7,
  /** Stopped by SIGTERM/SIGINT or past --timeout; what was done was rolled back (or kept, if already committed). */
  interrupted: 8,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export abstract class NetDevError extends Error {
  abstract readonly exitCode: ExitCode;
  /** One line for stderr: what failed, where, why. */
  oneLine(): string {
    return this.message.replace(/\s*\n\s*/g, '; ');
  }
}

export class UsageError extends NetDevError {
  readonly exitCode = ExitCode.usage;
  override name = 'UsageError';
}

/**
 * The state directory, or a file in it, cannot be trusted (a symlink, not ours, writable by
 * group or others): whatever it says is not acted on, and nothing is touched.
 */
export class UntrustedStateError extends UsageError {
  override name = 'UntrustedStateError';
}

/** One problem found while validating input. */
export interface ValidationIssue {
  /** JSON path of the offending field, e.g. `linux.netDevices[1].properties.mask`. */
  path: string;
  /** Host-side device name the field belongs to, when known. */
  device?: string;
  message: string;
}

export function formatIssue(issue: ValidationIssue): string {
  const dev = issue.device !== undefined ? ` (device ${JSON.stringify(issue.device)})` : '';
  return `${issue.path}${dev}: ${issue.message}`;
}

export class ValidationError extends NetDevError {
  readonly exitCode = ExitCode.validation;
  override name = 'ValidationError';
  constructor(readonly issues: readonly ValidationIssue[]) {
    super(
      issues.length === 1
        ? `invalid netDevices config: ${formatIssue(issues[0]!)}`
        : `invalid netDevices config (${issues.length} problems): ${issues.map(formatIssue).join('; ')}`,
    );
  }
}

/** A kernel call that failed while applying a step. */
export class StepError extends NetDevError {
  readonly exitCode = ExitCode.kernel;
  override name = 'StepError';
  constructor(
    readonly step: string,
    readonly device: string,
    override readonly cause: unknown,
    readonly undoErrors: readonly Error[] = [],
  ) {
    super(StepError.compose(step, device, cause, undoErrors));
  }
  get errno(): number | undefined {
    return errnoOf(this.cause);
  }
  private static compose(step: string, device: string, cause: unknown, undoErrors: readonly Error[]): string {
    const why = cause instanceof Error ? cause.message : String(cause);
    let msg = `device ${JSON.stringify(device)}: ${step} failed: ${why}`;
    if (undoErrors.length > 0) {
      msg += `; undo also failed: ${undoErrors.map((e) => e.message).join('; ')}`;
    }
    return msg;
  }
  withUndoErrors(undoErrors: readonly Error[]): StepError {
    return new StepError(this.step, this.device, this.cause, [...this.undoErrors, ...undoErrors]);
  }
}

/**
 * The kernel failed a call made outside a transaction step (a namespace view, a read-back),
 * or did not answer at all: what was asked, where, and why. Exit 4 like a failed step.
 */
export class KernelError extends NetDevError {
  readonly exitCode = ExitCode.kernel;
  override name = 'KernelError';
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
  }
}

/** The device is held by another container (lock) or does not exist. */
export class DeviceBusyError extends NetDevError {
  readonly exitCode = ExitCode.busy;
  override name = 'DeviceBusyError';
}

export class PolicyError extends NetDevError {
  readonly exitCode = ExitCode.policy;
  override name = 'PolicyError';
}

/** Node/native errno shape. */
export interface ErrnoLike {
  errno: number;
  code: string;
  syscall?: string;
}

export function isErrnoLike(e: unknown): e is Error & ErrnoLike {
  return e instanceof Error && typeof (e as Partial<ErrnoLike>).errno === 'number' && typeof (e as Partial<ErrnoLike>).code === 'string';
}

export function errnoOf(e: unknown): number | undefined {
  return isErrnoLike(e) ? Math.abs(e.errno) : undefined;
}

/** A hook stopped by SIGTERM/SIGINT or its --timeout; its changes were rolled back. */
export class InterruptedError extends NetDevError {
  readonly exitCode = ExitCode.interrupted;
  override name = 'InterruptedError';
}

/** Every device came home, without some of its host state: what is said in the message and the log. */
export class RestoredWithLossesError extends NetDevError {
  readonly exitCode = ExitCode.restoredWithLosses;
  override name = 'RestoredWithLossesError';
}

/** Devices could not all be returned to the host; the state is kept for `recover`. */
export class TeardownError extends NetDevError {
  readonly exitCode = ExitCode.kernel;
  override name = 'TeardownError';
}

/** SLAAC gave the interface no usable address in time (the cause of a StepError); DraNet's `SLAACReady` False, `AutoconfigurationTimedOut`. */
export class SlaacTimeoutError extends Error {
  override name = 'SlaacTimeoutError';
}
