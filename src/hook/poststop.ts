/**
 * The poststop hook: every device the createRuntime hook moved goes back to
 * the host under its original name with its original configuration; then the
 * pin, claims and state are removed. A container without state (nothing was
 * asked for, or createRuntime failed and cleaned up) is a no-op.
 */
import { StepError } from '../errors.js';
import { readContainerState } from '../state/container-state.js';
import type { StateDir } from '../state/state-dir.js';
import { removeStatus } from '../status/status-store.js';
import { type TeardownResult, forgetContainer, restoreDevices } from './teardown.js';

export function poststop(id: string, dir: StateDir): TeardownResult | undefined {
  const state = readContainerState(dir, id);
  if (state === undefined) {
    removeStatus(dir, id); // a failed createRuntime left only its status
    return undefined;
  }
  const result = state.teardown === 'restore' ? restoreDevices(state) : { restored: [], missing: state.devices.map((d) => d.hostName), errors: [] };
  if (result.errors.length > 0) {
    // Keep the pin and the state: `oci-netdevices recover <id>` can try again.
    const first = result.errors[0]!;
    throw new StepError(first.step, first.device, first.cause, result.errors.slice(1));
  }
  forgetContainer(dir, state);
  return result;
}
