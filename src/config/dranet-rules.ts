/**
 * Merging and cross-field rules for the newer NetworkConfig fields (rules,
 * neighbors, per-interface settings, VRF, addressing, type), once the entries
 * naming one host device are merged; and the rules across devices.
 */
import type { ValidationIssue } from '../errors.js';
import { cidrText } from './address-rules.js';
import { IPV6_SYSCTL_FIELDS, SYSCTL_FIELDS } from './dranet-fields.js';
import type { Entry, Report, Valued } from './entry.js';
import { validIfName } from './ifname.js';
import type { Cidr, DeviceSpec, InterfaceSysctls, NeighborSpec, RuleSpec } from './model.js';

/** What DraNet sets for `addressing: SLAAC`: accept RAs even with forwarding on, no DAD delay, solicit at once. */
export const SLAAC_DEFAULTS = { acceptRA: 2, dadTransmits: 0, routerSolicitationDelay: 0 } as const;

/** IPv6 needs an MTU of at least 1280 (RFC 8200): below it the kernel disables IPv6 on the device. */
const IPV6_MIN_MTU = 1280;

export const ruleText = (r: RuleSpec): string =>
  `${r.priority !== undefined ? `pref ${r.priority} ` : ''}${r.family === 6 ? '-6 ' : ''}from ${r.source !== undefined ? cidrText(r.source) : 'all'}${r.destination !== undefined ? ` to ${cidrText(r.destination)}` : ''} table ${r.table}`;
const ruleKey = (r: RuleSpec): string => `${r.family}|${r.priority ?? ''}|${r.source !== undefined ? cidrText(r.source) : ''}|${r.destination !== undefined ? cidrText(r.destination) : ''}|${r.table}`;

/** Fills the newer fields of `spec` from its entries and checks how they go together. */
export function mergeDranetFields(spec: DeviceSpec, group: Entry[], addressPaths: ReadonlyMap<Cidr, string>, report: Report): void {
  const one = <T>(field: string, pick: (e: Entry) => Valued<T> | undefined, same: (a: T, b: T) => boolean = (a, b) => a === b): Valued<T> | undefined => {
    let chosen: Valued<T> | undefined;
    for (const e of group) {
      const v = pick(e);
      if (v === undefined) continue;
      if (chosen === undefined) chosen = v;
      else if (!same(chosen.value, v.value)) report(v.path, `${field} ${JSON.stringify(v.value)} contradicts ${chosen.path} = ${JSON.stringify(chosen.value)}`);
    }
    return chosen;
  };
  const sysctlPaths: Partial<Record<keyof InterfaceSysctls, string>> = {};
  for (const f of SYSCTL_FIELDS) {
    const v = one(f, (e) => e.sysctls[f] as Valued<number | boolean> | undefined);
    if (v !== undefined) {
      (spec.sysctls as Record<string, number | boolean>)[f] = v.value;
      sysctlPaths[f] = v.path;
    }
  }
  const addressing = one('addressing', (e) => e.addressing);
  spec.addressing = addressing?.value ?? 'Static';
  const linkType = one('type', (e) => e.linkType);
  spec.linkType = linkType?.value ?? 'passthrough';
  if (linkType?.value === 'ipvlan') spec.linkTypePath = linkType.path;
  const vrf = one('vrf', (e) => e.vrf, (a, b) => a.name === b.name && a.table === b.table);
  if (vrf !== undefined) spec.vrf = vrf.value;

  spec.rules = union(group.flatMap((e) => e.rules), ruleKey);
  spec.neighbors = mergeNeighbors(group.flatMap((e) => e.neighbors), report);

  const firstAddressPath = (pred: (c: Cidr) => boolean): string | undefined => {
    const a = spec.addresses.find(pred);
    return a === undefined ? undefined : addressPaths.get(a) ?? spec.path;
  };
  // addressing
  if (addressing !== undefined && addressing.value !== 'Static') {
    const how = addressing.value;
    if (how === 'DHCP' || how === 'Unnumbered') {
      const p = firstAddressPath(() => true);
      if (p !== undefined) report(p, `static addresses cannot be combined with ${addressing.path} = ${JSON.stringify(how)}${how === 'DHCP' ? ' (the lease gives the address)' : ''}`);
    }
    if (how === 'SLAAC') {
      const p = firstAddressPath((c) => c.family === 6);
      if (p !== undefined) report(p, `with ${addressing.path} = "SLAAC" the IPv6 address comes from router advertisements; only IPv4 static addresses may be given`);
      if (spec.sysctls.disableIPv6 === true) report(sysctlPaths.disableIPv6!, `SLAAC (${addressing.path}) needs IPv6 enabled on the interface`);
      if (spec.sysctls.acceptRA === 0) report(sysctlPaths.acceptRA!, `SLAAC (${addressing.path}) needs router advertisements accepted (acceptRA 1 or 2)`);
      if (spec.mtu !== undefined && spec.mtu < IPV6_MIN_MTU) report(addressing.path, `SLAAC needs IPv6, and IPv6 needs an MTU of at least ${IPV6_MIN_MTU} (the MTU asked for is ${spec.mtu})`);
    }
    if (how === 'Unnumbered' && spec.linkType !== 'ipvlan') report(addressing.path, 'an unnumbered interface is only possible with "type": "ipvlan" (DraNet: subinterface types only)');
  }
  const ipvlanPath = group.find((e) => e.ipvlanPath !== undefined)?.ipvlanPath;
  if (ipvlanPath !== undefined && spec.linkType !== 'ipvlan') report(ipvlanPath, 'ipvlan settings are only valid with "type": "ipvlan"');

  // IPv6 settings
  if (spec.mtu !== undefined && spec.mtu < IPV6_MIN_MTU) {
    for (const f of IPV6_SYSCTL_FIELDS) {
      if (sysctlPaths[f] !== undefined) report(sysctlPaths[f]!, `${f} is an IPv6 setting, and IPv6 needs an MTU of at least ${IPV6_MIN_MTU} (the MTU asked for is ${spec.mtu})`);
    }
  }
  if (spec.sysctls.disableIPv6 === true) {
    const why = `IPv6 is disabled on this interface (${sysctlPaths.disableIPv6!})`;
    const p = firstAddressPath((c) => c.family === 6);
    if (p !== undefined) report(p, `an IPv6 address cannot be added: ${why}`);
    for (const r of spec.routes) if (r.destination.family === 6) report(`${r.path}.destination`, `an IPv6 route cannot be added: ${why}`);
    for (const n of spec.neighbors) if (n.destination.family === 6) report(`${n.path}.destination`, `an IPv6 neighbor cannot be added: ${why}`);
  }

  // VRF: every route of the interface goes to the VRF's table; rules are DraNet's "not supported" with a VRF.
  if (spec.vrf !== undefined) {
    const v = spec.vrf;
    const why = validIfName(v.name);
    if (why !== undefined) report(`${v.path}.name`, `VRF device name ${JSON.stringify(v.name)} ${why}`);
    for (const r of spec.routes) {
      if (r.tablePath !== undefined && r.table !== v.table) report(r.tablePath, `table ${r.table} contradicts the VRF's table ${v.table} (${v.path}); with a VRF every route of the interface goes to the VRF's table`);
      r.table = v.table;
    }
    const firstRule = spec.rules[0];
    if (firstRule !== undefined) report(firstRule.path, `rules are not supported together with a VRF (${v.path}), as in DraNet: the VRF device selects the table`);
  }

  // VRF and IPVLAN need kernel drivers: probed before any change (src/apply/apply-vrf.ts).
  // SLAAC: the IPv6 settings DraNet sets on the moved interface (the move reset them), unless given.
  if (spec.addressing === 'SLAAC') {
    spec.sysctls.acceptRA ??= SLAAC_DEFAULTS.acceptRA;
    spec.sysctls.dadTransmits ??= SLAAC_DEFAULTS.dadTransmits;
    spec.sysctls.routerSolicitationDelay ??= SLAAC_DEFAULTS.routerSolicitationDelay;
  }
}

