/** After the real `delete`: devices of that container come home even if its poststop never ran. */
import { poststop } from '../hook/poststop.js';
import { StateDir, resolveStateDir } from '../state/state-dir.js';

/** undefined when all is well, else one line saying what went wrong. */
export function restoreAfterDelete(id: string): string | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.+-]{0,127}$/.test(id)) return undefined;
  try {
    poststop(id, new StateDir(resolveStateDir(undefined)));
    return undefined;
  } catch (e) {
    return `returning devices of ${id} to the host: ${(e as Error).message}`;
  }
}
