/** The two `linux.netDevices` shapes (and the NRI annotation list) turned into entries. */
import type { ValidationIssue } from '../errors.js';
import { type Entry, emptyEntry } from './entry.js';
import { parseIp } from './ip.js';
import { child, fromPointer } from './json-path.js';
import { MAX_DEVICES } from './limits.js';
import { applyNetworkConfig, checkMtu } from './network-config.js';
import { type SchemaError, checkSchema } from './schema-check.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface Parsed {
  entries: Entry[];
  issues: ValidationIssue[];
}

function schemaIssues(errors: SchemaError[], base: string, deviceAt: (pointer: string) => string | undefined): ValidationIssue[] {
  return errors.map((e) => {
    let path = fromPointer(base, e.instancePath);
    let message = e.message ?? e.keyword;
    if (e.keyword === 'additionalProperties' && typeof e.params.additionalProperty === 'string') {
      path = child(path, e.params.additionalProperty);
      message = 'unknown field';
    } else if (e.keyword === 'required' && typeof e.params.missingProperty === 'string') {
      path = child(path, e.params.missingProperty);
      message = 'is required';
    } else if (e.keyword === 'maxItems' || e.keyword === 'maxProperties') {
      message = `too many entries (${message})`;
    }
    const issue: ValidationIssue = { path, message };
    const device = deviceAt(e.instancePath);
    if (device !== undefined) issue.device = device;
    return issue;
  });
}

/** Proposal's array form: [{name, properties: {name, address, mask, mtu}, networkConfig}]. */
export function parseArrayForm(list: unknown[], base: string, source: Entry['source']): Parsed {
  const nameAt = (pointer: string): string | undefined => {
    const idx = /^\/([0-9]+)/.exec(pointer)?.[1];
    const e = idx === undefined ? undefined : list[Number(idx)];
    return isObj(e) && typeof e.name === 'string' ? e.name : undefined;
  };
  const issues = schemaIssues(checkSchema('arrayForm', list), base, nameAt);
  const entries: Entry[] = [];
  if (list.length > MAX_DEVICES) return { entries, issues };
  list.forEach((raw, i) => {
    const path = child(base, i);
    if (!isObj(raw) || typeof raw.name !== 'string') return;
    const entry = emptyEntry(path, raw.name, source);
    const report = (p: string, message: string): void => {
      issues.push({ path: p, device: raw.name as string, message });
    };
    const props = raw.properties;
    if (isObj(props)) readProperties(entry, props, child(path, 'properties'), report);
    applyNetworkConfig(entry, raw.networkConfig, child(path, 'networkConfig'), report);
    entries.push(entry);
  });
  return { entries, issues };
}

function readProperties(entry: Entry, props: Obj, path: string, report: (p: string, m: string) => void): void {
  if (typeof props.name === 'string') entry.containerName = { value: props.name, path: child(path, 'name') };
  const hasAddr = props.address !== undefined;
  const hasMask = props.mask !== undefined;
  if (hasAddr && !hasMask) report(child(path, 'mask'), 'is required when address is given');
  if (hasMask && !hasAddr) report(child(path, 'address'), 'is required when mask is given');
  if (typeof props.address === 'string' && hasMask) {
    const ip = parseIp(props.address);
    if (ip === undefined) report(child(path, 'address'), `${JSON.stringify(props.address)} is not an IPv4 or IPv6 address`);
    else {
      const plen = maskToPrefix(props.mask, ip.family);
      if (typeof plen === 'string') report(child(path, 'mask'), plen);
      else entry.addresses.push({ value: { ...ip, prefixLength: plen }, path: child(path, 'address') });
    }
  }
  if (props.mtu !== undefined) {
    const mtu = checkMtu(props.mtu, child(path, 'mtu'), report);
    if (mtu !== undefined) entry.mtu = { value: mtu, path: child(path, 'mtu') };
  }
}

