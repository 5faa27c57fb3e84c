/**
 * Entries naming the same host device are merged into one DeviceSpec: the
 * same host name twice in one document is a duplicate; across documents
 * (config.json and annotations) scalars must agree, addresses and routes are
 * unioned, ethtool names merged.
 */
import type { ValidationIssue } from '../errors.js';
import { cidrText, isIpv6LinkLocal } from './address-rules.js';
import { MAIN_TABLE } from './dranet-fields.js';
import { mergeDranetFields } from './dranet-rules.js';
import type { Entry, Report, Valued } from './entry.js';
import { INTERFACE_FIELD_NAMES } from './interface-fields.js';
import { MAX_ADDRESSES_PER_DEVICE, MAX_ROUTES_PER_DEVICE } from './limits.js';
import type { Cidr, DeviceSpec, RouteSpec } from './model.js';

/** Sets an own property even for a key like `__proto__`. */
function setOwn(rec: Record<string, boolean>, key: string, value: boolean): void {
  Object.defineProperty(rec, key, { value, enumerable: true, writable: true, configurable: true });
}

function groupByHost(entries: Entry[]): Map<string, Entry[]> {
  const byHost = new Map<string, Entry[]>();
  for (const e of entries) {
    const list = byHost.get(e.hostName);
    if (list === undefined) byHost.set(e.hostName, [e]);
    else list.push(e);
  }
  return byHost;
}

export function mergeEntries(entries: Entry[], issues: ValidationIssue[]): DeviceSpec[] {
  const out: DeviceSpec[] = [];
  for (const [host, group] of groupByHost(entries)) {
    const report: Report = (path, message) => {
      issues.push({ path, device: host, message });
    };
    const firstIn = new Map<string, Entry>();
    const kept: Entry[] = [];
    for (const e of group) {
      const first = firstIn.get(e.origin);
      if (first !== undefined) report(e.path, `host device ${JSON.stringify(host)} is listed twice (first at ${first.path})`);
      else {
        firstIn.set(e.origin, e);
        kept.push(e);
      }
    }
    out.push(mergeGroup(host, kept, report));
  }
  return out;
}

function mergeGroup(host: string, group: Entry[], report: Report): DeviceSpec {
  const first = group[0]!;
  const spec: DeviceSpec = {
    path: first.path,
    hostName: host,
    containerName: host,
    addresses: [],
    routes: [],
    rules: [],
    neighbors: [],
    sysctls: {},
    addressing: 'Static',
    linkType: 'passthrough',
    ethtool: { features: {}, privateFlags: {} },
    source: group.some((e) => e.source === 'config') ? 'config' : 'annotation',
  };
  const scalar = <T>(field: string, pick: (e: Entry) => Valued<T> | undefined): T | undefined => {
    let chosen: Valued<T> | undefined;
    for (const e of group) {
      const v = pick(e);
      if (v === undefined) continue;
      if (chosen === undefined) chosen = v;
      else if (chosen.value !== v.value) report(v.path, `${field} ${JSON.stringify(v.value)} contradicts ${chosen.path} = ${JSON.stringify(chosen.value)}`);
    }
    return chosen?.value;
  };
  spec.containerName = scalar('name', (e) => e.containerName) ?? host;
  for (const f of INTERFACE_FIELD_NAMES) {
    const v = scalar<string | number>(f, (e) => e[f]);
    // The table types each field's value; the loop over it cannot.
    if (v !== undefined) (spec as unknown as Record<string, unknown>)[f] = v;
  }
  spec.addresses = mergeAddresses(group.flatMap((e) => e.addresses), report);
  spec.routes = mergeRoutes(group.flatMap((e) => e.routes), report);
  for (const kind of ['features', 'privateFlags'] as const) {
    const seen = new Map<string, Valued<boolean>>();
    for (const e of group) {
      for (const [name, v] of e[kind]) {
        const prev = seen.get(name);
        if (prev === undefined) {
          seen.set(name, v);
          setOwn(spec.ethtool[kind], name, v.value);
        } else if (prev.value !== v.value) report(v.path, `${name} = ${v.value} contradicts ${prev.path} = ${prev.value}`);
      }
    }
  }
  if (spec.addresses.length > MAX_ADDRESSES_PER_DEVICE) report(first.path, `${spec.addresses.length} addresses requested for this device, at most ${MAX_ADDRESSES_PER_DEVICE} allowed`);
  if (spec.routes.length > MAX_ROUTES_PER_DEVICE) report(first.path, `${spec.routes.length} routes requested for this device, at most ${MAX_ROUTES_PER_DEVICE} allowed`);
  mergeDranetFields(spec, group, new Map(group.flatMap((e) => e.addresses.map((a) => [a.value, a.path] as const))), report);
  checkGateways(spec, report);
  return spec;
}

/** The same address twice is kept once; the same address with two prefix lengths is a contradiction. */
function mergeAddresses(all: Array<Valued<Cidr>>, report: Report): Cidr[] {
  const byIp = new Map<string, Valued<Cidr>>();
  const out: Cidr[] = [];
  for (const a of all) {
    const prev = byIp.get(a.value.text);
    if (prev === undefined) {
      byIp.set(a.value.text, a);
      out.push(a.value);
    } else if (prev.value.prefixLength !== a.value.prefixLength) {
      report(a.path, `address ${cidrText(a.value)} contradicts ${prev.path} = ${cidrText(prev.value)} (one address, two prefix lengths)`);
    }
  }
  return out;
}

const routeKey = (r: RouteSpec): string => `${r.gateway?.text ?? ''}|${r.source?.text ?? ''}|${r.scope}`;
/** Routes to one destination in two tables are two routes. */
const routeSlot = (r: RouteSpec): string => `${r.table} ${cidrText(r.destination)}`;

/** Identical routes are kept once; two different routes to one destination are a contradiction (the second would replace the first). */
function mergeRoutes(all: RouteSpec[], report: Report): RouteSpec[] {
  const byDst = new Map<string, RouteSpec>();
  const out: RouteSpec[] = [];
  for (const r of all) {
    const dst = cidrText(r.destination);
    const prev = byDst.get(routeSlot(r));
    if (prev === undefined) {
      byDst.set(routeSlot(r), r);
      out.push(r);
    } else if (routeKey(prev) !== routeKey(r)) {
      report(`${r.path}.destination`, `a route to ${dst}${r.table !== MAIN_TABLE ? ` in table ${r.table}` : ''} is already given at ${prev.path} with a different gateway, source or scope`);
    }
  }
  return out;
}

/**
 * A gateway needs an address of its family on the device, or the kernel cannot reach it.
 * (Whether it is on-link, inside one of the device's prefixes, is left to the kernel:
 * an off-link gateway fails the route step with ENETUNREACH and everything is undone.)
 * With DHCP or SLAAC the address of that family comes from the network.
 */
function checkGateways(spec: DeviceSpec, report: Report): void {
  // The network gives the address: DHCP an IPv4 one, SLAAC an IPv6 one.
  const fromNetwork = spec.addressing === 'DHCP' ? 4 : spec.addressing === 'SLAAC' ? 6 : undefined;
  for (const r of spec.routes) {
    const gw = r.gateway;
    if (gw === undefined || isIpv6LinkLocal(gw) || gw.family === fromNetwork) continue;
    if (!spec.addresses.some((a) => a.family === gw.family)) {
      report(`${r.path}.gateway`, `gateway ${gw.text} cannot be reached: the device gets no IPv${gw.family} address (add one, or make the route on-link with "scope": 253)`);
    }
  }
}
