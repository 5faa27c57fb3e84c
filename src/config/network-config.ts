/**
 * Semantic rules for DraNet's NetworkConfig, applied to one entry. Types,
 * unknown fields and numeric ranges are the JSON Schema's job (their issues
 * come from schema-issues.ts); a value the schema refuses is skipped here.
 */
import { interfaceAddressProblem, isLoopback, networkOf } from './address-rules.js';
import type { Entry, Report } from './entry.js';
import { INTERFACE_FIELD_NAMES, INTERFACE_FIELDS, type InterfaceField, inRange } from './interface-fields.js';
import { parseCidr, parseIp } from './ip.js';
import { MAIN_TABLE, readInterfaceExtras, readNeighbors, readProfile, readRules } from './dranet-fields.js';
import { child, member } from './json-path.js';
import { parseMac } from './mac.js';
import type { IpAddress, RouteSpec } from './model.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

/** ETH_GSTRING_LEN is 32 bytes including the NUL. */
const ETH_GSTRING_MAX = 31;

export const validMtu = (v: unknown): v is number => inRange('mtu', v);

/** Sets a scalar of the entry once; a second, different value is a contradiction. */
export function setScalar(entry: Entry, field: InterfaceField, value: number | string, path: string, report: Report): void {
  const prev = entry[field] as { value: number | string; path: string } | undefined;
  if (prev !== undefined && prev.value !== value) {
    report(path, `${field} ${JSON.stringify(value)} contradicts ${prev.path} = ${JSON.stringify(prev.value)}`);
  } else if (prev === undefined) {
    (entry as unknown as Record<string, unknown>)[field] = { value, path };
  }
}

/** Adds an interface address, refusing the unassignable ones. */
export function addAddress(entry: Entry, c: IpAddress & { prefixLength: number }, path: string, report: Report): void {
  const why = interfaceAddressProblem(c);
  if (why !== undefined) report(path, why);
  else entry.addresses.push({ value: c, path });
}

export function applyNetworkConfig(entry: Entry, nc: unknown, path: string, report: Report): void {
  if (!isObj(nc)) return;
  readProfile(nc, path, report);
  if (isObj(nc.interface)) readInterface(entry, nc.interface, child(path, 'interface'), report);
  if (isObj(nc.interface)) readInterfaceExtras(entry, nc.interface, child(path, 'interface'), report);
  if (Array.isArray(nc.routes)) readRoutes(entry, nc.routes, child(path, 'routes'), report);
  if (Array.isArray(nc.rules)) readRules(entry, nc.rules, child(path, 'rules'), report);
  if (Array.isArray(nc.neighbors)) readNeighbors(entry, nc.neighbors, child(path, 'neighbors'), report);
  if (isObj(nc.ethtool)) readEthtool(entry, nc.ethtool, child(path, 'ethtool'), report);
}

function readInterface(entry: Entry, iface: Obj, path: string, report: Report): void {
  if (typeof iface.name === 'string') {
    const p = child(path, 'name');
    if (entry.containerName !== undefined && entry.containerName.value !== iface.name) {
      report(p, `interface name ${JSON.stringify(iface.name)} contradicts ${entry.containerName.path} = ${JSON.stringify(entry.containerName.value)}`);
    } else entry.containerName ??= { value: iface.name, path: p };
  }
  if (Array.isArray(iface.addresses)) {
    iface.addresses.forEach((a, i) => {
      const p = child(child(path, 'addresses'), i);
      if (typeof a !== 'string') return;
      const c = parseCidr(a);
      if (c === undefined) report(p, `${JSON.stringify(a)} is not an address in CIDR notation (e.g. 192.0.2.10/24 or 2001:db8::10/64; prefix 0..32 for IPv4, 0..128 for IPv6)`);
      else addAddress(entry, c, p, report);
    });
  }
  for (const f of INTERFACE_FIELD_NAMES) {
    const v = iface[f];
    const p = child(path, f);
    if (INTERFACE_FIELDS[f].kind === 'mac') {
      if (typeof v !== 'string') continue;
      const r = parseMac(v);
      if ('error' in r) report(p, r.error);
      else setScalar(entry, f, r.mac, p, report);
    } else if (inRange(f, v)) setScalar(entry, f, v, p, report);
  }
}

