/**
 * The NetworkConfig fields DraNet added after mid-2025, read from one entry:
 * `rules`, `neighbors`, the per-interface settings (`forwarding`, `arpIgnore`,
 * `arpAnnounce`, the IPv6 ones), `vrf`, `addressing`/`dhcp`/`unnumbered`,
 * `type`/`ipvlan`; and `profile`/`disableEbpfPrograms`, which are refused.
 * Types and ranges are the schema's; a value it refuses is skipped here.
 */
import { interfaceAddressProblem, networkOf } from './address-rules.js';
import type { Entry, Report, Valued } from './entry.js';
import { parseCidr, parseIp } from './ip.js';
import { child } from './json-path.js';
import { parseMac } from './mac.js';
import type { Addressing, Cidr, InterfaceSysctls, NeighborSpec, RuleSpec } from './model.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

export type SysctlField = keyof InterfaceSysctls;
type Range = readonly [number, number] | readonly number[] | 'bool';

/** The schema's ranges again, so that a value it refused is not used. */
const SYSCTLS: Record<SysctlField, { range: Range; ipv6: boolean }> = {
  forwarding: { range: 'bool', ipv6: false },
  arpIgnore: { range: [0, 1, 2, 3, 8], ipv6: false },
  arpAnnounce: { range: [0, 2], ipv6: false },
  disableIPv6: { range: 'bool', ipv6: true },
  acceptRA: { range: [0, 2], ipv6: true },
  dadTransmits: { range: [0, 2147483647], ipv6: true },
  routerSolicitationDelay: { range: [0, 2147483], ipv6: true },
  routerSolicitationInterval: { range: [1, 2147483], ipv6: true },
  addrGenMode: { range: [0, 3], ipv6: true },
};
export const SYSCTL_FIELDS = Object.keys(SYSCTLS) as SysctlField[];
export const IPV6_SYSCTL_FIELDS = SYSCTL_FIELDS.filter((f) => SYSCTLS[f].ipv6);

function inRange(f: SysctlField, v: unknown): v is number | boolean {
  const r = SYSCTLS[f].range;
  if (r === 'bool') return typeof v === 'boolean';
  if (!isInt(v)) return false;
  return f === 'arpIgnore' ? r.includes(v) : v >= r[0]! && v <= r[1]!;
}

/** DraNet's VRF default table: FNV-1a (32 bit) of the name, mod 1000, plus 1000 (pkg/apis/defaults.go). */
export function defaultVrfTable(name: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(name, 'utf8')) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return (h % 1000) + 1000;
}

/** Tables the kernel keeps for itself: a VRF must not take them. */
const RESERVED_TABLES = new Set([253, 254, 255]);
export const MAIN_TABLE = 254;

export function readProfile(nc: Obj, path: string, report: Report): void {
  if (nc.profile !== undefined) {
    report(child(path, 'profile'), 'a profile is resolved by a cluster\'s DraNet provider plugin (IPAM and the like); there is none below a container runtime: give the interface settings themselves');
  }
}

function setOnce<K extends 'addressing' | 'linkType'>(entry: Entry, key: K, value: NonNullable<Entry[K]>['value'], path: string, report: Report): void {
  const prev = entry[key];
  if (prev !== undefined && prev.value !== value) report(path, `${key === 'addressing' ? 'addressing' : 'type'} ${JSON.stringify(value)} contradicts ${prev.path} = ${JSON.stringify(prev.value)}`);
  else if (prev === undefined) entry[key] = { value, path } as Entry[K];
}

export function readInterfaceExtras(entry: Entry, iface: Obj, path: string, report: Report): void {
  for (const f of SYSCTL_FIELDS) {
    const v = iface[f];
    const p = child(path, f);
    if (!inRange(f, v)) continue;
    const prev = entry.sysctls[f];
    if (prev !== undefined && prev.value !== v) report(p, `${f} ${JSON.stringify(v)} contradicts ${prev.path} = ${JSON.stringify(prev.value)}`);
    else if (prev === undefined) (entry.sysctls as Record<string, Valued<number | boolean>>)[f] = { value: v, path: p };
  }
  if (typeof iface.addressing === 'string' && ['Static', 'DHCP', 'SLAAC', 'Unnumbered'].includes(iface.addressing)) {
    setOnce(entry, 'addressing', iface.addressing as Addressing, child(path, 'addressing'), report);
  }
  if (iface.dhcp === true) setOnce(entry, 'addressing', 'DHCP', child(path, 'dhcp'), report);
  else if (iface.dhcp === false && entry.addressing?.value === 'DHCP') {
    report(child(path, 'dhcp'), `dhcp false contradicts ${entry.addressing.path} = "DHCP"`);
  }
  if (iface.unnumbered === true) setOnce(entry, 'addressing', 'Unnumbered', child(path, 'unnumbered'), report);
  if (typeof iface.type === 'string') {
    const t = iface.type.toLowerCase();
    if (t === 'passthrough' || t === 'ipvlan') setOnce(entry, 'linkType', t, child(path, 'type'), report);
  }
  if (isObj(iface.ipvlan)) entry.ipvlanPath ??= child(path, 'ipvlan');
  if (isObj(iface.vrf) && typeof iface.vrf.name === 'string') readVrf(entry, iface.vrf, child(path, 'vrf'), report);
  if (iface.disableEbpfPrograms !== undefined) {
    report(child(path, 'disableEbpfPrograms'), 'detaching eBPF programs is not supported by oci-netdevices; drop the field (programs attached to the device stay attached)');
  }
}

