/** `recover [id] [--all]`: bring devices of dead hooks (or of `id`) home; one line per container. */
import { recoverAbandoned } from '../hook/recover.js';
import { StateDir, assertContainerId, resolveStateDir } from '../state/state-dir.js';
import { ExitCode } from '../errors.js';
import { formatLosses } from '../apply/losses.js';

export function runRecover(stateDirFlag: string | undefined, id: string | undefined, all: boolean): number {
  const dir = new StateDir(resolveStateDir(stateDirFlag));
  if (id !== undefined) assertContainerId(id);
  const results = recoverAbandoned(dir, { all, ...(id !== undefined ? { only: id } : {}) });
  let failed = false;
  let lossy = false;
  let refused = false;
  for (const r of results) {
    const parts = [`restored: ${r.restored.join(' ') || '-'}`];
    if (r.missing.length > 0) parts.push(`gone with the container netns: ${r.missing.join(' ')}`);
    if (r.notes.length > 0) parts.push(r.notes.join('; '));
    if (r.losses.length > 0) {
      lossy = true;
      parts.push(`restored with losses: ${formatLosses(r.losses)}`);
    }
    if (r.errors.length > 0) {
      if (r.refused !== undefined) refused = true;
      else failed = true;
      parts.push(`errors: ${r.errors.join('; ')}`);
    }
    process.stdout.write(`${r.id}: ${parts.join('; ')}\n`);
  }
  if (results.length === 0) process.stdout.write('nothing to recover\n');
  // A refused record is a state problem (exit 2): nothing was tried for it.
  return failed ? ExitCode.kernel : refused ? ExitCode.usage : lossy ? ExitCode.restoredWithLosses : ExitCode.ok;
}
