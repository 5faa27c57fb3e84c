/**
 * createRuntime's planning phase, before any change: claims judged by identity, the host policy,
 * the devices located in both namespaces, and the ethtool plan checked on the devices.
 */
import { type DeviceTarget, locateDevices } from '../apply/inspect.js';
import { probeLinkDrivers } from '../apply/apply-vrf.js';
import type { DeviceSpec } from '../config/model.js';
import { ethtoolApplier, planAll } from '../ethtool/apply.js';
import { type EthtoolPlan, wantsEthtool } from '../ethtool/plan.js';
import { DeviceBusyError, PolicyError, ValidationError, formatIssue } from '../errors.js';
import type { Log } from '../log.js';
import type { Link } from '../netlink/link.js';
import { type Policy, checkPolicy } from '../policy/policy.js';
import { dropClaim } from '../state/device-lock.js';
import type { StateDir } from '../state/state-dir.js';
import { type ClaimContext, judgeClaim } from './claim-check.js';
import type { HookNamespaces } from './hook-namespaces.js';
import { kernelStep } from './kernel-context.js';

/** containerd's CRI puts the pod sandbox's id on every container of the pod. */
export const SANDBOX_ID_ANNOTATION = 'io.kubernetes.cri.sandbox-id';

export interface MovePlan {
  /** Devices a live claim already moved into this very netns (a pod's sandbox): nothing to move. */
  shared: Map<string, Link>;
  targets: DeviceTarget[];
  ethtool?: { plans: Map<string, EthtoolPlan>; apply: ReturnType<typeof ethtoolApplier> };
}

export function planMoves(allSpecs: readonly DeviceSpec[], claimedByOthers: ReadonlyMap<string, string>, ns: HookNamespaces, ctx: { dir: StateDir; policy: Policy; log: Log; sandbox?: string | undefined }): MovePlan {
  const shared = judgeClaims(ctx.dir, ctx.sandbox, claimedByOthers, { hostLinkAt: (index) => ns.hostLinkAt(index), ctrLinks: ns.ctrView.links, ctrNetnsIno: ns.ctrNetnsIno }, ctx.log);
  const specs = allSpecs.filter((s) => !shared.has(s.hostName));
  if (specs.length === 0) return { shared, targets: [] };
  const refused = checkPolicy(ctx.policy, specs, ns.hostView);
  if (refused.length > 0) throw new PolicyError(refused.map(formatIssue).join('; '));
  const { targets, issues } = locateDevices(specs, ns.hostView, ns.ctrView);
  if (issues.length > 0) throw new ValidationError(issues);
  const driverIssues = probeLinkDrivers(ns.host, specs);
  if (driverIssues.length > 0) throw new ValidationError(driverIssues);
  // ethtool names and fixed features are checked on the device before anything moves.
  if (!targets.some((t) => wantsEthtool(t.spec))) return { shared, targets };
  const reading = targets.filter((t) => wantsEthtool(t.spec)).map((t) => t.spec.hostName);
  const { plans, issues: ethtoolIssues } = kernelStep('reading ethtool features and private flags', reading, () => planAll(targets, (t) => ns.ethtool(t.hostLink === undefined)));
  if (ethtoolIssues.length > 0) throw new ValidationError(ethtoolIssues);
  return { shared, targets, ethtool: { plans, apply: ethtoolApplier(() => ns.ethtool(true), plans) } };
}

/**
 * Claims by other containers, judged by identity: a stale one is released (logged), a device
 * already in this netns is shared (returned: nothing to move), a live one refuses the start.
 */
/** `sandbox`: the pod's sandbox id (io.kubernetes.cri.sandbox-id from the state or config.json), named in the log and errors. */
function judgeClaims(dir: StateDir, sandbox: string | undefined, claims: ReadonlyMap<string, string>, ctx: ClaimContext, log: Log): Map<string, Link> {
  const shared = new Map<string, Link>();
  for (const [name, owner] of claims) {
    const v = judgeClaim(dir, name, owner, ctx);
    if (v.kind === 'stale') {
      dropClaim(dir, name, owner);
      log.warn({ device: name, claimedBy: owner, why: v.why }, 'released a stale claim');
    } else if (v.kind === 'shared') {
      shared.set(name, v.link);
      log.info({ device: name, movedBy: owner, as: v.link.name, sandbox: owner === sandbox }, 'device already in this network namespace (shared with the container that moved it)');
    } else {
      const pod = owner === sandbox ? ` (this pod's sandbox, but the device is not in this container's network namespace)` : '';
      throw new DeviceBusyError(`device ${JSON.stringify(name)} is claimed by container ${owner}${pod}: ${v.why}`);
    }
  }
  return shared;
}
