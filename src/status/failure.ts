/** Which step family failed, as a condition reason, and the error line as its message. */
import { DeviceBusyError, InterruptedError, NetDevError, PolicyError, StepError, ValidationError } from '../errors.js';

export interface Failure {
  /** `ValidationFailed`, `PolicyRefused`, `DeviceBusy`, `MoveFailed`, `ConfigurationFailed`, `Interrupted` or `Failed`. */
  reason: string;
  /** The error line, as the hook prints it on stderr. */
  message: string;
  /** Host name of the device the failure belongs to, when it belongs to one. */
  device?: string;
}

export function classifyFailure(e: unknown): Failure {
  const message = e instanceof NetDevError ? e.oneLine() : e instanceof Error ? e.message : String(e);
  if (e instanceof ValidationError) {
    const devices = new Set(e.issues.map((i) => i.device));
    const only = devices.size === 1 ? [...devices][0] : undefined;
    return { reason: 'ValidationFailed', message, ...(only !== undefined ? { device: only } : {}) };
  }
  if (e instanceof PolicyError) return { reason: 'PolicyRefused', message };
  if (e instanceof DeviceBusyError) return { reason: 'DeviceBusy', message };
  if (e instanceof InterruptedError) return { reason: 'Interrupted', message };
  if (e instanceof StepError) {
    const device = e.device === '*' ? undefined : e.device;
    return { reason: e.step.startsWith('move') ? 'MoveFailed' : 'ConfigurationFailed', message, ...(device !== undefined ? { device } : {}) };
  }
  return { reason: 'Failed', message };
}
