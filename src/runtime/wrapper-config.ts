/**
 * /etc/oci-netdevices/runtime.json: the wrapper's settings for engines that
 * do not pass their environment to the runtime (podman does not):
 * `{"runtime": "crun", "stateDir": "/run/oci-netdevices", "logFile": "/var/log/oci-netdevices.log", "cniPath": "/opt/cni/bin"}`,
 * every key optional. The environment, when set, wins.
 */
import { readBounded } from '../bounded-file.js';

export const RUNTIME_CONFIG = '/etc/oci-netdevices/runtime.json';

export interface WrapperConfig {
  runtime?: string;
  stateDir?: string;
  logFile?: string;
  /** CNI plugin directories (colon-separated) for the hooks: --cni-path. */
  cniPath?: string;
}

/** The file's settings; {} when it does not exist. Throws an Error naming the file and key otherwise. */
export function readWrapperConfig(path: string = RUNTIME_CONFIG): WrapperConfig {
  const data = readBounded(path, { what: 'wrapper settings', maxBytes: 64 * 1024 });
  if (data === undefined) return {};
  const text = data.toString('utf8');
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`${path}: must hold a JSON object`);
  const out: WrapperConfig = {};
  for (const key of ['runtime', 'stateDir', 'logFile', 'cniPath'] as const) {
    const value = (v as Record<string, unknown>)[key];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value === '') throw new Error(`${path}: "${key}" must be a non-empty string`);
    if (key === 'stateDir' && !value.startsWith('/')) throw new Error(`${path}: "stateDir" must be an absolute path`);
    out[key] = value;
  }
  return out;
}
