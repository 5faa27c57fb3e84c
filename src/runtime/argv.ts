/**
 * Just enough of runc's (and crun's) command line to find the subcommand,
 * the bundle, the config file and the container id. Everything else passes
 * through untouched: the real runtime gets the argv exactly as we got it.
 *
 * Both dialects are accepted:
 * - runc 1.1 (urfave/cli over Go's flag package): `--name value`,
 *   `--name=value`, `-name value`, `-name=value`; `-b value`, `-b=value`;
 *   flags may follow the container id (urfave/cli v1 reorders them).
 * - crun 1.8 (argp): `--name=VALUE`, `--name VALUE`, `-b DIR`, `-bDIR`.
 * `--` ends the options.
 */

/** Global options that take a value: runc 1.1.5 `runc --help` and crun 1.8.1 `crun --help`. */
const GLOBAL_WITH_VALUE = new Set(['root', 'log', 'log-format', 'criu', 'rootless', 'cgroup-manager']);

/** create/run options that take a value (runc and crun), by long name. */
const CREATE_WITH_VALUE = new Set(['bundle', 'console-socket', 'pid-file', 'preserve-fds', 'config']);
/** create/run one-letter aliases: `-b` bundle, `-f` config (crun); `-d` (detach) takes none. */
const CREATE_SHORT: Readonly<Record<string, string>> = { b: 'bundle', f: 'config', d: 'detach' };
const CREATE_LONG = new Set([...CREATE_WITH_VALUE, 'detach', 'keep', 'no-pivot', 'no-new-keyring', 'no-subreaper', 'help']);

export interface RuntimeCall {
  /** Index of the subcommand in the arguments (after the program name), or -1. */
  subcommandAt: number;
  subcommand?: string;
  /** create/run: the bundle directory as given (default: cwd). */
  bundle?: string;
  /** create/run: crun's `--config`/`-f` file name, relative to the bundle (default config.json). */
  config?: string;
  /** create/run/delete: the container id (first positional after the subcommand). */
  id?: string;
}

interface Flag {
  /** Long name without dashes (`b` -> `bundle` for create/run). */
  name: string;
  /** Value given in the same argument (`--x=v`, `-x=v`, crun's `-bDIR`). */
  inline?: string;
}

/** An option argument as a name and an optional inline value; undefined for positionals. */
function flagOf(a: string, short: Readonly<Record<string, string>>, long: ReadonlySet<string>): Flag | undefined {
  if (!a.startsWith('-') || a === '-' || a === '--') return undefined;
  const body = a.startsWith('--') ? a.slice(2) : a.slice(1);
  const eq = body.indexOf('=');
  const name = eq >= 0 ? body.slice(0, eq) : body;
  const inline = eq >= 0 ? body.slice(eq + 1) : undefined;
  if (name.length === 1) return { name: short[name] ?? name, ...(inline !== undefined ? { inline } : {}) };
  // A single dash and more than one letter: Go's `-name`, unless it is crun's `-bDIR`.
  if (!a.startsWith('--') && !long.has(name)) {
    const alias = short[body[0]!];
    if (alias !== undefined && CREATE_WITH_VALUE.has(alias)) return { name: alias, inline: body.slice(1) };
  }
  return { name, ...(inline !== undefined ? { inline } : {}) };
}

/** Our own global flag, for engines that can add runtime flags but not environment (podman --runtime-flag). */
export const RUNTIME_FLAG = 'oci-netdevices-runtime';

/**
 * Takes `--oci-netdevices-runtime=NAME` (or `--oci-netdevices-runtime NAME`) out of the global
 * options, before the subcommand: the real runtime never sees it.
 */
export function takeRuntimeFlag(args: readonly string[]): { args: string[]; runtime?: string } {
  const out: string[] = [];
  let runtime: string | undefined;
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    const f = a === '--' ? undefined : flagOf(a, {}, GLOBAL_WITH_VALUE);
    if (f === undefined) break;
    if (f.name === RUNTIME_FLAG && a.startsWith('--')) {
      runtime = f.inline ?? args[++i];
      continue;
    }
    out.push(a);
    if (GLOBAL_WITH_VALUE.has(f.name) && f.inline === undefined && i + 1 < args.length) out.push(args[++i]!);
  }
  out.push(...args.slice(i));
  return runtime !== undefined ? { args: out, runtime } : { args: out };
}

export function parseRuntimeArgs(args: readonly string[]): RuntimeCall {
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      i++;
      break;
    }
    const f = flagOf(a, {}, GLOBAL_WITH_VALUE);
    if (f === undefined) break;
    if (GLOBAL_WITH_VALUE.has(f.name) && f.inline === undefined) i++;
  }
  if (i >= args.length) return { subcommandAt: -1 };
  const call: RuntimeCall = { subcommandAt: i, subcommand: args[i]! };
  const creates = call.subcommand === 'create' || call.subcommand === 'run';
  // Only these need more; the others' options are not known here (exec has many).
  if (!creates && call.subcommand !== 'delete') return call;
  for (let j = i + 1; j < args.length; j++) {
    const a = args[j]!;
    if (a === '--') {
      call.id ??= args[j + 1];
      break;
    }
    const f = creates ? flagOf(a, CREATE_SHORT, CREATE_LONG) : flagOf(a, {}, new Set());
    if (f === undefined) {
      call.id ??= a;
      continue;
    }
    if (!creates || !CREATE_WITH_VALUE.has(f.name)) continue;
    const value = f.inline ?? args[j + 1];
    if (f.inline === undefined) j++;
    if (f.name === 'bundle') call.bundle = value;
    if (f.name === 'config') call.config = value;
  }
  return call;
}