/** A mask as dotted quad (IPv4, contiguous) or prefix length (number or digits); a string is an error message. */
export function maskToPrefix(mask: unknown, family: 4 | 6): number | string {
  const max = family === 4 ? 32 : 128;
  if (typeof mask === 'number' || (typeof mask === 'string' && /^[0-9]+$/.test(mask))) {
    const n = Number(mask);
    if (!Number.isInteger(n) || n < 0 || n > max) return `prefix length ${JSON.stringify(mask)} is out of range 0..${max} for an IPv${family} address`;
    return n;
  }
  if (typeof mask !== 'string') return 'must be a dotted-quad netmask or a prefix length';
  if (family === 6) return `${JSON.stringify(mask)} is not a prefix length (0..128), as an IPv6 address needs`;
  const ip = parseIp(mask);
  if (ip === undefined || ip.family !== 4) return `${JSON.stringify(mask)} is neither a dotted-quad netmask nor a prefix length`;
  const bits = ip.bytes.reduce((acc, b) => acc * 256 + b, 0);
  const ones = bits.toString(2).padStart(32, '0');
  if (!/^1*0*$/.test(ones)) return `${JSON.stringify(mask)} is not a contiguous netmask`;
  return ones.indexOf('0') < 0 ? 32 : ones.indexOf('0');
}

/** runtime-spec v1.3.0 map form: {"<host>": {name, networkConfig}}. */
export function parseMapForm(map: Obj, base: string, source: Entry['source']): Parsed {
  const keys = Object.keys(map);
  const keyAt = (pointer: string): string | undefined => {
    const seg = /^\/([^/]*)/.exec(pointer)?.[1];
    return seg === undefined ? undefined : seg.replace(/~1/g, '/').replace(/~0/g, '~');
  };
  const issues = schemaIssues(checkSchema('mapForm', map), base, keyAt);
  const entries: Entry[] = [];
  if (keys.length > MAX_DEVICES) return { entries, issues };
  for (const host of keys) {
    const raw = map[host];
    const path = child(base, host);
    const entry = emptyEntry(path, host, source);
    const report = (p: string, message: string): void => {
      issues.push({ path: p, device: host, message });
    };
    if (isObj(raw)) {
      if (typeof raw.name === 'string') entry.containerName = { value: raw.name, path: child(path, 'name') };
      applyNetworkConfig(entry, raw.networkConfig, child(path, 'networkConfig'), report);
    }
    entries.push(entry);
  }
  return { entries, issues };
}

/** containerd NRI network-device-injector: [{name, new_name, address, prefix, mtu}]. */
export function parseNriList(list: unknown[], base: string): Parsed {
  const nameAt = (pointer: string): string | undefined => {
    const idx = /^\/([0-9]+)/.exec(pointer)?.[1];
    const e = idx === undefined ? undefined : list[Number(idx)];
    return isObj(e) && typeof e.name === 'string' ? e.name : undefined;
  };
  const issues = schemaIssues(checkSchema('nri', list), base, nameAt);
  const entries: Entry[] = [];
  if (list.length > MAX_DEVICES) return { entries, issues };
  list.forEach((raw, i) => {
    if (!isObj(raw) || typeof raw.name !== 'string') return;
    const path = child(base, i);
    const entry = emptyEntry(path, raw.name, 'annotation');
    const report = (p: string, message: string): void => {
      issues.push({ path: p, device: raw.name as string, message });
    };
    if (typeof raw.new_name === 'string' && raw.new_name !== '') entry.containerName = { value: raw.new_name, path: child(path, 'new_name') };
    if (typeof raw.address === 'string' && raw.address !== '') {
      const ip = parseIp(raw.address);
      if (ip === undefined) report(child(path, 'address'), `${JSON.stringify(raw.address)} is not an IP address`);
      else if (raw.prefix === undefined) report(child(path, 'prefix'), 'is required when address is given');
      else {
        const plen = typeof raw.prefix === 'number' || /^[0-9]+$/.test(String(raw.prefix)) ? maskToPrefix(raw.prefix, ip.family) : `prefix ${JSON.stringify(raw.prefix)} must be a prefix length`;
        if (typeof plen === 'string') report(child(path, 'prefix'), plen);
        else entry.addresses.push({ value: { ...ip, prefixLength: plen }, path: child(path, 'address') });
      }
    }
    if (raw.mtu !== undefined && raw.mtu !== 0) {
      const mtu = checkMtu(raw.mtu, child(path, 'mtu'), report);
      if (mtu !== undefined) entry.mtu = { value: mtu, path: child(path, 'mtu') };
    }
    entries.push(entry);
  });
  return { entries, issues };
}
