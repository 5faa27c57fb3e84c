/**
 * `delete` of a container we hold state for cannot be exec'ed: the real
 * delete runs as our child (signals forwarded), then the devices come home,
 * then we exit with the real delete's code (128+n when a signal killed it)
 * even when the restore failed: the container is gone either way, and an
 * engine retrying the delete would not help. The failure is printed on
 * stderr and the state is kept for `oci-netdevices recover <id>`.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { restoreAfterDelete } from './after-delete.js';

const FORWARDED: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT'];

export async function deleteThenRestore(real: string, args: readonly string[], id: string, stateRoot: string): Promise<number> {
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
  const problem = restoreAfterDelete(stateRoot, id);
  if (problem !== undefined) process.stderr.write(`oci-netdevices-runtime: ${problem}\n`);
  return code;
}
