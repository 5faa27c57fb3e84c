/** `validate <config.json>`: every problem, one per line; exit 0 when clean. The CNI annotation is checked too. */
import { collectAttachmentIssues } from '../cni/extract.js';
import { isObj } from '../cni/model.js';
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
  // Names are checked against the netDevices' container names only when those are valid.
  const annotations = isObj(config) && isObj(config.annotations) ? config.annotations : {};
  const cni = collectAttachmentIssues(annotations, devices.map((d) => d.containerName));
  const all = [...issues, ...cni.issues];
  for (const i of all) process.stderr.write(`${formatIssue(i)}\n`);
  if (all.length > 0) return ExitCode.validation;
  const attached = cni.attachments.length > 0 ? `; ${cni.attachments.length} CNI attachment(s): ${cni.attachments.map((a) => `${a.ifName} (network ${JSON.stringify(a.config.name)})`).join(', ')}` : '';
  process.stdout.write(`ok: ${devices.length} device(s): ${devices.map((d) => `${d.hostName} -> ${d.containerName}`).join(', ')}${attached}\n`);
  return ExitCode.ok;
}
