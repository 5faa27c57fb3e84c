/**
 * The device's own link attributes that must come home as they left, each
 * described once: the saved field(s) (their types, for the record's parser,
 * in src/state/link-state.ts), how to read them from a kernel link, and the
 * request that sets them. The snapshot, the teardown and the undo of a move
 * walk this table: adding an attribute is one entry here and its field there.
 *
 * Not here because their place in the sequence matters: the name (the move
 * home carries it), up/down (down before the move, up after the addresses),
 * altnames (the container's go before the move, the host's come back after),
 * and the per-device IPv4/IPv6 settings and ethtool state (restore.ts).
 */
import { RTNL3 } from '../netlink/constants.js';
import { type Link, linkSetAlias, linkSetFlags, linkSetGroup, linkSetMac, linkSetMtu, linkSetOffloadSizes, linkSetTxqlen } from '../netlink/link.js';
import type { Request } from '../netlink/socket.js';
import type { LinkState } from '../state/link-state.js';

export type { LinkState };

export interface LinkAttribute {
  /** What a loss report calls it. */
  what: string;
  /** The saved fields it covers (their types: src/state/link-state.ts). */
  keys: ReadonlyArray<keyof LinkState>;
  read(link: Link): LinkState;
  /** The request that gives the link `want` (every field of this entry that was saved). */
  set(index: number, want: LinkState): Request<void>;
}

const flag = (key: 'promisc' | 'allmulti' | 'noarp', bit: number, text: string): LinkAttribute => ({
  what: text,
  keys: [key],
  read: (l) => ({ [key]: (l.flags & bit) !== 0 }),
  set: (index, want) => linkSetFlags(index, want[key] === true ? bit : 0, bit, `${text} ${want[key] === true ? 'on' : 'off'}`),
});

const OFFLOAD = ['gsoMaxSize', 'groMaxSize', 'gsoIPv4MaxSize', 'groIPv4MaxSize'] as const;

export const LINK_ATTRIBUTES: readonly LinkAttribute[] = [
  { what: 'MAC address', keys: ['mac'], read: (l) => (l.mac !== undefined ? { mac: l.mac } : {}), set: (i, w) => linkSetMac(i, w.mac!) },
  { what: 'MTU', keys: ['mtu'], read: (l) => ({ mtu: l.mtu }), set: (i, w) => linkSetMtu(i, w.mtu!) },
  {
    // One message: setting the IPv6/legacy size also overwrites the IPv4 one (link.ts).
    what: 'GSO/GRO sizes',
    keys: OFFLOAD,
    read: (l) => Object.fromEntries(OFFLOAD.filter((k) => l[k] !== undefined).map((k) => [k, l[k]])) as LinkState,
    set: (i, w) => linkSetOffloadSizes(i, Object.fromEntries(OFFLOAD.filter((k) => w[k] !== undefined).map((k) => [k, w[k]]))),
  },
  flag('promisc', RTNL3.IFF_PROMISC, 'promisc'),
  flag('allmulti', RTNL3.IFF_ALLMULTI, 'allmulticast'),
  flag('noarp', RTNL3.IFF_NOARP, 'noarp'),
  { what: 'txqueuelen', keys: ['txqlen'], read: (l) => (l.txqlen !== undefined ? { txqlen: l.txqlen } : {}), set: (i, w) => linkSetTxqlen(i, w.txqlen!) },
  { what: 'alias', keys: ['ifalias'], read: (l) => ({ ifalias: l.ifalias ?? '' }), set: (i, w) => linkSetAlias(i, w.ifalias!) },
  { what: 'group', keys: ['group'], read: (l) => (l.group !== undefined ? { group: l.group } : {}), set: (i, w) => linkSetGroup(i, w.group!) },
];

/** The link's state as the table describes it. */
export function readLinkState(link: Link): LinkState {
  return Object.assign({}, ...LINK_ATTRIBUTES.map((a) => a.read(link))) as LinkState;
}

/** One request per attribute whose saved value differs from the link's, with what it restores. */
export function linkStateRequests(link: Link, saved: LinkState): Array<{ what: string; request: Request<void> }> {
  const out: Array<{ what: string; request: Request<void> }> = [];
  const now = readLinkState(link);
  for (const a of LINK_ATTRIBUTES) {
    const want: LinkState = {};
    let differs = false;
    for (const key of a.keys) {
      if (saved[key] === undefined) continue;
      (want as Record<string, unknown>)[key] = saved[key];
      if (now[key] !== saved[key]) differs = true;
    }
    if (differs) out.push({ what: a.what, request: a.set(link.index, want) });
  }
  return out;
}
