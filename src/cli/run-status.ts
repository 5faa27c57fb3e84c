/** `status [id] [-o json|yaml]`: what each container got, as ResourceClaim status.devices entries. */
import { createRequire } from 'node:module';
import { UsageError } from '../errors.js';
import { StateDir, resolveStateDir } from '../state/state-dir.js';
import { readStatus } from '../status/status-store.js';

export function runStatus(stateDirFlag: string | undefined, id: string | undefined, output: string): number {
  if (output !== 'json' && output !== 'yaml') throw new UsageError(`-o must be json or yaml, not ${JSON.stringify(output)}`);
  const all = readStatus(new StateDir(resolveStateDir(stateDirFlag)), id);
  // Exit 2 as any other unknown state: 1 is kept for bugs (README, Errors).
  if (id !== undefined && all.length === 0) throw new UsageError(`no status for container ${id}`);
  const doc = id !== undefined ? all[0] : all;
  if (output === 'json') process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  else process.stdout.write((createRequire(import.meta.url)('yaml') as { stringify(v: unknown): string }).stringify(doc));
  return 0;
}
