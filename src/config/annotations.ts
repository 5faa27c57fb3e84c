/**
 * Device lists carried in annotations, for engines that cannot write
 * linux.netDevices (podman, CRI-O, containerd): our own key, holding either
 * netDevices shape as JSON or YAML, and the containerd NRI injector's keys.
 */
import { createRequire } from 'node:module';
import type { ValidationIssue } from '../errors.js';
import { child } from './json-path.js';
import { MAX_ANNOTATION_BYTES } from './limits.js';
import { type Parsed, parseArrayForm, parseMapForm, parseNriList } from './shapes.js';

export const DEVICES_ANNOTATION = 'oci-netdevices.io/devices';
/** The NRI network-device-injector reads these keys (its README's plural spelling matches nothing in its code). */
export const NRI_ANNOTATIONS = ['netdevices.nri.containerd.io', 'netdevices.nri.containerd.io/pod', 'netdevice.noderesource.dev', 'netdevice.noderesource.dev/pod'];

export function isDeviceAnnotation(key: string): boolean {
  return key === DEVICES_ANNOTATION || NRI_ANNOTATIONS.includes(key);
}

function decode(text: string, path: string, issues: ValidationIssue[]): { ok: true; value: unknown } | { ok: false } {
  if (Buffer.byteLength(text, 'utf8') > MAX_ANNOTATION_BYTES) {
    issues.push({ path, message: `annotation is larger than ${MAX_ANNOTATION_BYTES} bytes` });
    return { ok: false };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    // not JSON: YAML (a superset of JSON) then
  }
  try {
    return { ok: true, value: parseYaml(text) };
  } catch (e) {
    issues.push({ path, message: `is neither valid JSON nor valid YAML: ${(e as Error).message.split('\n')[0]}` });
    return { ok: false };
  }
}

/** The YAML parser is loaded only when an annotation really is YAML. */
function parseYaml(text: string): unknown {
  const yaml = createRequire(import.meta.url)('yaml') as { parse(text: string, opts: { maxAliasCount: number }): unknown };
  return yaml.parse(text, { maxAliasCount: 100 });
}

export function parseAnnotations(annotations: Record<string, string>): Parsed {
  const out: Parsed = { entries: [], issues: [] };
  for (const [key, text] of Object.entries(annotations)) {
    if (!isDeviceAnnotation(key)) continue;
    const path = child('annotations', key);
    const decoded = decode(text, path, out.issues);
    if (!decoded.ok) continue;
    const v = decoded.value;
    let parsed: Parsed;
    if (key === DEVICES_ANNOTATION) {
      if (Array.isArray(v)) parsed = parseArrayForm(v, path, 'annotation');
      else if (typeof v === 'object' && v !== null) parsed = parseMapForm(v as Record<string, unknown>, path, 'annotation');
      else {
        out.issues.push({ path, message: 'must hold a netDevices list (array form) or map (map form)' });
        continue;
      }
    } else if (Array.isArray(v)) parsed = parseNriList(v, path);
    else {
      out.issues.push({ path, message: 'must hold a YAML list of {name, new_name, address, prefix, mtu}' });
      continue;
    }
    out.entries.push(...parsed.entries);
    out.issues.push(...parsed.issues);
  }
  return out;
}
