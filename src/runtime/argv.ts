/**
 * Just enough of runc's (and crun's) command line to find the subcommand,
 * the bundle and the container id. Everything else passes through untouched.
 */

/** Global options that take a value (runc 1.1 and crun 1.8). */
const GLOBAL_WITH_VALUE = new Set(['--root', '--log', '--log-format', '--log-level', '--criu', '--rootless', '--cgroup-manager']);
/** create/run options that take a value. */
const SUB_WITH_VALUE = new Set(['--bundle', '-b', '--console-socket', '--pid-file', '--preserve-fds', '--criu']);

export interface RuntimeCall {
  /** Index of the subcommand in argv (after the program name), or -1. */
  subcommandAt: number;
  subcommand?: string;
  /** create/run: the bundle directory as given (default: cwd). */
  bundle?: string;
  /** The container id (first positional after the subcommand). */
  id?: string;
}

function splitEq(a: string): [string, string | undefined] {
  const eq = a.indexOf('=');
  return eq > 0 && a.startsWith('-') ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
}

export function parseRuntimeArgs(args: readonly string[]): RuntimeCall {
  let i = 0;
  while (i < args.length && args[i]!.startsWith('-')) {
    const [name, inline] = splitEq(args[i]!);
    i += GLOBAL_WITH_VALUE.has(name) && inline === undefined ? 2 : 1;
  }
  if (i >= args.length) return { subcommandAt: -1 };
  const call: RuntimeCall = { subcommandAt: i, subcommand: args[i]! };
  for (let j = i + 1; j < args.length; j++) {
    const a = args[j]!;
    if (a === '--') {
      call.id ??= args[j + 1];
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      call.id ??= a;
      continue;
    }
    const [name, inline] = splitEq(a);
    if (!SUB_WITH_VALUE.has(name)) continue;
    const value = inline ?? args[j + 1];
    if (inline === undefined) j++;
    if (name === '--bundle' || name === '-b') call.bundle = value;
  }
  return call;
}
