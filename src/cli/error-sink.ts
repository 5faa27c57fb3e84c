/**
 * The one place errors become exit codes and a single stderr line.
 * runc folds a failing hook's stderr into `error running createRuntime hook #N`.
 */
import { ExitCode, NetDevError } from '../errors.js';

export function reportError(e: unknown, write: (line: string) => void = (l) => process.stderr.write(l)): number {
  if (e instanceof NetDevError) {
    write(`oci-netdevices: ${e.oneLine()}\n`);
    return e.exitCode;
  }
  const msg = e instanceof Error ? e.message : String(e);
  write(`oci-netdevices: internal error: ${msg.replace(/\s*\n\s*/g, '; ')}\n`);
  return ExitCode.failure;
}
