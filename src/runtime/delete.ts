/**
 * `delete` of a container we hold state for cannot be exec'ed: the real
 * delete runs as our child (signals forwarded), then the devices come home,
 * but only when the real delete succeeded, or the real runtime's `state`
 * says the container is stopped or gone (a refused `delete` of a running
 * container leaves its devices where they are), then we exit with the real
 * delete's code (128+n when a signal killed it)
 * even when the restore failed: the container is gone either way, and an
 * engine retrying the delete would not help. The failure is printed on
 * stderr and the state is kept for `oci-netdevices recover <id>`.
 */
import { spawn, spawnSync } from 'node:child_process';
import { constants } from 'node:os';
import { restoreAfterDelete } from './after-delete.js';

const FORWARDED: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT'];

/** `subcommandAt`: where `delete` is in `args` (the global options before it are reused for `state`). */
export async function deleteThenRestore(real: string, args: readonly string[], id: string, stateRoot: string, subcommandAt: number): Promise<number> {
  const child = spawn(real, args, { stdio: 'inherit', argv0: real });
  const forward = (s: NodeJS.Signals): void => {
    child.kill(s);
  };
  for (const s of FORWARDED) process.on(s, forward);
  const code = await new Promise<number>((done) => {
    child.on('error', (e) => {
      process.stderr.write(`oci-netdevices-runtime: cannot run ${real}: ${e.message}\n`);
      done(1);
    });
    child.on('exit', (c, sig) => done(c ?? 128 + (sig !== null ? constants.signals[sig] : 0)));
  });
  for (const s of FORWARDED) process.off(s, forward);
  if (code !== 0) {
    const still = containerStillThere(real, args.slice(0, subcommandAt), id);
    if (still !== undefined) {
      process.stderr.write(`oci-netdevices-runtime: the devices of ${id} stay in the container: its delete failed and it is ${still}\n`);
      return code;
    }
  }
  const problem = restoreAfterDelete(stateRoot, id);
  if (problem !== undefined) process.stderr.write(`oci-netdevices-runtime: ${problem}\n`);
  return code;
}

/** The container's status when the real runtime still knows it and it is not stopped; undefined when stopped or gone. */
function containerStillThere(real: string, globals: readonly string[], id: string): string | undefined {
  const r = spawnSync(real, [...globals, 'state', id], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  if (r.status !== 0) return undefined; // the runtime does not know it any more
  let status: unknown;
  try {
    status = (JSON.parse(r.stdout) as { status?: unknown }).status;
  } catch {
    return 'in an unknown state'; // an answer we cannot read: keep the devices where they are
  }
  return status === 'stopped' ? undefined : typeof status === 'string' ? status : 'in an unknown state';
}
