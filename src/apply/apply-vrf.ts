/**
 * `interface.vrf` and `type: IPVLAN` need kernel drivers: probed before any change
 * (probeLinkDrivers), and the VRF applied after the per-interface settings and before
 * the addresses (applyVrfs): each VRF device is created once in the container netns with
 * its table and set up, then every device naming it is enslaved. Enslaving cycles the
 * device, which drops IPv6 addresses: hence before the addresses. At teardown nothing
 * is needed: a device leaving the netns leaves its master, and the VRF device dies with
 * the netns (or goes with the rollback's undo).
 */
import type { DeviceSpec } from '../config/model.js';
import type { ValidationIssue } from '../errors.js';
import { linkGet, linkSetUp } from '../netlink/link.js';
import { type ProbedKind, linkAddVrf, linkDel, linkKindProbe, linkSetMaster } from '../netlink/link-kinds.js';
import { NetlinkError } from '../netlink/message.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import type { Placed } from './apply-devices.js';
import type { Transaction } from './transaction.js';

/** Is the driver there? EINVAL from its own validation says yes; EOPNOTSUPP no; anything else: the apply will tell. */
function driverPresent(sock: NetlinkSocket, kind: ProbedKind): { present: boolean; answer: string } {
  try {
    sock.run(linkKindProbe(kind));
    return { present: true, answer: 'accepted' };
  } catch (e) {
    if (e instanceof NetlinkError && (e.code === 'EOPNOTSUPP' || e.code === 'ENOTSUP')) return { present: false, answer: `${e.code}${e.kernelMessage !== undefined ? ` (${e.kernelMessage})` : ''}` };
    return { present: true, answer: e instanceof NetlinkError ? e.code : String(e) };
  }
}

/** One issue per field that needs a driver this kernel lacks; nothing is changed by the probes. */
export function probeLinkDrivers(sock: NetlinkSocket, specs: readonly DeviceSpec[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const answers = new Map<ProbedKind, { present: boolean; answer: string }>();
  const probe = (k: ProbedKind): { present: boolean; answer: string } => {
    let a = answers.get(k);
    if (a === undefined) answers.set(k, (a = driverPresent(sock, k)));
    return a;
  };
  for (const s of specs) {
    if (s.vrf !== undefined) {
      const a = probe('vrf');
      if (!a.present) issues.push({ path: s.vrf.path, device: s.hostName, message: `interface.vrf (${s.vrf.name}, table ${s.vrf.table}) needs the kernel's vrf driver (module "vrf"), and this kernel has none (it answers a vrf link with ${a.answer}); load the vrf module or drop the field; nothing was changed` });
    }
    if (s.linkType === 'ipvlan') {
      const a = probe('ipvlan');
      if (!a.present) issues.push({ path: s.linkTypePath ?? s.path, device: s.hostName, message: `"type": "ipvlan" needs the kernel's ipvlan driver (module "ipvlan"), and this kernel has none (it answers an ipvlan link with ${a.answer}); load the ipvlan module or use "type": "passthrough"; nothing was changed` });
    }
  }
  return issues;
}

function ignoring(codes: readonly string[], action: () => void): void {
  try {
    action();
  } catch (e) {
    if (!(e instanceof NetlinkError && codes.includes(e.code))) throw e;
  }
}

export function applyVrfs(ctr: NetlinkSocket, tx: Transaction, placed: readonly Placed[]): void {
  const byName = new Map<string, Placed[]>();
  for (const p of placed) if (p.spec.vrf !== undefined) byName.set(p.spec.vrf.name, [...(byName.get(p.spec.vrf.name) ?? []), p]);
  if (byName.size === 0) return;
  const vrfs = [...byName].map(([name, members]) => ({ name, table: members[0]!.spec.vrf!.table, owner: members[0]!.spec.hostName, members }));
  // The undo finds the VRF by name when it runs: its ifindex is only known after the creation.
  tx.batch(ctr, 'create VRF device', vrfs.map((v) => ({
    device: v.owner, request: linkAddVrf(v.name, v.table),
    undo: () => ignoring(['ENODEV'], () => ctr.run(linkDel(ctr.run(linkGet({ name: v.name })).index, `VRF ${v.name}`))),
  })));
  const index = new Map(vrfs.map((v) => [v.name, ctr.run(linkGet({ name: v.name })).index]));
  tx.batch(ctr, 'set VRF device up', vrfs.map((v) => ({ device: v.owner, request: linkSetUp(index.get(v.name)!, true) })));
  tx.batch(ctr, 'enslave to VRF', vrfs.flatMap((v) => v.members.map((p) => ({
    device: p.spec.hostName, request: linkSetMaster(p.link.index, index.get(v.name)!),
    undo: () => ignoring(['ENODEV'], () => ctr.run(linkSetMaster(p.link.index, 0))),
  }))));
}
