/** `validate <config.json>`: every problem, one per line; exit 0 when clean. */
import { collectIssues } from '../config/extract.js';
import { ExitCode, formatIssue } from '../errors.js';
import { readJsonFile } from '../config/json-file.js';
import { reportError } from './error-sink.js';

export function runValidate(path: string): number {
  let config: unknown;
  try {
    config = readJsonFile(path, 'config', undefined, { streams: true });
  } catch (e) {
    return reportError(e);
  }
  const { devices, issues } = collectIssues(config);
  for (const i of issues) process.stderr.write(`${formatIssue(i)}\n`);
  if (issues.length > 0) return ExitCode.validation;
  process.stdout.write(`ok: ${devices.length} device(s): ${devices.map((d) => `${d.hostName} -> ${d.containerName}`).join(', ')}\n`);
  return ExitCode.ok;
}
