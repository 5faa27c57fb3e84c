/** Where plugins are looked up: --cni-path, else OCI_NETDEVICES_CNI_PATH, else runtime.json's cniPath, else the default. */
import { UsageError } from '../errors.js';

export const DEFAULT_CNI_PATH = '/opt/cni/bin:/usr/lib/cni';

/** A colon-separated list of absolute directories. */
export function parseCniPath(text: string, from: string): string[] {
  const dirs = text.split(':').filter((d) => d !== '');
  if (dirs.length === 0) throw new UsageError(`${from} is empty`);
  for (const d of dirs) if (!d.startsWith('/') || d.split('/').includes('..')) throw new UsageError(`${from}: ${JSON.stringify(d)} must be an absolute path without ".."`);
  return dirs;
}

export function resolveCniPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env, fromConfig?: string): string[] {
  if (flag !== undefined) return parseCniPath(flag, '--cni-path');
  const e = env.OCI_NETDEVICES_CNI_PATH;
  if (e !== undefined && e !== '') return parseCniPath(e, 'OCI_NETDEVICES_CNI_PATH');
  if (fromConfig !== undefined) return parseCniPath(fromConfig, 'cniPath');
  return parseCniPath(DEFAULT_CNI_PATH, 'the default CNI path');
}
