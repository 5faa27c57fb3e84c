/**
 * Nexthop objects (Linux 5.3+), read only: a route may name its next hop by
 * id (RTA_NH_ID) and, with net.ipv4.nexthop_compat_mode=0, carry nothing else.
 */
import { AttrSet, NetlinkDecodeError, hostLittleEndian } from './attr.js';
import { NL, RTNL } from './constants.js';
import type { IncomingMessage } from './message.js';
import type { Request } from './socket.js';

export interface Nexthop {
  id: number;
  /** NHA_OIF; 0 for a group or a blackhole. */
  oif: number;
  /** NHA_GROUP: the member ids. */
  group: number[];
}

export function decodeNexthop(m: IncomingMessage): Nexthop {
  if (m.payload.length < RTNL.NHMSG_LEN) throw new NetlinkDecodeError('short nhmsg');
  const a = new AttrSet(m.payload, RTNL.NHMSG_LEN);
  const id = a.u32(RTNL.NHA_ID);
  if (id === undefined) throw new NetlinkDecodeError('nexthop without NHA_ID');
  const group: number[] = [];
  const g = a.raw(RTNL.NHA_GROUP);
  if (g !== undefined) {
    // struct nexthop_grp { u32 id; u8 weight; u8 resvd1; u16 resvd2; }
    if (g.length % RTNL.NEXTHOP_GRP_LEN !== 0) throw new NetlinkDecodeError(`NHA_GROUP of ${g.length} bytes`);
    const view = new DataView(g.buffer, g.byteOffset, g.byteLength);
    for (let off = 0; off < g.length; off += RTNL.NEXTHOP_GRP_LEN) group.push(view.getUint32(off, hostLittleEndian));
  }
  return { id, oif: a.u32(RTNL.NHA_OIF) ?? 0, group };
}

/** ip nexthop show (all families) */
export function nexthopList(): Request<Nexthop[]> {
  return {
    describe: 'list nexthops',
    message: { type: RTNL.RTM_GETNEXTHOP, flags: NL.NLM_F_DUMP, header: new Uint8Array(RTNL.NHMSG_LEN), attrs: [] },
    parse: (replies) => replies.filter((m) => m.type === RTNL.RTM_NEWNEXTHOP).map(decodeNexthop),
  };
}

/** The devices nexthop `id` sends packets out of, through groups (the kernel does not nest them). */
export function nexthopDevices(id: number, nexthops: readonly Nexthop[]): number[] {
  const byId = new Map(nexthops.map((n) => [n.id, n]));
  const nh = byId.get(id);
  if (nh === undefined) return [];
  const members = nh.group.length > 0 ? nh.group.map((m) => byId.get(m)).filter((n): n is Nexthop => n !== undefined) : [nh];
  return members.map((n) => n.oif).filter((oif) => oif !== 0);
}
