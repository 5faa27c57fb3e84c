/**
 * After the real `delete`: the devices of that container come home even when
 * no poststop hook ran (crun skips poststop after a failed createRuntime;
 * `delete` of a container that never started; a runtime killed mid-way).
 * The poststop logic is idempotent: when the runtime already ran our hook,
 * nothing is left and this is a no-op.
 */
import { poststop } from '../hook/poststop.js';
import { formatLosses } from '../apply/losses.js';
import { StateDir, isContainerId } from '../state/state-dir.js';

/** undefined when all is well, else one line saying what went wrong. */
export function restoreAfterDelete(stateRoot: string, id: string): string | undefined {
  if (!isContainerId(id)) return undefined;
  try {
    const r = poststop(id, new StateDir(stateRoot));
    if (r !== undefined && r.losses.length > 0) return `devices of ${id} came home with losses: ${formatLosses(r.losses)}`;
    return undefined;
  } catch (e) {
    return `returning devices of ${id} to the host: ${(e as Error).message}`;
  }
}
