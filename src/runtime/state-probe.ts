/** Where the hook keeps state, as the wrapper sees it, and whether a container has any (no heavy imports). */
import { DEFAULT_STATE_DIR, StateDir, isContainerId } from '../state/state-dir.js';
import type { WrapperConfig } from './wrapper-config.js';

/** OCI_NETDEVICES_STATE_DIR when set to an absolute path, else runtime.json's stateDir; undefined: neither says. */
function stateDirSetting(env: NodeJS.ProcessEnv, config: WrapperConfig): string | undefined {
  const v = env.OCI_NETDEVICES_STATE_DIR;
  return v !== undefined && v.startsWith('/') ? v : config.stateDir;
}

/** The state directory the wrapper reads: the setting, else the default. */
export function wrapperStateDir(env: NodeJS.ProcessEnv, config: WrapperConfig): string {
  return stateDirSetting(env, config) ?? DEFAULT_STATE_DIR;
}

/** Global flags for the hook entries: what this environment (or runtime.json) says, fixed at create so poststop (run from another environment) agrees. */
export function hookArgsFromEnv(env: NodeJS.ProcessEnv, config: WrapperConfig): string[] {
  const out: string[] = [];
  const envLog = env.OCI_NETDEVICES_LOG;
  const log = envLog !== undefined && envLog !== '' ? envLog : config.logFile;
  if (log !== undefined) out.push('--log-file', log);
  const state = stateDirSetting(env, config);
  if (state !== undefined) out.push('--state-dir', state);
  const envCni = env.OCI_NETDEVICES_CNI_PATH;
  const cni = envCni !== undefined && envCni !== '' ? envCni : config.cniPath;
  if (cni !== undefined) out.push('--cni-path', cni);
  return out;
}

/** Is anything kept for this container (devices, journal, pin or status)? */
export function hasStateFor(stateRoot: string, id: string): boolean {
  return isContainerId(id) && new StateDir(stateRoot).knows(id);
}
