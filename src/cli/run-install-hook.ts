/** `install-hook [--dir DIR] [--print]`: hooks.d files for podman and CRI-O. */
import { join } from 'node:path';
import { hookBins } from '../runtime/inject-hooks.js';
import { packageRoot } from '../package-root.js';
import { DEFAULT_HOOKS_DIR, hooksDFiles, renderHooksDFile, writeHooksD } from '../install/hooks-d.js';

export function runInstallHook(opts: { dir?: string; print?: boolean; stateDir?: string; logFile?: string }): number {
  const extra: string[] = [];
  if (opts.logFile !== undefined) extra.push('--log-file', opts.logFile);
  if (opts.stateDir !== undefined) extra.push('--state-dir', opts.stateDir);
  const files = hooksDFiles(hookBins(packageRoot()).frontDoor, extra);
  if (opts.print === true) {
    for (const f of files) process.stdout.write(`# ${join(opts.dir ?? DEFAULT_HOOKS_DIR, f.name)}\n${renderHooksDFile(f)}`);
    return 0;
  }
  for (const p of writeHooksD(opts.dir ?? DEFAULT_HOOKS_DIR, files)) process.stdout.write(`wrote ${p}\n`);
  return 0;
}
