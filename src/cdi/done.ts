/**
 * The same CDI device asked twice gives two identical hook entries, which no
 * run can tell apart. The later one knows the work is done when the
 * container's record exists and its pin is this very container's network
 * namespace (a leftover record of an earlier container of the same id is not).
 * With teardown=kernel there is no pin, and the repeat is not detected: do not ask for one CDI device twice there.
 */
import { sameNetns, netnsPathOf } from '../hook/netns.js';
import type { OciState } from '../hook/oci-state.js';
import { readDevices } from '../state/container-store.js';
import { StateDir, resolveStateDir } from '../state/state-dir.js';

export function alreadyDone(state: OciState, stateDirFlag: string | undefined): boolean {
  const record = readDevices(new StateDir(resolveStateDir(stateDirFlag)), state.id);
  if (record?.netnsPin === undefined || state.pid === undefined) return false;
  try {
    return sameNetns(record.netnsPin, netnsPathOf(state.pid));
  } catch {
    return false;
  }
}
