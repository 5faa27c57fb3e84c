/**
 * Host safety policy. By default the hook refuses devices the host itself
 * depends on: loopback (refused always), a device carrying the host's default
 * route, and ports of a bridge or bond. A policy file can allow those by name
 * glob, and can restrict which devices may be given to containers at all.
 */
import { existsSync } from 'node:fs';
import type { DeviceTarget, NamespaceView } from '../apply/inspect.js';
import { checkSchema } from '../config/schema-check.js';
import { PolicyError, type ValidationIssue } from '../errors.js';
import { readJsonFile } from '../hook/bundle-config.js';

export const DEFAULT_POLICY_FILE = '/etc/oci-netdevices/policy.json';

export interface Policy {
  allowDevices?: string[];
  allowDefaultRouteDevices?: string[];
  allowBridgePorts?: string[];
  teardown?: 'restore' | 'kernel';
  /** Where it came from, for messages. */
  source: string;
}

export function loadPolicy(flag: string | undefined): Policy {
  const explicit = flag ?? process.env.OCI_NETDEVICES_POLICY;
  const path = explicit ?? DEFAULT_POLICY_FILE;
  if (explicit === undefined && !existsSync(path)) return { source: 'built-in defaults' };
  const raw = readJsonFile(path, 'policy file', 1024 * 1024);
  const errors = checkSchema('policy', raw);
  if (errors.length > 0) {
    throw new PolicyError(`policy file ${path} is invalid: ${errors.map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}${typeof e.params.additionalProperty === 'string' ? ` (${e.params.additionalProperty})` : ''}`).join('; ')}`);
  }
  return { ...(raw as Omit<Policy, 'source'>), source: path };
}

export function globMatch(glob: string, name: string): boolean {
  const re = new RegExp(`^${[...glob].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\-]/g, '\\$&'))).join('')}$`);
  return re.test(name);
}

const allowed = (globs: readonly string[] | undefined, name: string): boolean => (globs ?? []).some((g) => globMatch(g, name));

/** Policy violations, as validation issues naming the device and the rule. */
export function checkPolicy(policy: Policy, targets: readonly DeviceTarget[], host: NamespaceView): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const defaultRouteOifs = new Set(host.routes.filter((r) => r.dstLength === 0 && r.table === 254 && r.oif !== 0).map((r) => r.oif));
  for (const t of targets) {
    const link = t.hostLink;
    if (link === undefined) continue;
    const name = link.name;
    const refuse = (rule: string, how: string): void => {
      issues.push({ path: t.spec.path, device: name, message: `refused by policy (${policy.source}): ${rule}; ${how}` });
    };
    if (policy.allowDevices !== undefined && !allowed(policy.allowDevices, name)) {
      refuse(`${JSON.stringify(name)} matches none of allowDevices ${JSON.stringify(policy.allowDevices)}`, 'add it to allowDevices');
    }
    if (defaultRouteOifs.has(link.index) && !allowed(policy.allowDefaultRouteDevices, name)) {
      refuse(`${JSON.stringify(name)} carries the host's default route`, 'list it in allowDefaultRouteDevices to move it anyway');
    }
    if (link.master !== undefined && link.master !== 0 && !allowed(policy.allowBridgePorts, name)) {
      refuse(`${JSON.stringify(name)} is a port of a ${link.slaveKind ?? 'bridge or bond'} (master ifindex ${link.master})`, 'list it in allowBridgePorts to move it anyway');
    }
  }
  return issues;
}
