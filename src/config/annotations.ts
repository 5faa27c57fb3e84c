/**
 * Device lists carried in annotations, for engines that cannot write
 * linux.netDevices (podman, CRI-O, containerd): our own key, holding either
 * netDevices shape as JSON or YAML, and the containerd NRI injector's keys.
 */
import { createRequire } from 'node:module';
import type { ValidationIssue } from '../errors.js';
import { findDuplicateKey } from './duplicate-keys.js';
import { member } from './json-path.js';
import { MAX_ANNOTATION_BYTES } from './limits.js';
import { type Parsed, parseArrayForm, parseMapForm, parseNriList } from './shapes.js';

export const DEVICES_ANNOTATION = 'oci-netdevices.io/devices';
/** CNI attachments (src/cni/): a list of {ifName, config} run through their plugins. */
export const CNI_ANNOTATION = 'oci-netdevices.io/cni';
/** The NRI network-device-injector reads these keys (its README's plural `netdevices.noderesource.dev` matches nothing in its code). */
export const NRI_ANNOTATIONS: readonly string[] = ['netdevices.nri.containerd.io', 'netdevices.nri.containerd.io/pod', 'netdevice.noderesource.dev', 'netdevice.noderesource.dev/pod'];

export function isDeviceAnnotation(key: string): boolean {
  return key === DEVICES_ANNOTATION || NRI_ANNOTATIONS.includes(key);
}

/** An empty or blank value asks for nothing (as in the NRI plugin). */
export function isBlank(text: string): boolean {
  return text.trim() === '';
}

type Decoded = { ok: true; value: unknown } | { ok: false };

/** An annotation value as JSON, else YAML, bounded in size; a problem becomes an issue at `path`. */
export function decode(text: string, path: string, issues: ValidationIssue[]): Decoded {
  const size = Buffer.byteLength(text, 'utf8');
  if (size > MAX_ANNOTATION_BYTES) {
    issues.push({ path, message: `annotation value is ${size} bytes, at most ${MAX_ANNOTATION_BYTES} allowed` });
    return { ok: false };
  }
  let json: { value: unknown } | undefined;
  try {
    json = { value: JSON.parse(text) as unknown };
  } catch {
    // not JSON: YAML then (a superset of JSON)
  }
  if (json !== undefined) {
    // The YAML parser refuses a repeated key; JSON.parse would keep the last one, silently.
    const dup = findDuplicateKey(text, path);
    if (dup === undefined) return { ok: true, value: json.value };
    issues.push({ path: dup, message: 'duplicate key (JSON keeps only the last one, silently)' });
    return { ok: false };
  }
  try {
    return { ok: true, value: parseYaml(text) };
  } catch (e) {
    const first = e instanceof Error ? (e.message.split('\n')[0] ?? '') : String(e);
    issues.push({ path, message: `is neither valid JSON nor valid YAML: ${first}` });
    return { ok: false };
  }
}

interface YamlDocument {
  errors: Error[];
  warnings: Error[];
  toJS(opts: { maxAliasCount: number }): unknown;
}
interface YamlModule {
  parseDocument(text: string, opts: { prettyErrors: boolean; logLevel: 'silent' }): YamlDocument;
}

/**
 * The YAML parser is loaded only when an annotation really is YAML. Its
 * warnings (an unknown tag, say) are refused like its errors: printed by
 * Node they would break the hook's one stderr line, and they mean the value
 * is not what its writer thought.
 */
function parseYaml(text: string): unknown {
  const yaml = createRequire(import.meta.url)('yaml') as YamlModule;
  const doc = yaml.parseDocument(text, { prettyErrors: true, logLevel: 'silent' });
  const problem = doc.errors[0] ?? doc.warnings[0];
  if (problem !== undefined) throw problem;
  return doc.toJS({ maxAliasCount: 100 });
}

/** `raw`: the annotations object as found (values of any type); only our keys are read. */
export function parseAnnotations(raw: Record<string, unknown>): Parsed {
  const out: Parsed = { entries: [], issues: [] };
  for (const [key, text] of Object.entries(raw)) {
    if (!isDeviceAnnotation(key)) continue;
    const path = member('annotations', key);
    if (typeof text !== 'string') {
      out.issues.push({ path, message: `annotation values must be strings, got ${text === null ? 'null' : Array.isArray(text) ? 'an array' : typeof text}` });
      continue;
    }
    if (isBlank(text)) continue;
    const decoded = decode(text, path, out.issues);
    if (!decoded.ok) continue;
    const v = decoded.value;
    let parsed: Parsed;
    if (key === DEVICES_ANNOTATION) {
      if (Array.isArray(v)) parsed = parseArrayForm(v, path, 'annotation');
      else if (typeof v === 'object' && v !== null) parsed = parseMapForm(v as Record<string, unknown>, path, 'annotation');
      else {
        out.issues.push({ path, message: `must hold a netDevices list (array form) or map (map form), got ${v === null ? 'null' : typeof v}` });
        continue;
      }
    } else if (Array.isArray(v)) parsed = parseNriList(v, path);
    else {
      out.issues.push({ path, message: `must hold a YAML list of {name, new_name, address, prefix, mtu}, got ${v === null ? 'null' : typeof v}` });
      continue;
    }
    out.entries.push(...parsed.entries);
    out.issues.push(...parsed.issues);
  }
  return out;
}
