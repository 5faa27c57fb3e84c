/** `nri`: run the NRI plugin until SIGTERM/SIGINT. */
import { UsageError } from '../errors.js';
import { openLog } from '../log.js';
import { loadPolicy } from '../policy/policy.js';
import { StateDir, resolveStateDir } from '../state/state-dir.js';
import { runNriPlugin } from '../nri/plugin.js';
import { resolveCniPath } from '../cni/cni-path.js';
import { teardownMode } from './run-hook.js';

export interface NriFlags {
  socket: string;
  name: string;
  index: string;
  logFile?: string;
  stateDir?: string;
  policy?: string;
  teardown?: string;
  cniPath?: string;
}

export async function runNri(flags: NriFlags): Promise<void> {
  if (!/^[0-9]{1,2}$/.test(flags.index)) throw new UsageError(`--index must be a number from 0 to 99, not ${JSON.stringify(flags.index)}`);
  if (flags.name.trim() === '' || /[\s/]/.test(flags.name)) throw new UsageError(`--name must be a non-empty word, not ${JSON.stringify(flags.name)}`);
  const policy = (): ReturnType<typeof loadPolicy> => loadPolicy(flags.policy);
  const teardown = (p: ReturnType<typeof loadPolicy>): ReturnType<typeof teardownMode> => teardownMode(flags.teardown, p.teardown);
  teardown(policy()); // a bad policy file or --teardown fails the start, not every pod
  const cniPath = resolveCniPath(flags.cniPath); // likewise a bad --cni-path
  const log = await openLog(flags.logFile, { component: 'nri' });
  const stop = new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await runNriPlugin({ socket: flags.socket, name: flags.name, index: flags.index.padStart(2, '0'), stateDir: new StateDir(resolveStateDir(flags.stateDir)), policy, teardown, log, stop, cniPath });
  log.flush();
}
