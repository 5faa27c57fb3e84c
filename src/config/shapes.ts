/** The two `linux.netDevices` shapes (and the NRI annotation list) turned into entries. */
import type { ValidationIssue } from '../errors.js';
import { type Entry, type Report, type Source, emptyEntry } from './entry.js';
import { parseIp } from './ip.js';
import { child, member } from './json-path.js';
import { MAX_DEVICES, MTU_MAX, MTU_MIN } from './limits.js';
import { maskToPrefix } from './mask.js';
import { addAddress, applyNetworkConfig, setScalar, validMtu } from './network-config.js';
import { checkSchema } from './schema-check.js';
import { schemaIssues } from './schema-issues.js';

export { maskToPrefix } from './mask.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface Parsed {
  entries: Entry[];
  issues: ValidationIssue[];
}

/** The host name of the array entry a pointer (`/3/...`) falls in. */
const arrayNameAt =
  (list: unknown[]) =>
  (pointer: string): string | undefined => {
    const idx = /^\/([0-9]+)/.exec(pointer)?.[1];
    const e = idx === undefined ? undefined : list[Number(idx)];
    return isObj(e) && typeof e.name === 'string' ? e.name : undefined;
  };

const reporter =
  (issues: ValidationIssue[], device: string): Report =>
  (path, message) => {
    issues.push({ path, device, message });
  };

/** Proposal's array form: [{name, properties: {name, address, mask, mtu}, networkConfig}]. */
export function parseArrayForm(list: unknown[], base: string, source: Source): Parsed {
  const issues = schemaIssues(checkSchema('arrayForm', list), base, false, arrayNameAt(list));
  const entries: Entry[] = [];
  if (list.length > MAX_DEVICES) return { entries, issues };
  list.forEach((raw, i) => {
    if (!isObj(raw) || typeof raw.name !== 'string') return;
    const path = child(base, i);
    const entry = emptyEntry(path, child(path, 'name'), raw.name, source, base);
    const report = reporter(issues, raw.name);
    if (isObj(raw.properties)) readProperties(entry, raw.properties, child(path, 'properties'), report);
    applyNetworkConfig(entry, raw.networkConfig, child(path, 'networkConfig'), report);
    entries.push(entry);
  });
  return { entries, issues };
}

function readProperties(entry: Entry, props: Obj, path: string, report: Report): void {
  if (typeof props.name === 'string') entry.containerName = { value: props.name, path: child(path, 'name') };
  const hasAddr = props.address !== undefined;
  const hasMask = props.mask !== undefined;
  if (hasAddr && !hasMask) report(child(path, 'mask'), 'is required when address is given (a dotted-quad netmask or a prefix length)');
  if (hasMask && !hasAddr) report(child(path, 'address'), 'is required when mask is given');
  if (typeof props.address === 'string') {
    const ip = parseIp(props.address);
    if (ip === undefined) report(child(path, 'address'), `${JSON.stringify(props.address)} is not an IPv4 or IPv6 address (give the prefix in mask, not here)`);
    else if (typeof props.mask === 'string' || Number.isInteger(props.mask)) {
      const plen = maskToPrefix(props.mask, ip.family);
      if (typeof plen === 'string') report(child(path, 'mask'), plen);
      else addAddress(entry, { ...ip, prefixLength: plen }, child(path, 'address'), report);
    }
  }
  if (validMtu(props.mtu)) setScalar(entry, 'mtu', props.mtu, child(path, 'mtu'), report);
}

/** runtime-spec v1.3.0 map form: {"<host>": {name, networkConfig}}. */
export function parseMapForm(map: Obj, base: string, source: Source): Parsed {
  const keys = Object.keys(map);
  const keyAt = (pointer: string): string | undefined => {
    const seg = /^\/([^/]*)/.exec(pointer)?.[1];
    return seg === undefined ? undefined : seg.replace(/~1/g, '/').replace(/~0/g, '~');
  };
  const issues = schemaIssues(checkSchema('mapForm', map), base, true, keyAt);
  const entries: Entry[] = [];
  if (keys.length > MAX_DEVICES) return { entries, issues };
  for (const host of keys) {
    const raw = map[host];
    const path = member(base, host);
    const entry = emptyEntry(path, path, host, source, base);
    const report = reporter(issues, host);
    if (isObj(raw)) {
      if (typeof raw.name === 'string') entry.containerName = { value: raw.name, path: child(path, 'name') };
      // Other unknown keys are ignored (the spec may add some), but this one is a mix-up that would
      // silently drop the addresses and MTU the user asked for.
      if (raw.properties !== undefined) report(child(path, 'properties'), '"properties" belongs to the array form; in the map form give addresses and MTU in "networkConfig.interface"');
      applyNetworkConfig(entry, raw.networkConfig, child(path, 'networkConfig'), report);
    }
    entries.push(entry);
  }
  return { entries, issues };
}

/** containerd NRI network-device-injector: [{name, new_name, address, prefix, mtu}]; empty strings and mtu 0 mean unset, as in its Go struct. */
export function parseNriList(list: unknown[], base: string): Parsed {
  const issues = schemaIssues(checkSchema('nri', list), base, false, arrayNameAt(list));
  const entries: Entry[] = [];
  if (list.length > MAX_DEVICES) return { entries, issues };
  list.forEach((raw, i) => {
    if (!isObj(raw) || typeof raw.name !== 'string') return;
    const path = child(base, i);
    const entry = emptyEntry(path, child(path, 'name'), raw.name, 'annotation', base);
    const report = reporter(issues, raw.name);
    if (typeof raw.new_name === 'string' && raw.new_name !== '') entry.containerName = { value: raw.new_name, path: child(path, 'new_name') };
    readNriAddress(entry, raw, path, report);
    if (typeof raw.mtu === 'number' && raw.mtu > 0 && raw.mtu < MTU_MIN) report(child(path, 'mtu'), `${raw.mtu} is out of range (allowed: ${MTU_MIN}..${MTU_MAX}, or 0 for unset)`);
    else if (validMtu(raw.mtu)) setScalar(entry, 'mtu', raw.mtu, child(path, 'mtu'), report);
    entries.push(entry);
  });
  return { entries, issues };
}

function readNriAddress(entry: Entry, raw: Obj, path: string, report: Report): void {
  const hasAddr = typeof raw.address === 'string' && raw.address !== '';
  if (!hasAddr) {
    if (raw.prefix !== undefined && raw.prefix !== 0 && raw.prefix !== '') report(child(path, 'address'), 'is required when prefix is given');
    return;
  }
  const text = raw.address as string;
  const ip = parseIp(text);
  if (ip === undefined) {
    report(child(path, 'address'), `${JSON.stringify(text)} is not an IPv4 or IPv6 address (the prefix length goes in prefix)`);
    return;
  }
  if (raw.prefix === undefined) {
    report(child(path, 'prefix'), 'is required when address is given (a prefix length)');
    return;
  }
  if (typeof raw.prefix !== 'number' && typeof raw.prefix !== 'string') return; // the schema reports it
  const plen = typeof raw.prefix === 'number' || /^[0-9]+$/.test(raw.prefix) ? maskToPrefix(raw.prefix, ip.family) : `${JSON.stringify(raw.prefix)} is not a prefix length (0..${ip.family === 4 ? 32 : 128})`;
  if (typeof plen === 'string') report(child(path, 'prefix'), plen);
  else addAddress(entry, { ...ip, prefixLength: plen }, child(path, 'address'), report);
}
