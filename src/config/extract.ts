/**
 * From a config.json (and annotations) to validated DeviceSpecs. Every
 * problem is collected, each naming its JSON path and device; nothing here
 * touches the kernel.
 */
import { ValidationError, type ValidationIssue } from '../errors.js';
import { CNI_ANNOTATION, isBlank, isDeviceAnnotation, parseAnnotations } from './annotations.js';
import { MAX_DEVICES } from './limits.js';
import { checkDranetDevices } from './dranet-rules.js';
import { mergeEntries } from './merge.js';
import type { DeviceSpec } from './model.js';
import { checkNames, checkRouteSources } from './names.js';
import { SchemaLoadError } from './schema-check.js';
import { type Parsed, parseArrayForm, parseMapForm } from './shapes.js';
import { cdiEntries } from '../cdi/entries.js';

/** Prefix of the issue reported when a rule itself failed on odd input (tests look for it: it means a bug). */
export const UNREADABLE = 'unreadable netDevices config';

export interface ExtractOptions {
  /** Annotations to read; when omitted, config.annotations. */
  annotations?: Record<string, string>;
  /** Host interfaces asked for as CDI devices (src/cdi/): each one as an entry without configuration. */
  cdiDevices?: readonly string[];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const KEYS = ['netDevices', 'netdevices'] as const;

function annotationsOf(config: unknown, opts: ExtractOptions): Obj {
  if (opts.annotations !== undefined) return isObj(opts.annotations) ? opts.annotations : {};
  return isObj(config) && isObj(config.annotations) ? config.annotations : {};
}

/**
 * Cheap: does this config ask for any device at all? Loads neither the
 * validators nor the YAML parser. Anything extractDevices() would reject
 * counts as a request, so that validation reports it (a malformed or null
 * `netDevices`, both spellings at once); `[]`, `{}` and blank annotations do not.
 */
export function requestsDevices(config: unknown, annotations?: Record<string, string>): boolean {
  if (!isObj(config)) return false;
  const linux = config.linux;
  if (isObj(linux)) {
    const present = KEYS.filter((k) => linux[k] !== undefined);
    if (present.length > 1) return true;
    for (const key of present) {
      const v = linux[key];
      if (Array.isArray(v) ? v.length > 0 : isObj(v) ? Object.keys(v).length > 0 : true) return true;
    }
  }
  const ann = annotationsOf(config, annotations === undefined ? {} : { annotations });
  // CNI attachments (src/cni/) count as a request too: the same hooks run them.
  return Object.entries(ann).some(([k, v]) => (isDeviceAnnotation(k) || k === CNI_ANNOTATION) && !(typeof v === 'string' && isBlank(v)));
}

function fromConfig(config: Obj): Parsed {
  const linux = config.linux;
  if (linux === undefined) return { entries: [], issues: [] };
  if (!isObj(linux)) {
    // Only our business when it hides a device request; the runtime rejects it anyway.
    return { entries: [], issues: [] };
  }
  const present = KEYS.filter((k) => linux[k] !== undefined);
  if (present.length === 2) {
    return { entries: [], issues: [{ path: 'linux.netdevices', message: 'linux.netDevices and its alias linux.netdevices are both set; use one' }] };
  }
  const key = present[0];
  if (key === undefined) return { entries: [], issues: [] };
  const v = linux[key];
  const base = `linux.${key}`;
  if (Array.isArray(v)) return parseArrayForm(v, base, 'config');
  if (isObj(v)) return parseMapForm(v, base, 'config');
  const got = v === null ? 'null' : typeof v;
  return { entries: [], issues: [{ path: base, message: `must be an array (proposal form) or an object keyed by host interface name (runtime-spec map form), got ${got}` }] };
}

function checkNetworkNamespace(config: Obj, issues: ValidationIssue[]): void {
  const linux = isObj(config.linux) ? config.linux : {};
  const ns = linux.namespaces;
  const has = Array.isArray(ns) && ns.some((n) => isObj(n) && n.type === 'network');
  if (!has) issues.push({ path: 'linux.namespaces', message: 'netDevices needs a network namespace of its own: add {"type": "network"} to linux.namespaces' });
}

function collect(config: unknown, opts: ExtractOptions): { devices: DeviceSpec[]; issues: ValidationIssue[] } {
  if (!isObj(config)) {
    if (opts.annotations === undefined) return { devices: [], issues: [{ path: '', message: `config must be a JSON object, got ${config === null ? 'null' : Array.isArray(config) ? 'an array' : typeof config}` }] };
    config = {};
  }
  const cfg = config as Obj;
  const parts = [fromConfig(cfg), parseAnnotations(annotationsOf(cfg, opts)), cdiEntries(opts.cdiDevices ?? [])];
  const entries = parts.flatMap((p) => p.entries);
  const issues = parts.flatMap((p) => p.issues);
  if (entries.length === 0 && issues.length === 0) return { devices: [], issues };
  checkNetworkNamespace(cfg, issues);
  const devices = mergeEntries(entries, issues);
  if (devices.length > MAX_DEVICES) issues.push({ path: 'linux.netDevices', message: `${devices.length} devices requested in all, at most ${MAX_DEVICES} allowed` });
  checkNames(devices, entries, issues);
  checkRouteSources(devices, issues);
  checkDranetDevices(devices, issues);
  return { devices: issues.length === 0 ? devices : [], issues };
}

/** Same checks as extractDevices, never throws for bad input: every issue found, and the devices when there is none. */
export function collectIssues(config: unknown, opts: ExtractOptions = {}): { devices: DeviceSpec[]; issues: ValidationIssue[] } {
  try {
    return collect(config, opts);
  } catch (e) {
    if (e instanceof SchemaLoadError) throw e; // a build fault, not the input's
    // Input so deep or odd that a rule tripped over it: still a validation problem, never a crash.
    return { devices: [], issues: [{ path: '', message: `${UNREADABLE}: ${e instanceof Error ? e.message : String(e)}` }] };
  }
}

/** Validate and normalize; throws ValidationError carrying every issue. Returns [] when nothing is requested. */
export function extractDevices(config: unknown, opts: ExtractOptions = {}): DeviceSpec[] {
  const result = collectIssues(config, opts);
  if (result.issues.length > 0) throw new ValidationError(result.issues);
  return result.devices;
}
