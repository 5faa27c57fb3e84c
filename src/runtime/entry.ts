/**
 * oci-netdevices-runtime: a drop-in OCI runtime. On create/run it adds our
 * hooks to config.json when the container asks for devices, then becomes the
 * real runtime (execve: same pid, fds, signals, exit code). delete runs the
 * real delete and then brings devices home even if no poststop ran.
 * Everything else is exec'ed straight through.
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { native } from '../native/binding.js';
import { packageRoot } from '../package-root.js';
import { parseRuntimeArgs } from './argv.js';
import { chooseRuntime, resolveExecutable } from './real-runtime.js';

function envList(): string[] {
  return Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined).map(([k, v]) => `${k}=${v}`);
}

function fail(msg: string): never {
  process.stderr.write(`oci-netdevices-runtime: ${msg}\n`);
  process.exit(1);
}

export async function runWrapper(argv: readonly string[]): Promise<void> {
  const args = argv.slice(2);
  let real: string;
  try {
    real = resolveExecutable(chooseRuntime(argv[1] ?? ''));
  } catch (e) {
    fail((e as Error).message);
  }
  const call = parseRuntimeArgs(args);
  if (call.subcommand === 'create' || call.subcommand === 'run') {
    const bundle = resolve(process.cwd(), call.bundle ?? '.');
    const { injectHooks } = await import('./inject-hooks.js');
    try {
      injectHooks(bundle, join(packageRoot(), 'bin', 'oci-netdevices'));
    } catch (e) {
      // An unreadable or invalid config.json is the real runtime's to report; a write failure is ours.
      if (!(e instanceof SyntaxError) && (e as NodeJS.ErrnoException).code !== 'ENOENT') fail(`cannot add hooks to ${join(bundle, 'config.json')}: ${(e as Error).message}`);
    }
  } else if (call.subcommand === 'delete' && call.id !== undefined) {
    const r = spawnSync(real, args, { stdio: 'inherit' });
    const { restoreAfterDelete } = await import('./after-delete.js');
    const problem = restoreAfterDelete(call.id);
    if (problem !== undefined) process.stderr.write(`oci-netdevices-runtime: ${problem}\n`);
    process.exit(r.status ?? (problem !== undefined ? 1 : 0));
  }
  native().execve(real, [real, ...args], envList());
}
