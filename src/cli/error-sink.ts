/**
 * The one place errors become exit codes and a single stderr line.
 * runc folds a failing hook's stderr into `error running createRuntime hook #N`.
 *
 * Exit codes (README "Errors"): 2 command line or state, 3 config, 4 kernel,
 * 5 device busy, 6 policy, 1 only for a bug (anything not classified).
 */
import { ExitCode, NetDevError } from '../errors.js';
import { NetlinkError } from '../netlink/message.js';

const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, '; ');

export function reportError(e: unknown, write: (line: string) => void = (l) => process.stderr.write(l)): number {
  if (e instanceof NetDevError) {
    write(`oci-netdevices: ${e.oneLine()}\n`);
    return e.exitCode;
  }
  // A kernel refusal that no caller put in context is still the kernel's, not a bug.
  if (e instanceof NetlinkError) {
    write(`oci-netdevices: kernel refused ${oneLine(e.message)}\n`);
    return ExitCode.kernel;
  }
  const msg = e instanceof Error ? e.message : String(e);
  write(`oci-netdevices: internal error: ${oneLine(msg)}\n`);
  return ExitCode.failure;
}
