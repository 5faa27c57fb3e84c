/** Where the hook keeps state, as the wrapper sees it, and whether a container has any (no heavy imports). */
import { DEFAULT_STATE_DIR, StateDir, isContainerId } from '../state/state-dir.js';

/** OCI_NETDEVICES_STATE_DIR when set to an absolute path, else the default. */
export function wrapperStateDir(env: NodeJS.ProcessEnv = process.env): string {
  const v = env.OCI_NETDEVICES_STATE_DIR;
  return v !== undefined && v.startsWith('/') ? v : DEFAULT_STATE_DIR;
}

/** Global flags for the hook entries: what this environment says, fixed at create so poststop (run from another environment) agrees. */
export function hookArgsFromEnv(env: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  const log = env.OCI_NETDEVICES_LOG;
  if (log !== undefined && log !== '') out.push('--log-file', log);
  const state = env.OCI_NETDEVICES_STATE_DIR;
  if (state !== undefined && state.startsWith('/')) out.push('--state-dir', state);
  return out;
}

/** Is anything kept for this container (devices, journal, pin or status)? */
export function hasStateFor(stateRoot: string, id: string): boolean {
  return isContainerId(id) && new StateDir(stateRoot).knows(id);
}
