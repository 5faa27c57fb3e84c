/**
 * FIB rules and permanent neighbor entries, added after the link is up and the
 * routes are in (a rule points at a table those routes fill). Each registers
 * its undo like a route.
 */
import { ruleText } from '../config/dranet-rules.js';
import type { Cidr, NeighborSpec, RuleSpec } from '../config/model.js';
import { NetlinkError } from '../netlink/message.js';
import { type NeighInput, neighAdd, neighDel } from '../netlink/neigh.js';
import { type RuleInput, ruleAdd, ruleDel } from '../netlink/rule.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import type { Placed } from './apply-devices.js';
import type { Transaction } from './transaction.js';

const prefix = (c: Cidr): { bytes: Uint8Array; prefixLength: number } => ({ bytes: c.bytes, prefixLength: c.prefixLength });

export function ruleInput(r: RuleSpec): RuleInput {
  const input: RuleInput = { family: r.family, table: r.table };
  if (r.priority !== undefined) input.priority = r.priority;
  if (r.source !== undefined) input.src = prefix(r.source);
  if (r.destination !== undefined) input.dst = prefix(r.destination);
  return input;
}

export function neighInput(n: NeighborSpec, index: number): NeighInput {
  return { family: n.destination.family, index, dst: n.destination.bytes, lladdr: n.hardwareAddr };
}

const neighText = (n: NeighborSpec, ifname: string): string => `${n.destination.text} lladdr ${n.hardwareAddr} dev ${ifname} nud permanent`;

/** Runs an undo; a refusal meaning "already gone" is not a failure. */
function ignoring(codes: readonly string[], action: () => void): void {
  try {
    action();
  } catch (e) {
    if (!(e instanceof NetlinkError && codes.includes(e.code))) throw e;
  }
}

export function applyRulesAndNeighbors(ctr: NetlinkSocket, tx: Transaction, placed: readonly Placed[]): void {
  tx.batch(ctr, 'add rule', placed.flatMap((p) => p.spec.rules.map((r) => {
    const input = ruleInput(r);
    const text = ruleText(r);
    // A rule outlives the device: undone even after a refusal (the kernel may have added it).
    return { device: p.spec.hostName, request: ruleAdd(input, text), undo: () => ignoring(['ENOENT'], () => ctr.run(ruleDel(input, text))), undoIfRefused: true };
  })));
  tx.batch(ctr, 'add neighbor', placed.flatMap((p) => p.spec.neighbors.map((n) => {
    const input = neighInput(n, p.link.index);
    const text = neighText(n, p.link.name);
    // The link going down (an earlier undo) does not flush permanent entries; a device already gone took them along.
    return { device: p.spec.hostName, request: neighAdd(input, text), undo: () => ignoring(['ENOENT', 'ENODEV'], () => ctr.run(neighDel(input, text))) };
  })));
}
