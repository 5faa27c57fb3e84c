/**
 * Which real OCI runtime the wrapper becomes, first match wins:
 * 0. the global flag --oci-netdevices-runtime=NAME (podman: --runtime-flag oci-netdevices-runtime=NAME);
 * 1. env OCI_NETDEVICES_RUNTIME (a name looked up in PATH, or a path);
 * 2. the wrapper's own name: invoked as `oci-netdevices-crun` (a symlink) -> crun;
 * 3. /etc/oci-netdevices/runtime.json `{"runtime": "crun"}`;
 * 4. runc.
 * runc's command line stays untouched: no flag of ours is added to it.
 */
import { accessSync, constants, realpathSync } from 'node:fs';
import { basename, delimiter, isAbsolute, join, resolve } from 'node:path';
import { RUNTIME_CONFIG, type WrapperConfig } from './wrapper-config.js';

export function chooseRuntime(argv1: string, env: NodeJS.ProcessEnv, config: WrapperConfig, fromFlag?: string): string {
  if (fromFlag !== undefined && fromFlag !== '') return fromFlag;
  const fromEnv = env.OCI_NETDEVICES_RUNTIME;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const m = /^oci-netdevices-(.+)$/.exec(basename(argv1));
  if (m !== null && m[1] !== 'runtime') return m[1]!;
  return config.runtime ?? 'runc';
}

function realpathOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/**
 * The executable's absolute path: PATH first, then the usual system dirs
 * (engines may run us with a short PATH). `self` (the wrapper's own path) is
 * skipped, so the wrapper installed as `runc` ahead of the real one in PATH
 * does not exec itself forever.
 */
export function resolveExecutable(name: string, env: NodeJS.ProcessEnv = process.env, self?: string): string {
  const me = self !== undefined ? realpathOr(self) : undefined;
  const usable = (p: string): boolean => {
    try {
      accessSync(p, constants.X_OK);
    } catch {
      return false;
    }
    return me === undefined || realpathOr(p) !== me;
  };
  if (name.includes('/')) {
    const p = isAbsolute(name) ? name : resolve(name);
    if (!usable(p)) throw new Error(`real runtime ${p} is not an executable other than this wrapper`);
    return p;
  }
  const dirs = [...(env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];
  for (const d of dirs) {
    if (d === '' || !isAbsolute(d)) continue;
    const p = join(d, name);
    if (usable(p)) return p;
  }
  throw new Error(`real runtime ${JSON.stringify(name)} not found in PATH (set OCI_NETDEVICES_RUNTIME or ${RUNTIME_CONFIG})`);
}
