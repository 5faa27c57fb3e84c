/**
 * Which real OCI runtime the wrapper becomes: env OCI_NETDEVICES_RUNTIME (a
 * name or a path), else /etc/oci-netdevices/runtime.json {"runtime": "crun"},
 * else the wrapper's own name (oci-netdevices-crun -> crun), else runc.
 */
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { basename, delimiter, join } from 'node:path';

export const RUNTIME_CONFIG = '/etc/oci-netdevices/runtime.json';

export function chooseRuntime(argv0: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.OCI_NETDEVICES_RUNTIME;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (existsSync(RUNTIME_CONFIG)) {
    const v = (JSON.parse(readFileSync(RUNTIME_CONFIG, 'utf8')) as { runtime?: unknown }).runtime;
    if (typeof v === 'string' && v !== '') return v;
  }
  const m = /^oci-netdevices-(.+)$/.exec(basename(argv0));
  if (m !== null && m[1] !== 'runtime') return m[1]!;
  return 'runc';
}

/** The executable's absolute path, searching PATH (and the usual dirs, for hooks run without PATH). */
export function resolveExecutable(name: string, env: NodeJS.ProcessEnv = process.env): string {
  if (name.includes('/')) return name;
  const dirs = [...(env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  for (const d of dirs) {
    if (d === '') continue;
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  throw new Error(`oci-netdevices-runtime: real runtime ${JSON.stringify(name)} not found in PATH`);
}