function union<T>(all: T[], key: (t: T) => string): T[] {
  const seen = new Set<string>();
  return all.filter((t) => {
    const k = key(t);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The same neighbor twice is kept once; one address with two MACs is a contradiction. */
function mergeNeighbors(all: NeighborSpec[], report: Report): NeighborSpec[] {
  const byIp = new Map<string, NeighborSpec>();
  const out: NeighborSpec[] = [];
  for (const n of all) {
    const prev = byIp.get(n.destination.text);
    if (prev === undefined) {
      byIp.set(n.destination.text, n);
      out.push(n);
    } else if (prev.hardwareAddr !== n.hardwareAddr) {
      report(`${n.path}.hardwareAddr`, `neighbor ${n.destination.text} is already given at ${prev.path} as ${prev.hardwareAddr}`);
    }
  }
  return out;
}

/**
 * Across the container's devices: one VRF name means one VRF (same table), and it must not
 * clash with a device's container name; rules live in the netns, so one identical to an
 * earlier device's is kept once.
 */
export function checkDranetDevices(devices: DeviceSpec[], issues: ValidationIssue[]): void {
  const vrfs = new Map<string, { table: number; path: string }>();
  const names = new Set(devices.map((d) => d.containerName));
  const rules = new Set<string>();
  for (const d of devices) {
    const v = d.vrf;
    if (v !== undefined) {
      const prev = vrfs.get(v.name);
      if (prev !== undefined && prev.table !== v.table) issues.push({ path: `${v.path}.table`, device: d.hostName, message: `VRF ${v.name} has table ${v.table} here but ${prev.table} at ${prev.path}` });
      else if (prev === undefined) vrfs.set(v.name, { table: v.table, path: v.path });
      if (names.has(v.name)) issues.push({ path: `${v.path}.name`, device: d.hostName, message: `VRF device name ${JSON.stringify(v.name)} is also the container name of a device` });
    }
    d.rules = d.rules.filter((r) => {
      const k = ruleKey(r);
      if (rules.has(k)) return false;
      rules.add(k);
      return true;
    });
  }
}
