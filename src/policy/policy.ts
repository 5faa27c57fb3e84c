/**
 * Host safety policy. By default the hook refuses devices the host itself
 * depends on: its loopback device (always: the kernel cannot move it), a
 * device carrying one of the host's default routes (IPv4 or IPv6), and ports
 * of a bridge or bond. A policy file can allow the last two by name glob, can
 * restrict which devices may be given to containers at all, and can set the
 * teardown mode.
 */
import { existsSync } from 'node:fs';
import type { NamespaceView } from '../apply/inspect.js';
import type { DeviceSpec } from '../config/model.js';
import { checkSchema } from '../config/schema-check.js';
import { PolicyError, type ValidationIssue } from '../errors.js';
import { readJsonFile } from '../config/json-file.js';
import { RTNL, RTNL2 } from '../netlink/constants.js';
import { nexthopDevices } from '../netlink/nexthop.js';
import type { Route } from '../netlink/route.js';
import { GlobError, globMatch, parseGlob } from './glob.js';

export { globMatch } from './glob.js';

export const DEFAULT_POLICY_FILE = '/etc/oci-netdevices/policy.json';

export interface Policy {
  allowDevices?: string[];
  allowDefaultRouteDevices?: string[];
  allowBridgePorts?: string[];
  teardown?: 'restore' | 'kernel';
  /** Where it came from, for messages. */
  source: string;
}

/** The policy named by --policy (or OCI_NETDEVICES_POLICY), else the default file if present, else built-in defaults. */
export function loadPolicy(flag: string | undefined): Policy {
  const explicit = flag;
  const path = explicit ?? DEFAULT_POLICY_FILE;
  if (explicit === undefined && !existsSync(path)) return { source: 'built-in defaults' };
  let raw: unknown;
  try {
    raw = readJsonFile(path, 'policy file', 1024 * 1024);
  } catch (e) {
    throw new PolicyError(`policy file ${path}: ${(e as Error).message}`);
  }
  return parsePolicy(raw, path);
}

/** Validates a parsed policy file (JSON Schema, then the globs themselves). */
export function parsePolicy(raw: unknown, source: string): Policy {
  const errors = checkSchema('policy', raw);
  if (errors.length > 0) {
    throw new PolicyError(`policy file ${source} is invalid: ${errors.map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}${typeof e.params.additionalProperty === 'string' ? ` (${e.params.additionalProperty})` : ''}`).join('; ')}`);
  }
  const p = raw as Omit<Policy, 'source'>;
  for (const key of ['allowDevices', 'allowDefaultRouteDevices', 'allowBridgePorts'] as const) {
    for (const g of p[key] ?? []) {
      try {
        parseGlob(g);
      } catch (e) {
        if (e instanceof GlobError) throw new PolicyError(`policy file ${source} is invalid: /${key}: ${e.message}`);
        throw e;
      }
    }
  }
  return { ...p, source };
}

const allowed = (globs: readonly string[] | undefined, name: string): boolean => (globs ?? []).some((g) => globMatch(g, name));

/** Interfaces that carry a default route of the host (any family, any table but `local`). */
export function defaultRouteDevices(host: NamespaceView): Set<number> {
  const defaults = host.routes.filter((r) => r.dstLength === 0 && r.table !== RTNL2.RT_TABLE_LOCAL && r.type === RTNL.RTN_UNICAST);
  const devices = (r: Route): number[] => [r.oif, ...r.nexthopOifs, ...(r.nhId !== undefined ? nexthopDevices(r.nhId, host.nexthops) : [])];
  return new Set(defaults.flatMap(devices).filter((i) => i !== 0));
}

/** Policy violations, as issues naming the device and the rule. Checked before anything changes. */
export function checkPolicy(policy: Policy, specs: ReadonlyArray<Pick<DeviceSpec, 'path' | 'hostName'>>, host: NamespaceView): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const viaDefault = defaultRouteDevices(host);
  const byName = new Map(host.links.map((l) => [l.name, l]));
  for (const spec of specs) {
    const name = spec.hostName;
    const refuse = (rule: string, how: string): void => {
      issues.push({ path: spec.path, device: name, message: `refused by policy (${policy.source}): ${rule}${how !== '' ? `; ${how}` : ''}` });
    };
    if (policy.allowDevices !== undefined && !allowed(policy.allowDevices, name)) {
      refuse(`${JSON.stringify(name)} matches none of allowDevices ${JSON.stringify(policy.allowDevices)}`, 'add it to allowDevices');
    }
    const link = byName.get(name);
    if (link === undefined) continue; // runtime-moved or missing: the locate step explains
    if ((link.flags & RTNL.IFF_LOOPBACK) !== 0) {
      refuse(`${JSON.stringify(name)} is the host's loopback device`, 'the kernel cannot move it to another network namespace');
      continue;
    }
    if (viaDefault.has(link.index) && !allowed(policy.allowDefaultRouteDevices, name)) {
      refuse(`${JSON.stringify(name)} carries the host's default route`, 'list it in allowDefaultRouteDevices to move it anyway');
    }
    if (link.master !== undefined && link.master !== 0 && !allowed(policy.allowBridgePorts, name)) {
      refuse(`${JSON.stringify(name)} is a port of a ${link.slaveKind ?? 'bridge or bond'} (master ifindex ${link.master})`, 'list it in allowBridgePorts to move it anyway');
    }
  }
  return issues;
}