function readVrf(entry: Entry, vrf: Obj, path: string, report: Report): void {
  const name = vrf.name as string;
  let table: number;
  if (vrf.table === undefined) table = defaultVrfTable(name);
  else if (isInt(vrf.table) && vrf.table >= 1 && vrf.table <= 0xffffffff) {
    if (RESERVED_TABLES.has(vrf.table)) {
      report(child(path, 'table'), `table ${vrf.table} is reserved by the kernel (253 default, 254 main, 255 local); pick another, or leave it out for DraNet's default (${defaultVrfTable(name)} for this name)`);
      return;
    }
    table = vrf.table;
  } else return; // the schema reports it
  if (name === '') {
    report(child(path, 'name'), 'the VRF device name must not be empty');
    return;
  }
  const prev = entry.vrf;
  if (prev !== undefined && (prev.value.name !== name || prev.value.table !== table)) {
    report(path, `VRF ${name} (table ${table}) contradicts ${prev.path} = ${prev.value.name} (table ${prev.value.table})`);
  } else if (prev === undefined) entry.vrf = { value: { name, table, path }, path };
}

/** A network CIDR for a rule: no host bits (the message names the network meant). */
function ruleNetwork(v: unknown, p: string, report: Report): Cidr | undefined | false {
  if (typeof v !== 'string') return undefined;
  const c = parseCidr(v);
  if (c === undefined) {
    report(p, `${JSON.stringify(v)} is not a network in CIDR notation (e.g. 10.0.0.0/24, 2001:db8::/64)`);
    return false;
  }
  const net = networkOf(c);
  if (net.text !== c.text) {
    report(p, `${v} has host bits set beyond the /${c.prefixLength} prefix; the network is ${net.text}/${net.prefixLength}`);
    return false;
  }
  return c;
}

export function readRules(entry: Entry, rules: unknown[], path: string, report: Report): void {
  rules.forEach((r, i) => {
    const p = child(path, i);
    if (!isObj(r)) return;
    const source = ruleNetwork(r.source, child(p, 'source'), report);
    const destination = ruleNetwork(r.destination, child(p, 'destination'), report);
    let ok = source !== false && destination !== false;
    if (source && destination && source.family !== destination.family) {
      report(p, `source ${r.source as string} is IPv${source.family} but destination ${r.destination as string} is IPv${destination.family}; a rule has one family`);
      ok = false;
    }
    if (r.table === undefined || r.table === 0) {
      report(child(p, 'table'), 'a rule needs the table it sends matching traffic to (1..4294967295; 254 is main); table 0 would make the kernel pick an empty one');
      ok = false;
    }
    if (!isInt(r.table) || r.table < 0 || r.table > 0xffffffff) ok = false;
    if (r.priority !== undefined && !(isInt(r.priority) && r.priority >= 0 && r.priority <= 32767)) ok = false;
    if (!ok) return;
    const rule: RuleSpec = { family: (source || destination || undefined)?.family ?? 4, table: r.table as number, path: p };
    if (r.priority !== undefined) rule.priority = r.priority as number;
    if (source) rule.source = source;
    if (destination) rule.destination = destination;
    entry.rules.push(rule);
  });
}

export function readNeighbors(entry: Entry, neighbors: unknown[], path: string, report: Report): void {
  neighbors.forEach((n, i) => {
    const p = child(path, i);
    if (!isObj(n) || typeof n.destination !== 'string' || typeof n.hardwareAddr !== 'string') return;
    const ip = parseIp(n.destination);
    let ok = true;
    if (ip === undefined) {
      report(child(p, 'destination'), `${JSON.stringify(n.destination)} is not an IP address (a neighbor is one address, no prefix length)`);
      ok = false;
    } else if (interfaceAddressProblem(ip) !== undefined) {
      report(child(p, 'destination'), `neighbor ${ip.text} is not a unicast address`);
      ok = false;
    }
    const mac = parseMac(n.hardwareAddr);
    if ('error' in mac) {
      report(child(p, 'hardwareAddr'), mac.error);
      ok = false;
    }
    if (!ok || ip === undefined || 'error' in mac) return;
    const spec: NeighborSpec = { destination: ip, hardwareAddr: mac.mac, path: p };
    entry.neighbors.push(spec);
  });
}
