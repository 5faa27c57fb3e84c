/**
 * The caller's environment as it was before bin/oci-netdevices-runtime dropped the variables Node
 * must not see (bin/node-env.sh kept each as OCI_NETDEVICES_CALLER_<name>, listed in
 * OCI_NETDEVICES_CALLER_ENV). The real runtime gets this, unchanged.
 */
const LIST = 'OCI_NETDEVICES_CALLER_ENV';
const PREFIX = 'OCI_NETDEVICES_CALLER_';

/**
 * Puts the kept variables back into `env` (in place: every child the wrapper starts, the real
 * runtime's delete and features included, inherits them). Node read its options long ago.
 */
export function restoreCallerEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const kept = env[LIST];
  if (kept === undefined) return env;
  delete env[LIST];
  for (const name of kept.split(' ')) {
    if (name === '') continue;
    const v = env[PREFIX + name];
    delete env[PREFIX + name];
    if (v !== undefined) env[name] = v;
  }
  return env;
}

export function envList(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined).map(([k, v]) => `${k}=${v}`);
}
