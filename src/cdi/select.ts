/**
 * Which host interfaces `cdi generate` offers: those the name glob picks,
 * minus the loopback device, names CDI cannot carry, and what the host
 * policy refuses (default-route devices, bridge ports, allowDevices), each
 * skipped one with its reason.
 */
import type { NamespaceView } from '../apply/inspect.js';
import { UsageError } from '../errors.js';
import { RTNL } from '../netlink/constants.js';
import { GlobError, parseGlob } from '../policy/glob.js';
import { type Policy, checkPolicy, globMatch } from '../policy/policy.js';
import { cdiNameProblem } from './names.js';

export interface Selection {
  devices: string[];
  skipped: Array<{ name: string; why: string }>;
}

export function selectDevices(view: NamespaceView, policy: Policy, glob: string | undefined): Selection {
  if (glob !== undefined) {
    try {
      parseGlob(glob);
    } catch (e) {
      if (e instanceof GlobError) throw new UsageError(`--devices: ${e.message}`);
      throw e;
    }
  }
  const out: Selection = { devices: [], skipped: [] };
  for (const link of [...view.links].sort((a, b) => a.name.localeCompare(b.name))) {
    const name = link.name;
    if (glob !== undefined && !globMatch(glob, name)) continue;
    if ((link.flags & RTNL.IFF_LOOPBACK) !== 0) {
      out.skipped.push({ name, why: "the host's loopback device cannot be moved" });
      continue;
    }
    const bad = cdiNameProblem(name);
    if (bad !== undefined) {
      out.skipped.push({ name, why: bad });
      continue;
    }
    const refused = checkPolicy(policy, [{ path: name, hostName: name }], view);
    if (refused.length > 0) {
      out.skipped.push({ name, why: refused.map((r) => r.message).join('; ') });
      continue;
    }
    out.devices.push(name);
  }
  return out;
}
