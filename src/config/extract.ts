/**
 * From a config.json (and annotations) to validated DeviceSpecs. Every
 * problem is collected, each naming its JSON path and device; nothing here
 * touches the kernel.
 */
import { ValidationError, type ValidationIssue } from '../errors.js';
import { isDeviceAnnotation, parseAnnotations } from './annotations.js';
import type { Entry, Valued } from './entry.js';
import { SIZE_FIELDS } from './entry.js';
import { isTemplate, validIfName, validTemplate } from './ifname.js';
import { MAX_ADDRESSES_PER_DEVICE, MAX_DEVICES, MAX_ROUTES_PER_DEVICE } from './limits.js';
import type { DeviceSpec } from './model.js';
import { type Parsed, parseArrayForm, parseMapForm } from './shapes.js';

export interface ExtractOptions {
  /** Annotations to read; when omitted, config.annotations. */
  annotations?: Record<string, string>;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function stringAnnotations(config: unknown): Record<string, string> {
  const ann = isObj(config) ? config.annotations : undefined;
  const out: Record<string, string> = {};
  if (isObj(ann)) for (const [k, v] of Object.entries(ann)) if (typeof v === 'string') out[k] = v;
  return out;
}

/** Cheap: does this config ask for any device at all? Loads no validator. */
export function requestsDevices(config: unknown, annotations?: Record<string, string>): boolean {
  if (!isObj(config)) return false;
  const linux = config.linux;
  if (isObj(linux)) {
    for (const key of ['netDevices', 'netdevices']) {
      const v = linux[key];
      if (Array.isArray(v) ? v.length > 0 : isObj(v) && Object.keys(v).length > 0) return true;
    }
  }
  return Object.keys(annotations ?? stringAnnotations(config)).some(isDeviceAnnotation);
}

function fromConfig(config: Obj): Parsed {
  const linux = config.linux;
  if (!isObj(linux)) return { entries: [], issues: [] };
  const present = ['netDevices', 'netdevices'].filter((k) => linux[k] !== undefined);
  if (present.length === 2) {
    return { entries: [], issues: [{ path: 'linux.netdevices', message: 'linux.netDevices and its alias linux.netdevices are both set; use one' }] };
  }
  const key = present[0];
  if (key === undefined) return { entries: [], issues: [] };
  const v = linux[key];
  const base = `linux.${key}`;
  if (Array.isArray(v)) return parseArrayForm(v, base, 'config');
  if (isObj(v)) return parseMapForm(v, base, 'config');
  return { entries: [], issues: [{ path: base, message: 'must be an array (proposal form) or an object (runtime-spec map form)' }] };
}

export function collectIssues(config: unknown, opts: ExtractOptions = {}): { devices: DeviceSpec[]; issues: ValidationIssue[] } {
  if (!isObj(config)) return { devices: [], issues: [{ path: '', message: 'config must be a JSON object' }] };
  const parts = [fromConfig(config), parseAnnotations(opts.annotations ?? stringAnnotations(config))];
  const entries = parts.flatMap((p) => p.entries);
  const issues = parts.flatMap((p) => p.issues);
  if (entries.length === 0 && issues.length === 0) return { devices: [], issues };
  if (entries.length > MAX_DEVICES) issues.push({ path: 'linux.netDevices', message: `${entries.length} devices requested, at most ${MAX_DEVICES} allowed` });

  checkNetworkNamespace(config, issues);
  const devices = merge(entries, issues);
  checkNames(devices, entries, issues);
  return { devices: issues.length === 0 ? devices : [], issues };
}

export function extractDevices(config: unknown, opts: ExtractOptions = {}): DeviceSpec[] {
  let result: { devices: DeviceSpec[]; issues: ValidationIssue[] };
  try {
    result = collectIssues(config, opts);
  } catch (e) {
    // Input so odd that a rule tripped over it: still a validation error, never a crash.
    throw new ValidationError([{ path: '', message: `unreadable netDevices config: ${(e as Error).message}` }]);
  }
  if (result.issues.length > 0) throw new ValidationError(result.issues);
  return result.devices;
}

function checkNetworkNamespace(config: Obj, issues: ValidationIssue[]): void {
  const linux = isObj(config.linux) ? config.linux : {};
  const ns = linux.namespaces;
  const has = Array.isArray(ns) && ns.some((n) => isObj(n) && n.type === 'network');
  if (!has) issues.push({ path: 'linux.namespaces', message: 'netDevices needs a network namespace of its own: add {"type": "network"}' });
}

/** Entries naming the same host device: config + annotation merge; two in one source is a duplicate. */
function merge(entries: Entry[], issues: ValidationIssue[]): DeviceSpec[] {
  const byHost = new Map<string, Entry[]>();
  for (const e of entries) {
    const list = byHost.get(e.hostName) ?? [];
    list.push(e);
    byHost.set(e.hostName, list);
  }
  const out: DeviceSpec[] = [];
  for (const [host, group] of byHost) {
    const report = (path: string, message: string): void => {
      issues.push({ path, device: host, message });
    };
    for (const source of ['config', 'annotation'] as const) {
      const same = group.filter((e) => e.source === source);
      for (const dup of same.slice(1)) report(dup.path, `host device ${JSON.stringify(host)} is listed twice (first at ${same[0]!.path})`);
    }
    const first = group[0]!;
    const spec: DeviceSpec = {
      path: first.path,
      hostName: host,
      containerName: host,
      addresses: [],
      routes: [],
      ethtool: { features: {}, privateFlags: {} },
      source: group.some((e) => e.source === 'config') ? 'config' : 'annotation',
    };
    const scalar = <T>(field: string, pick: (e: Entry) => Valued<T> | undefined): T | undefined => {
      let chosen: Valued<T> | undefined;
      for (const e of group) {
        const v = pick(e);
        if (v === undefined) continue;
        if (chosen !== undefined && chosen.value !== v.value) report(v.path, `${field} ${JSON.stringify(v.value)} contradicts ${chosen.path} = ${JSON.stringify(chosen.value)}`);
        else chosen ??= v;
      }
      return chosen?.value;
    };
    spec.containerName = scalar('name', (e) => e.containerName) ?? host;
    const mtu = scalar('mtu', (e) => e.mtu);
    if (mtu !== undefined) spec.mtu = mtu;
    const mac = scalar('hardwareAddr', (e) => e.hardwareAddr);
    if (mac !== undefined) spec.hardwareAddr = mac;
    for (const f of SIZE_FIELDS) {
      const v = scalar(f, (e) => e[f]);
      if (v !== undefined) spec[f] = v;
    }
    const seen = new Set<string>();
    for (const e of group) {
      for (const a of e.addresses) {
        const key = `${a.value.text}/${a.value.prefixLength}`;
        if (!seen.has(key)) {
          seen.add(key);
          spec.addresses.push(a.value);
        }
      }
      spec.routes.push(...e.routes);
      for (const kind of ['features', 'privateFlags'] as const) {
        for (const [name, v] of Object.entries(e[kind])) {
          const prev = spec.ethtool[kind][name];
          if (prev !== undefined && prev !== v.value) report(v.path, `${name} ${v.value} contradicts another entry for this device`);
          else spec.ethtool[kind][name] = v.value;
        }
      }
    }
    if (spec.addresses.length > MAX_ADDRESSES_PER_DEVICE) report(first.path, `${spec.addresses.length} addresses, at most ${MAX_ADDRESSES_PER_DEVICE} allowed`);
    if (spec.routes.length > MAX_ROUTES_PER_DEVICE) report(first.path, `${spec.routes.length} routes, at most ${MAX_ROUTES_PER_DEVICE} allowed`);
    for (const r of spec.routes) {
      if (r.gateway !== undefined && !spec.addresses.some((a) => a.family === r.gateway!.family)) {
        report(`${r.path}.gateway`, `gateway ${r.gateway.text} cannot be reached: the device gets no IPv${r.gateway.family} address`);
      }
    }
    out.push(spec);
  }
  return out;
}

function checkNames(devices: DeviceSpec[], entries: Entry[], issues: ValidationIssue[]): void {
  const pathOf = (d: DeviceSpec): { host: string; ctr: string } => {
    const e = entries.find((x) => x.hostName === d.hostName && x.containerName !== undefined);
    // Array-form entries name the host device in `.name`; map-form entries in their key.
    return { host: /\[[0-9]+\]$/.test(d.path) ? `${d.path}.name` : d.path, ctr: e?.containerName?.path ?? d.path };
  };
  const byCtr = new Map<string, DeviceSpec>();
  for (const d of devices) {
    const p = pathOf(d);
    const hostWhy = validIfName(d.hostName);
    if (hostWhy !== undefined) issues.push({ path: p.host, device: d.hostName, message: `host interface name ${JSON.stringify(d.hostName)} ${hostWhy}` });
    else if (d.hostName.includes('%')) issues.push({ path: p.host, device: d.hostName, message: 'a "%d" template is only allowed in the container-side name' });
    const ctrWhy = validIfName(d.containerName) ?? validTemplate(d.containerName);
    if (ctrWhy !== undefined) issues.push({ path: p.ctr, device: d.hostName, message: `container interface name ${JSON.stringify(d.containerName)} ${ctrWhy}` });
    if (isTemplate(d.containerName)) continue;
    const prev = byCtr.get(d.containerName);
    if (prev !== undefined) issues.push({ path: p.ctr, device: d.hostName, message: `container interface name ${JSON.stringify(d.containerName)} is also used by host device ${JSON.stringify(prev.hostName)}` });
    else byCtr.set(d.containerName, d);
  }
}
