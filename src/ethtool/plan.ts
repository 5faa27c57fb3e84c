/**
 * A device's requested ethtool settings resolved against what the device
 * really has, before anything changes (rules in feature-rules.ts), as
 * config issues naming the JSON path and the device, plus what each changed
 * bit was before (for undo and teardown).
 */
import type { DeviceSpec } from '../config/model.js';
import type { ValidationIssue } from '../errors.js';
import type { EthtoolFeatures } from '../netlink/ethtool-ops.js';
import { EthtoolConfigError, planFeatures, planPrivFlags, verifyFeatures } from './feature-rules.js';

/** Whether a device asks for any ethtool setting at all. */
export function wantsEthtool(spec: DeviceSpec): boolean {
  return Object.keys(spec.ethtool.features).length > 0 || Object.keys(spec.ethtool.privateFlags).length > 0;
}

export interface EthtoolPlan {
  /** Kernel feature bits to set, and the wanted state each had before. */
  features: Record<string, boolean>;
  featuresBefore: Record<string, boolean>;
  /** Every changeable bit the request names, sent or already as wanted: checked after the change. */
  featuresExpected: Record<string, boolean>;
  privateFlags: Record<string, boolean>;
  privateFlagsBefore: Record<string, boolean>;
}

export function planEthtool(
  spec: DeviceSpec,
  features: EthtoolFeatures | undefined,
  privFlags: ReadonlyMap<string, boolean> | Error | undefined,
): { plan: EthtoolPlan; issues: ValidationIssue[] } {
  const issues: ValidationIssue[] = [];
  const plan: EthtoolPlan = { features: {}, featuresBefore: {}, featuresExpected: {}, privateFlags: {}, privateFlagsBefore: {} };
  const prefix = `${spec.path}.networkConfig.ethtool`;
  const dev = 'the device'; // the issue names the device already
  const collect = <T>(run: () => T): T | undefined => {
    try {
      return run();
    } catch (e) {
      if (!(e instanceof EthtoolConfigError)) throw e;
      issues.push({ path: e.field, device: spec.hostName, message: e.reason });
      return undefined;
    }
  };

  const requested = spec.ethtool.features;
  if (Object.keys(requested).length > 0) {
    if (features === undefined) {
      for (const name of Object.keys(requested)) issues.push({ path: `${prefix}.features[${JSON.stringify(name)}]`, device: spec.hostName, message: 'the device does not report ethtool features' });
    } else {
      // One name at a time first, so every bad name is reported, then all together for conflicts.
      for (const [name, want] of Object.entries(requested)) collect(() => planFeatures({ [name]: want }, features, dev, `${prefix}.features`));
      const planned = issues.length === 0 ? collect(() => planFeatures(requested, features, dev, `${prefix}.features`)) : undefined;
      for (const [bit, want] of Object.entries(planned?.features ?? {})) {
        plan.featuresExpected[bit] = want;
        const before = features.wanted.get(bit) ?? features.active.get(bit) ?? false;
        if (before === want && features.active.get(bit) === want) continue;
        plan.features[bit] = want;
        plan.featuresBefore[bit] = before;
      }
    }
  }

  const flags = spec.ethtool.privateFlags;
  if (Object.keys(flags).length > 0) {
    const current = privFlags instanceof Error ? undefined : privFlags;
    const why = privFlags instanceof Error ? ` (${privFlags.message})` : '';
    for (const [name, want] of Object.entries(flags)) {
      const ok = collect(() => {
        try {
          return planPrivFlags({ [name]: want }, current, dev, `${prefix}.privateFlags`);
        } catch (e) {
          throw e instanceof EthtoolConfigError && current === undefined ? new EthtoolConfigError(e.field, e.reason + why) : e;
        }
      });
      if (ok === undefined || current === undefined) continue;
      const cur = current.get(name);
      if (cur !== undefined && cur !== want) {
        plan.privateFlags[name] = want;
        plan.privateFlagsBefore[name] = cur;
      }
    }
  }
  return { plan, issues };
}

/**
 * Requested features the device does not have active after the change, as
 * `name on|off` (a change can drop another bit: TSO goes with scatter-gather).
 */
export function notActivated(plan: EthtoolPlan, after: Pick<EthtoolFeatures, 'active'>): string[] {
  return verifyFeatures(plan.featuresExpected, after).map((b) => `${b} ${plan.featuresExpected[b] ? 'on' : 'off'}`);
}
