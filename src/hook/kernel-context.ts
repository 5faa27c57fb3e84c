/**
 * A kernel failure outside a transaction step (a namespace view, the link list after the move,
 * an ethtool read-back, a route list) gets the step and the devices it concerned, and exit 4:
 * without this it would surface as a bare "list links: EBUSY", or worse as an internal error.
 */
import { KernelError } from '../errors.js';
import { NetlinkError } from '../netlink/message.js';

function named(devices: readonly string[]): string {
  if (devices.length === 0) return 'no device';
  return `${devices.length === 1 ? 'device' : 'devices'} ${devices.map((d) => JSON.stringify(d)).join(', ')}`;
}

/** `e` with the step and devices when it is a bare kernel error; anything else unchanged. */
export function inKernelContext(e: unknown, step: string, devices: readonly string[]): unknown {
  if (e instanceof NetlinkError || (e instanceof KernelError && !(e instanceof StepKernelError))) {
    return new StepKernelError(`${named(devices)}: ${step} failed: ${e.message}`, e);
  }
  return e;
}

/** Runs `fn`, putting a kernel failure in context. */
export function kernelStep<T>(step: string, devices: readonly string[], fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw inKernelContext(e, step, devices);
  }
}

export class StepKernelError extends KernelError {
  override name = 'StepKernelError';
}
