/** `cni check <id>`: CNI CHECK for each attachment of a set-up container; one line each, non-zero when any failed. */
import { checkAttachments } from '../cni/attach.js';
import { readCniRecord } from '../cni/state.js';
import { ExitCode, UsageError } from '../errors.js';
import { readDevices } from '../state/container-store.js';
import { StateDir, assertContainerId, resolveStateDir } from '../state/state-dir.js';

export function runCniCheck(stateDirFlag: string | undefined, id: string): number {
  assertContainerId(id);
  const dir = new StateDir(resolveStateDir(stateDirFlag));
  const record = readCniRecord(dir, id);
  if (record === undefined || record.attachments.length === 0) throw new UsageError(`container ${id} has no CNI attachments`);
  // Without devices.json the hook has not finished (or died): its attachments are not the container's yet.
  if (readDevices(dir, id) === undefined) throw new UsageError(`container ${id} is not set up (its createRuntime hook has not finished)`);
  let failed = false;
  for (const r of checkAttachments(record)) {
    if (r.outcome === 'failed') failed = true;
    process.stdout.write(`${r.ifName} (network ${JSON.stringify(r.network)}): ${r.outcome}: ${r.message}\n`);
  }
  return failed ? ExitCode.failure : ExitCode.ok;
}
