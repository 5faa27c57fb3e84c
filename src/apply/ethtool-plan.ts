/**
 * Resolving a device's requested ethtool features and private flags against
 * what the device really has, before anything changes. Alias semantics follow
 * the ethtool CLI: an alias means every changeable kernel bit behind it; bits
 * that are [fixed] are left alone, and asking to change an alias or name whose
 * bits are all fixed is an error.
 */
import type { DeviceSpec } from '../config/model.js';
import type { ValidationIssue } from '../errors.js';
import type { BitValues } from '../netlink/ethtool-bitset.js';
import type { FeatureState } from '../netlink/ethtool.js';
import { aliasesFor, expandAlias } from '../netlink/feature-aliases.js';

export interface EthtoolPlan {
  /** Kernel feature bits to set, and the wanted state each had before (for undo and teardown). */
  features: Record<string, boolean>;
  featuresBefore: Record<string, boolean>;
  privateFlags: Record<string, boolean>;
  privateFlagsBefore: Record<string, boolean>;
}

const field = (spec: DeviceSpec, kind: 'features' | 'privateFlags', name: string): string =>
  `${spec.path}.networkConfig.ethtool.${kind}[${JSON.stringify(name)}]`;

export function planEthtool(spec: DeviceSpec, features: FeatureState | undefined, privFlags: BitValues | Error | undefined): { plan: EthtoolPlan; issues: ValidationIssue[] } {
  const issues: ValidationIssue[] = [];
  const plan: EthtoolPlan = { features: {}, featuresBefore: {}, privateFlags: {}, privateFlagsBefore: {} };
  const issue = (kind: 'features' | 'privateFlags', name: string, message: string): void => {
    issues.push({ path: field(spec, kind, name), device: spec.hostName, message });
  };

  for (const [name, want] of Object.entries(spec.ethtool.features)) {
    if (features === undefined) {
      issue('features', name, 'the device does not report ethtool features');
      continue;
    }
    const known = features.names.filter((n) => n !== '');
    const bits = known.includes(name) ? [name] : expandAlias(name, known);
    if (bits === undefined || bits.length === 0) {
      issue('features', name, `unknown feature ${JSON.stringify(name)}; this device has: ${[...known, ...aliasesFor(known)].join(', ')}`);
      continue;
    }
    const changeable = bits.filter((b) => features.hw.get(b) === true);
    const differs = bits.filter((b) => (features.active.get(b) ?? false) !== want);
    if (changeable.length === 0) {
      if (differs.length > 0) issue('features', name, `feature ${JSON.stringify(name)} is fixed ${want ? 'off' : 'on'} on this device and cannot be turned ${want ? 'on' : 'off'}`);
      continue;
    }
    for (const b of changeable) {
      const before = features.wanted.get(b) ?? features.active.get(b) ?? false;
      if (before === want && features.active.get(b) === want) continue;
      plan.features[b] = want;
      plan.featuresBefore[b] = before;
    }
  }

  const flags = Object.entries(spec.ethtool.privateFlags);
  if (flags.length > 0) {
    if (privFlags === undefined || privFlags instanceof Error || privFlags.size === 0) {
      const why = privFlags instanceof Error ? ` (${privFlags.message})` : '';
      for (const [name] of flags) issue('privateFlags', name, `the device has no private flags${why}`);
    } else {
      for (const [name, want] of flags) {
        const cur = privFlags.get(name);
        if (cur === undefined) issue('privateFlags', name, `unknown private flag ${JSON.stringify(name)}; this device has: ${[...privFlags.keys()].join(', ')}`);
        else if (cur !== want) {
          plan.privateFlags[name] = want;
          plan.privateFlagsBefore[name] = cur;
        }
      }
    }
  }
  return { plan, issues };
}

/** Wanted features the device did not activate after the change. */
export function notActivated(plan: EthtoolPlan, after: FeatureState): string[] {
  return Object.entries(plan.features)
    .filter(([b, want]) => (after.active.get(b) ?? false) !== want)
    .map(([b, want]) => `${b} ${want ? 'on' : 'off'}`);
}
