/**
 * Creating the two link kinds DraNet's NetworkConfig asks for: a VRF device
 * (`interface.vrf`) and an ipvlan child of the host device (`type: IPVLAN`),
 * enslaving to a VRF, deleting a link, and a probe for each driver that
 * changes nothing: a creation request the driver's own validation refuses
 * (EINVAL), where a kernel without the driver answers EOPNOTSUPP first
 * ("Unknown device type", after trying to load the module).
 */
import { attr } from './attr.js';
import { KINDS, NL, RTNL } from './constants.js';
import { encodeIfInfo } from './rtnl-headers.js';
import type { Request } from './socket.js';

const CREATE = (): number => NL.NLM_F_CREATE | NL.NLM_F_EXCL;

/** ip link add NAME type vrf table TABLE */
export function linkAddVrf(name: string, table: number): Request<void> {
  return {
    describe: `create VRF ${name} table ${table}`,
    message: {
      type: RTNL.RTM_NEWLINK, flags: CREATE(), header: encodeIfInfo({ family: NL.AF_UNSPEC }),
      attrs: [attr.str(RTNL.IFLA_IFNAME, name), attr.nest(RTNL.IFLA_LINKINFO, [attr.str(RTNL.IFLA_INFO_KIND, 'vrf'), attr.nest(KINDS.IFLA_INFO_DATA, [attr.u32(KINDS.IFLA_VRF_TABLE, table)])])],
    },
    parse: () => undefined,
  };
}

/**
 * ip link add NAME link PARENT type ipvlan mode l2 bridge, created directly in the netns of
 * `netnsFd` (the child exists only there; the parent stays on the host).
 */
export function linkAddIpvlan(parentIndex: number, name: string, netnsFd: number, mode: number = KINDS.IPVLAN_MODE_L2, flags = 0): Request<void> {
  return {
    describe: `create ipvlan ${name} on ifindex ${parentIndex} in the container netns`,
    message: {
      type: RTNL.RTM_NEWLINK, flags: CREATE(), header: encodeIfInfo({ family: NL.AF_UNSPEC }),
      attrs: [
        attr.str(RTNL.IFLA_IFNAME, name), attr.u32(KINDS.IFLA_LINK, parentIndex), attr.u32(RTNL.IFLA_NET_NS_FD, netnsFd),
        attr.nest(RTNL.IFLA_LINKINFO, [attr.str(RTNL.IFLA_INFO_KIND, 'ipvlan'), attr.nest(KINDS.IFLA_INFO_DATA, [attr.u16(KINDS.IFLA_IPVLAN_MODE, mode), attr.u16(KINDS.IFLA_IPVLAN_FLAGS, flags)])]),
      ],
    },
    parse: () => undefined,
  };
}

/** ip link set dev INDEX master MASTER (0: nomaster) */
export function linkSetMaster(index: number, master: number): Request<void> {
  return {
    describe: master === 0 ? `release ifindex ${index} from its master` : `enslave ifindex ${index} to ifindex ${master}`,
    message: { type: RTNL.RTM_NEWLINK, flags: 0, header: encodeIfInfo({ family: NL.AF_UNSPEC, index }), attrs: [attr.u32(KINDS.IFLA_MASTER, master)] },
    parse: () => undefined,
  };
}

/** ip link del dev INDEX */
export function linkDel(index: number, text: string): Request<void> {
  return { describe: `delete ${text}`, message: { type: KINDS.RTM_DELLINK, flags: 0, header: encodeIfInfo({ family: NL.AF_UNSPEC, index }), attrs: [] }, parse: () => undefined };
}

export type ProbedKind = 'vrf' | 'ipvlan';

/**
 * A creation the driver refuses in its validate hook, before anything exists: vrf without
 * its data ("VRF properties are required"), ipvlan with a mode past IPVLAN_MODE_MAX. EINVAL
 * means the driver is there; EOPNOTSUPP that it is not.
 */
export function linkKindProbe(kind: ProbedKind): Request<void> {
  const info = kind === 'vrf'
    ? [attr.str(RTNL.IFLA_INFO_KIND, 'vrf')]
    : [attr.str(RTNL.IFLA_INFO_KIND, 'ipvlan'), attr.nest(KINDS.IFLA_INFO_DATA, [attr.u16(KINDS.IFLA_IPVLAN_MODE, 0xffff)])];
  return {
    describe: `probe for the ${kind} driver`,
    message: { type: RTNL.RTM_NEWLINK, flags: CREATE(), header: encodeIfInfo({ family: NL.AF_UNSPEC }), attrs: [attr.nest(RTNL.IFLA_LINKINFO, info)] },
    parse: () => undefined,
  };
}
