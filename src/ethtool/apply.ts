/**
 * ethtool settings: planned against the device before any change (in the
 * netns where the device is now), applied in the container netns with undo.
 */
import type { ValidationIssue } from '../errors.js';
import type { Placed } from '../apply/apply-devices.js';
import { type EthtoolPlan, notActivated, planEthtool, wantsEthtool } from './plan.js';
import type { EthtoolSession } from './session.js';
import type { DeviceTarget } from '../apply/inspect.js';
import type { Transaction } from '../apply/transaction.js';

/** Plans every device's ethtool settings; `sessionFor` gives the session of the netns the device is in. */
export function planAll(targets: readonly DeviceTarget[], sessionFor: (t: DeviceTarget) => EthtoolSession): { plans: Map<string, EthtoolPlan>; issues: ValidationIssue[] } {
  const plans = new Map<string, EthtoolPlan>();
  const issues: ValidationIssue[] = [];
  for (const t of targets) {
    if (!wantsEthtool(t.spec)) continue;
    const link = t.hostLink ?? t.containerLink!;
    const s = sessionFor(t);
    const features = Object.keys(t.spec.ethtool.features).length > 0 ? s.features(link.index) : undefined;
    const flags = Object.keys(t.spec.ethtool.privateFlags).length > 0 ? s.privateFlags(link.index) : undefined;
    const r = planEthtool(t.spec, features, flags);
    issues.push(...r.issues);
    plans.set(t.spec.hostName, r.plan);
  }
  return { plans, issues };
}

/** The apply-phase hook for ApplyEnv.ethtool. */
export function ethtoolApplier(session: () => EthtoolSession, plans: ReadonlyMap<string, EthtoolPlan>): (p: Placed, tx: Transaction) => void {
  return (p, tx) => {
    const plan = plans.get(p.spec.hostName);
    if (plan === undefined) return;
    const index = p.link.index;
    const s = session();
    if (Object.keys(plan.features).length > 0) {
      tx.setting(p.spec.hostName, 'set ethtool features', () => s.setFeatures(index, plan.features), () => s.setFeatures(index, plan.featuresBefore));
      Object.assign(p.original.features, plan.featuresBefore);
      const missing = notActivated(plan, s.features(index));
      if (missing.length > 0) {
        tx.step(p.spec.hostName, 'verify ethtool features', () => {
          throw new Error(`the device did not activate: ${missing.join(', ')}`);
        });
      }
    }
    if (Object.keys(plan.privateFlags).length > 0) {
      tx.setting(p.spec.hostName, 'set ethtool private flags', () => s.setPrivateFlags(index, plan.privateFlags), () => s.setPrivateFlags(index, plan.privateFlagsBefore));
      Object.assign(p.original.privateFlags, plan.privateFlagsBefore);
    }
  };
}
