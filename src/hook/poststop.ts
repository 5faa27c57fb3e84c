/**
 * The poststop hook: every device the createRuntime hook moved goes back to
 * the host under its original name with its original configuration; then the
 * pin, claims and state are removed. A container without state (nothing was
 * asked for, or createRuntime failed and cleaned up after itself) is a no-op.
 * A createRuntime killed mid-apply left a journal: it is recovered here too.
 * Devices that came home without some of their host state are not an error
 * here: the caller reports `losses` (the hook exits 7).
 */
import { TeardownError } from '../errors.js';
import type { StateDir } from '../state/state-dir.js';
import { removeStatus } from '../status/status-store.js';
import { type Recovered, recoverOne, verdict } from './recover.js';

/** `lockWaitMs`: how long to wait for each device's lock (default LOCK_WAIT_MS), then fail naming its holder. */
export function poststop(id: string, dir: StateDir, lockWaitMs?: number): Recovered | undefined {
  const v = verdict(dir, id, true);
  if (!v.act) {
    removeStatus(dir, id); // a failed createRuntime left only its status
    return undefined;
  }
  // Teardown waits for the locks, within a bound: any other hook finds our claim and lets go at once.
  const r = recoverOne(dir, v.record, { wait: true, force: true, ...(lockWaitMs !== undefined ? { waitMs: lockWaitMs } : {}) });
  if (r.errors.length > 0) {
    // The pin and the state stay: `oci-netdevices recover <id>` can try again.
    throw new TeardownError(`container ${id}: ${r.errors.join('; ')}; state kept, retry with: oci-netdevices recover ${id}`);
  }
  return r;
}
