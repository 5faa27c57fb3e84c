/**
 * The global options, written once: their flags, their environment variables and their help.
 * The full CLI builds commander options from this table (`Option.env()`, `.choices()`); the
 * hook's fast path, which does not load commander, reads the same table.
 */

export interface GlobalOptionSpec {
  /** The flag without its dashes. */
  flag: string;
  /** The key in the parsed options (the flag in camelCase). */
  key: keyof GlobalOptions;
  arg: string;
  env: string;
  help: string;
  choices?: readonly string[];
}

export interface GlobalOptions {
  logFile?: string;
  stateDir?: string;
  policy?: string;
  teardown?: string;
  timeout?: string;
  cniPath?: string;
}

export const GLOBAL_OPTIONS: readonly GlobalOptionSpec[] = [
  { flag: 'log-file', key: 'logFile', arg: '<path>', env: 'OCI_NETDEVICES_LOG', help: 'JSON log file ("off" disables; default /var/log/oci-netdevices.log)' },
  { flag: 'state-dir', key: 'stateDir', arg: '<dir>', env: 'OCI_NETDEVICES_STATE_DIR', help: 'state directory (default /run/oci-netdevices)' },
  { flag: 'policy', key: 'policy', arg: '<file>', env: 'OCI_NETDEVICES_POLICY', help: 'host policy file (default /etc/oci-netdevices/policy.json if present)' },
  {
    flag: 'teardown',
    key: 'teardown',
    arg: '<mode>',
    env: 'OCI_NETDEVICES_TEARDOWN',
    help: 'restore (default): devices come home at poststop; kernel: leave them to the kernel',
    choices: ['restore', 'kernel'],
  },
  { flag: 'timeout', key: 'timeout', arg: '<seconds>', env: 'OCI_NETDEVICES_TIMEOUT', help: 'roll back and fail when the hook runs longer' },
  { flag: 'cni-path', key: 'cniPath', arg: '<dirs>', env: 'OCI_NETDEVICES_CNI_PATH', help: 'CNI plugin directories, colon-separated (default /opt/cni/bin:/usr/lib/cni)' },
];

const BY_FLAG = new Map(GLOBAL_OPTIONS.map((o) => [`--${o.flag}`, o]));

/** The spec of `--flag`, or undefined when it is not a global option. */
export function globalOption(dashedFlag: string): GlobalOptionSpec | undefined {
  return BY_FLAG.get(dashedFlag);
}

/** What commander's `Option.env()` does, for the fast path: a flag wins, else its variable if set (an empty value is a value, as for commander). */
export function withEnvFallbacks(flags: GlobalOptions, env: NodeJS.ProcessEnv = process.env): GlobalOptions {
  const out: GlobalOptions = { ...flags };
  for (const o of GLOBAL_OPTIONS) {
    const v = env[o.env];
    if (out[o.key] === undefined && v !== undefined) out[o.key] = v;
  }
  return out;
}