function readEthtool(entry: Entry, eth: Obj, path: string, report: Report): void {
  for (const key of ['features', 'privateFlags'] as const) {
    const m = eth[key];
    if (!isObj(m)) continue;
    const what = key === 'features' ? 'feature' : 'private flag';
    for (const [name, val] of Object.entries(m)) {
      const p = member(child(path, key), name);
      if (name.trim() === '') report(p, `${what} names must not be empty or blank, got ${JSON.stringify(name)}`);
      else if (Buffer.byteLength(name, 'utf8') > ETH_GSTRING_MAX) report(p, `${what} name is ${Buffer.byteLength(name, 'utf8')} bytes long; ethtool names have at most ${ETH_GSTRING_MAX}`);
      else if (typeof val === 'boolean') {
        const prev = entry[key].get(name);
        if (prev !== undefined && prev.value !== val) report(p, `${what} ${JSON.stringify(name)} = ${val} contradicts ${prev.path} = ${prev.value}`);
        else if (prev === undefined) entry[key].set(name, { value: val, path: p });
      }
    }
  }
}

function readRoutes(entry: Entry, routes: unknown[], path: string, report: Report): void {
  routes.forEach((r, i) => {
    const route = readRoute(r, child(path, i), report);
    if (route !== undefined) entry.routes.push(route);
  });
}

function readRoute(r: unknown, p: string, report: Report): RouteSpec | undefined {
  if (!isObj(r) || typeof r.destination !== 'string') return undefined;
  let ok = true;
  const dst = parseCidr(r.destination);
  if (dst === undefined) {
    report(child(p, 'destination'), `${JSON.stringify(r.destination)} is not a network in CIDR notation (e.g. 10.0.0.0/24, 0.0.0.0/0, 2001:db8::/64)`);
    ok = false;
  } else {
    const net = networkOf(dst);
    if (net.text !== dst.text) {
      report(child(p, 'destination'), `${r.destination} has host bits set beyond the /${dst.prefixLength} prefix; the network is ${net.text}/${net.prefixLength}`);
      ok = false;
    }
  }
  const rawScope = r.scope === undefined ? 0 : r.scope;
  if (rawScope !== 0 && rawScope !== 253) return undefined; // the schema reports it
  const scope: 0 | 253 = rawScope === 0 ? 0 : 253;
  const addr = (key: 'gateway' | 'source'): IpAddress | undefined => {
    const v = r[key];
    if (typeof v !== 'string') return undefined;
    const ip = parseIp(v);
    if (ip === undefined) {
      report(child(p, key), `${JSON.stringify(v)} is not an IP address`);
      ok = false;
    } else if (dst !== undefined && ip.family !== dst.family) {
      report(child(p, key), `${key} ${v} is IPv${ip.family} but destination ${r.destination} is IPv${dst.family}`);
      ok = false;
    }
    return ip;
  };
  const gateway = addr('gateway');
  const source = addr('source');
  if (gateway !== undefined && interfaceAddressProblem(gateway) !== undefined) {
    report(child(p, 'gateway'), `gateway ${gateway.text} is not a unicast address`);
    ok = false;
  }
  if (source !== undefined && (interfaceAddressProblem(source) !== undefined || isLoopback(source))) {
    report(child(p, 'source'), `source ${source.text} cannot be a preferred source address (unspecified, multicast or loopback)`);
    ok = false;
  }
  if (scope === 0 && r.gateway === undefined) {
    report(child(p, 'gateway'), 'a gateway is required for a route of universe scope (0, the default); use "scope": 253 for an on-link route');
    ok = false;
  }
  if (scope === 253 && r.gateway !== undefined) {
    report(child(p, 'gateway'), 'a route of link scope (253) must not have a gateway; drop it or use scope 0');
    ok = false;
  }
  if (r.table !== undefined && !(isInt(r.table) && r.table >= 0 && r.table <= 0xffffffff)) return undefined; // the schema reports it
  if (!ok || dst === undefined) return undefined;
  const route: RouteSpec = { destination: dst, scope, table: r.table === undefined || r.table === 0 ? MAIN_TABLE : r.table, path: p };
  if (r.table !== undefined && r.table !== 0) route.tablePath = child(p, 'table');
  if (gateway !== undefined) route.gateway = gateway;
  if (source !== undefined) route.source = source;
  return route;
}
