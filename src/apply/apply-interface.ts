/**
 * The interface's scalar fields (src/config/interface-fields.ts) set on the
 * moved links: one step per link attribute they write, in the order of
 * src/apply/link-attributes.ts (MAC address, MTU, GSO/GRO sizes, ...), each
 * request and its undo that attribute's own `set`. The undo puts back every
 * field the attribute covers, as read before the step: setting the IPv6 GSO
 * size can overwrite the IPv4 one (link.ts).
 */
import { INTERFACE_FIELD_NAMES, INTERFACE_FIELDS, type InterfaceField } from '../config/interface-fields.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import type { Placed } from './apply-devices.js';
import { LINK_ATTRIBUTES, type LinkAttribute, type LinkState } from './link-attributes.js';
import type { Transaction } from './transaction.js';

/** The saved link-state field a field sets (this compiles only while every field names one). */
export const linkKey = (f: InterfaceField): keyof LinkState => INTERFACE_FIELDS[f].link;

const STEPS: ReadonlyArray<{ attribute: LinkAttribute; fields: InterfaceField[] }> = LINK_ATTRIBUTES
  .map((attribute) => ({ attribute, fields: INTERFACE_FIELD_NAMES.filter((f) => attribute.keys.includes(linkKey(f))) }))
  .filter((s) => s.fields.length > 0);

export async function applyInterfaceFields(ctr: NetlinkSocket, tx: Transaction, placed: readonly Placed[], checkpoint: () => Promise<void>): Promise<void> {
  for (const { attribute, fields } of STEPS) {
    await checkpoint();
    tx.batch(ctr, `set ${attribute.what}`, placed.flatMap((p) => {
      const before = attribute.read(p.link);
      const want: Record<string, unknown> = {};
      for (const f of fields) {
        const v = p.spec[f];
        if (v !== undefined && v !== before[linkKey(f)]) want[linkKey(f)] = v;
      }
      if (Object.keys(want).length === 0) return [];
      return [{ device: p.spec.hostName, request: attribute.set(p.link.index, want as LinkState), undo: () => ctr.run(attribute.set(p.link.index, before)) }];
    }));
  }
}
