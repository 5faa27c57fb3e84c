/** Semantic rules for DraNet's NetworkConfig, applied to one entry. */
import type { ValidationIssue } from '../errors.js';
import type { Entry, SizeField } from './entry.js';
import { SIZE_FIELDS } from './entry.js';
import { parseCidr, parseIp, formatIp } from './ip.js';
import { child } from './json-path.js';
import { GRO_MAX, GSO_MAX, MTU_MAX, MTU_MIN } from './limits.js';
import { parseMac } from './mac.js';
import type { Cidr } from './model.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

export type Report = (path: string, message: string) => void;

export function checkMtu(v: unknown, path: string, report: Report): number | undefined {
  if (!isInt(v)) return undefined; // the schema reports the type
  if (v < MTU_MIN || v > MTU_MAX) {
    report(path, `MTU ${v} is out of range ${MTU_MIN}..${MTU_MAX}`);
    return undefined;
  }
  return v;
}

/** Host bits must be clear in a route destination. */
function networkOf(c: Cidr): Cidr {
  const bytes = Uint8Array.from(c.bytes);
  for (let i = 0; i < bytes.length; i++) {
    const bits = Math.max(0, Math.min(8, c.prefixLength - i * 8));
    bytes[i]! &= (0xff << (8 - bits)) & 0xff;
  }
  return { family: c.family, bytes, prefixLength: c.prefixLength, text: formatIp(bytes) };
}

export function applyNetworkConfig(entry: Entry, nc: unknown, path: string, report: Report): void {
  if (!isObj(nc)) return;
  const iface = nc.interface;
  if (isObj(iface)) readInterface(entry, iface, child(path, 'interface'), report);
  if (Array.isArray(nc.routes)) readRoutes(entry, nc.routes, child(path, 'routes'), report);
  const eth = nc.ethtool;
  if (isObj(eth)) {
    const epath = child(path, 'ethtool');
    for (const key of ['features', 'privateFlags'] as const) {
      const m = eth[key];
      if (!isObj(m)) continue;
      for (const [name, val] of Object.entries(m)) {
        const p = child(child(epath, key), name);
        if (name.trim() === '') report(p, `${key === 'features' ? 'feature' : 'private flag'} names must not be empty`);
        else if (typeof val === 'boolean') entry[key][name] = { value: val, path: p };
      }
    }
  }
}

function readInterface(entry: Entry, iface: Obj, path: string, report: Report): void {
  if (typeof iface.name === 'string') {
    const p = child(path, 'name');
    if (entry.containerName !== undefined && entry.containerName.value !== iface.name) {
      report(p, `interface name ${JSON.stringify(iface.name)} contradicts ${entry.containerName.path} = ${JSON.stringify(entry.containerName.value)}`);
    } else entry.containerName = { value: iface.name, path: p };
  }
  if (Array.isArray(iface.addresses)) {
    iface.addresses.forEach((a, i) => {
      const p = child(child(path, 'addresses'), i);
      if (typeof a !== 'string') return;
      const c = parseCidr(a);
      if (c === undefined) report(p, `${JSON.stringify(a)} is not an address in CIDR notation (e.g. 192.0.2.10/24 or 2001:db8::10/64)`);
      else entry.addresses.push({ value: c, path: p });
    });
  }
  if (iface.mtu !== undefined) {
    const p = child(path, 'mtu');
    const mtu = checkMtu(iface.mtu, p, report);
    if (mtu !== undefined) setOnce(entry, 'mtu', mtu, p, report);
  }
  if (typeof iface.hardwareAddr === 'string') {
    const p = child(path, 'hardwareAddr');
    const { mac, error } = parseMac(iface.hardwareAddr);
    if (error !== undefined) report(p, error);
    else entry.hardwareAddr = { value: mac!, path: p };
  }
  for (const f of SIZE_FIELDS) {
    const v = iface[f];
    if (!isInt(v)) continue;
    const p = child(path, f);
    const max = f.startsWith('gso') ? GSO_MAX : GRO_MAX;
    if (v < 1 || v > max) report(p, `${f} ${v} is out of range 1..${max}`);
    else entry[f] = { value: v, path: p };
  }
}

function setOnce(entry: Entry, field: 'mtu' | SizeField, value: number, path: string, report: Report): void {
  const prev = entry[field];
  if (prev !== undefined && prev.value !== value) report(path, `${field} ${value} contradicts ${prev.path} = ${prev.value}`);
  else entry[field] = { value, path };
}

function readRoutes(entry: Entry, routes: unknown[], path: string, report: Report): void {
  routes.forEach((r, i) => {
    const p = child(path, i);
    if (!isObj(r) || typeof r.destination !== 'string') return;
    const dst = parseCidr(r.destination);
    if (dst === undefined) {
      report(child(p, 'destination'), `${JSON.stringify(r.destination)} is not a network in CIDR notation`);
      return;
    }
    const net = networkOf(dst);
    if (net.text !== dst.text) {
      report(child(p, 'destination'), `${r.destination} has host bits set; did you mean ${net.text}/${net.prefixLength}?`);
      return;
    }
    const scope = r.scope === undefined ? 0 : r.scope;
    if (scope !== 0 && scope !== 253) {
      report(child(p, 'scope'), `scope ${JSON.stringify(scope)} is not allowed: use 0 (universe) or 253 (link)`);
      return;
    }
    let ok = true;
    const addr = (key: 'gateway' | 'source'): ReturnType<typeof parseIp> => {
      const v = r[key];
      if (typeof v !== 'string') return undefined;
      const ip = parseIp(v);
      if (ip === undefined) {
        report(child(p, key), `${JSON.stringify(v)} is not an IP address`);
        ok = false;
      } else if (ip.family !== dst.family) {
        report(child(p, key), `${key} ${v} is IPv${ip.family} but destination ${r.destination} is IPv${dst.family}`);
        ok = false;
      }
      return ip;
    };
    const gateway = addr('gateway');
    const source = addr('source');
    if (scope === 0 && r.gateway === undefined) {
      report(child(p, 'gateway'), 'a gateway is required for a route of universe scope (0); use scope 253 for an on-link route');
      ok = false;
    }
    if (scope === 253 && r.gateway !== undefined) {
      report(child(p, 'gateway'), 'a route of link scope (253) must not have a gateway');
      ok = false;
    }
    if (!ok) return;
    const route: RouteSpecOut = { destination: net, scope: scope as 0 | 253, path: p };
    if (gateway !== undefined) route.gateway = gateway;
    if (source !== undefined) route.source = source;
    entry.routes.push(route);
  });
}

type RouteSpecOut = Entry['routes'][number];
