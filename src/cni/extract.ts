/**
 * The `oci-netdevices.io/cni` annotation, from text to validated attachments.
 * Every problem is collected, each naming its JSON path and the attachment
 * (its ifName); nothing here runs a plugin or touches the kernel.
 */
import { CNI_ANNOTATION, decode, isBlank } from '../config/annotations.js';
import { validIfName } from '../config/ifname.js';
import { child, member } from '../config/json-path.js';
import { checkSchema } from '../config/schema-check.js';
import { describe, schemaIssues } from '../config/schema-issues.js';
import { ValidationError, type ValidationIssue } from '../errors.js';
import { type CniAttachment, CNI_VERSIONS, type NetConfList, type Obj, isCniVersion, isObj } from './model.js';

export const CNI_PATH_BASE = member('annotations', CNI_ANNOTATION);

/** Cheap: does this annotation set ask for CNI attachments (loads nothing)? */
export function requestsAttachments(annotations: Record<string, unknown>): boolean {
  const v = annotations[CNI_ANNOTATION];
  return v !== undefined && !(typeof v === 'string' && isBlank(v));
}

function normalise(config: Obj, path: string, device: string | undefined, issues: ValidationIssue[]): NetConfList | undefined {
  const at = (p: string, message: string): void => {
    issues.push({ path: p, message, ...(device !== undefined ? { device } : {}) });
  };
  const hasPlugins = config.plugins !== undefined;
  const hasType = config.type !== undefined;
  if (hasPlugins === hasType) {
    at(path, hasPlugins ? 'holds both "plugins" (a conflist) and "type" (a single plugin config); use one' : 'must hold "plugins" (a conflist) or "type" (a single plugin config)');
    return undefined;
  }
  if (!isCniVersion(config.cniVersion)) {
    at(child(path, 'cniVersion'), `${describe(config.cniVersion)} is not a supported CNI version (supported: ${CNI_VERSIONS.join(', ')})`);
    return undefined;
  }
  const plugins = hasPlugins ? (config.plugins as Obj[]) : [config];
  const list: NetConfList = { cniVersion: config.cniVersion, name: String(config.name), plugins };
  if (config.disableCheck === true) list.disableCheck = true;
  return list;
}

/** Same checks as extractAttachments, never throws for bad input. `deviceNames`: the netDevices container names. */
export function collectAttachmentIssues(annotations: Record<string, unknown>, deviceNames: readonly string[] = []): { attachments: CniAttachment[]; issues: ValidationIssue[] } {
  const issues: ValidationIssue[] = [];
  const text = annotations[CNI_ANNOTATION];
  if (!requestsAttachments(annotations)) return { attachments: [], issues };
  const base = CNI_PATH_BASE;
  if (typeof text !== 'string') return { attachments: [], issues: [{ path: base, message: `annotation values must be strings, got ${describe(text)}` }] };
  const decoded = decode(text, base, issues);
  if (!decoded.ok) return { attachments: [], issues };
  const value = decoded.value;
  const nameAt = (pointer: string): string | undefined => {
    const m = /^\/(\d+)/.exec(pointer);
    const item = m !== null && Array.isArray(value) ? (value[Number(m[1])] as unknown) : undefined;
    return isObj(item) && typeof item.ifName === 'string' ? item.ifName : undefined;
  };
  const schemaErrors = checkSchema('cni', value);
  issues.push(...schemaIssues(schemaErrors, base, false, nameAt));
  // Items the schema refused are reported as such; the others still get every check below.
  const refused = new Set(schemaErrors.map((e) => /^\/(\d+)/.exec(e.instancePath)?.[1]).map((i) => (i === undefined ? -1 : Number(i))));
  if (!Array.isArray(value) || refused.has(-1)) return { attachments: [], issues };
  const items = value as Obj[];
  const attachments: CniAttachment[] = [];
  const taken = new Map<string, string>(deviceNames.map((n) => [n, 'a netDevices device']));
  items.forEach((item, index) => {
    if (refused.has(index)) return;
    const path = child(base, index);
    const ifName = item.ifName as string;
    const bad = validIfName(ifName) ?? (ifName.includes('%') ? 'must be a plain name, not a "%d" template' : ifName === 'lo' ? 'must not be "lo"' : undefined);
    if (bad !== undefined) {
      issues.push({ path: child(path, 'ifName'), device: ifName, message: `${JSON.stringify(ifName)} ${bad}` });
      return;
    }
    const owner = taken.get(ifName);
    if (owner !== undefined) issues.push({ path: child(path, 'ifName'), device: ifName, message: `${JSON.stringify(ifName)} is already the container name of ${owner}` });
    taken.set(ifName, `attachment ${index}`);
    const config = normalise(item.config as Obj, child(path, 'config'), ifName, issues);
    if (config !== undefined) attachments.push({ index, ifName, config });
  });
  return { attachments: issues.length === 0 ? attachments : [], issues };
}

/** Validated attachments in order; throws ValidationError carrying every issue. [] when none are asked for. */
export function extractAttachments(annotations: Record<string, unknown>, deviceNames: readonly string[] = []): CniAttachment[] {
  const r = collectAttachmentIssues(annotations, deviceNames);
  if (r.issues.length > 0) throw new ValidationError(r.issues);
  return r.attachments;
}

/**
 * Checked against the container netns before anything changes: an ifName that is already a
 * link there, or that a netDevices `%d` template has just been resolved to, would only make
 * the plugin fail after the devices moved.
 */
export function attachmentNameClashes(attachments: readonly CniAttachment[], ctrLinkNames: readonly string[], resolved: ReadonlyArray<{ hostName: string; containerName: string }>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const a of attachments) {
    const path = child(child(CNI_PATH_BASE, a.index), 'ifName');
    const device = resolved.find((t) => t.containerName === a.ifName);
    if (ctrLinkNames.includes(a.ifName)) issues.push({ path, device: a.ifName, message: `${JSON.stringify(a.ifName)} is already an interface in the container's network namespace` });
    else if (device !== undefined) issues.push({ path, device: a.ifName, message: `${JSON.stringify(a.ifName)} is the name netDevices device ${JSON.stringify(device.hostName)} gets in the container` });
  }
  return issues;
}
