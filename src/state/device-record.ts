/**
 * What the hook remembers about each device it moved: enough to put the
 * device back on the host exactly as it was (teardown, crash recovery).
 */
import type { DhcpLease } from '../dhcp/lease.js';
import type { DeviceIdentity } from './identity.js';
import type { LinkState } from './link-state.js';

export interface SavedAddress {
  family: 4 | 6;
  /** Base64 of the address bytes. */
  bytes: string;
  prefixLength: number;
  text: string;
  scope: number;
  /** IFA_F_* as the kernel reported them (restored: the settable ones; the kernel derives the rest). */
  flags: number;
  /** Base64: the point-to-point peer, the broadcast address. */
  peer?: string;
  broadcast?: string;
  label?: string;
  /** IFA_RT_PRIORITY and IFA_PROTO. */
  metric?: number;
  proto?: number;
  /** Seconds left when the snapshot was taken (HostOriginal.takenAt); absent: forever. */
  lifetime?: { preferred: number; valid: number };
}

export interface SavedNexthop {
  /** The host ifindex at snapshot time (the device's own one is mapped to its ifindex at home). */
  oif: number;
  flags: number;
  hops: number;
  gateway?: string;
}

export interface SavedRoute {
  family: 4 | 6;
  dst: string;
  dstLength: number;
  gateway?: string;
  prefSrc?: string;
  scope: number;
  text: string;
  /** Absent in records of older versions: main table, RTPROT_BOOT, unicast, no metric or flags. */
  table?: number;
  protocol?: number;
  type?: number;
  priority?: number;
  /** rtm_flags (RTNH_F_ONLINK...). */
  flags?: number;
  nexthops?: SavedNexthop[];
  /** Base64 of RTA_METRICS as reported. */
  metrics?: string;
  pref?: number;
  /** The route went through a nexthop object (RTA_NH_ID): those are not restored (reported as a loss). */
  nhId?: number;
}

export interface HostOriginal extends LinkState {
  name: string;
  index: number;
  up: boolean;
  mtu: number;
  /** When the snapshot was taken (ms since the epoch): address lifetimes count down from it. */
  takenAt?: number;
  /** Every address the host had on the device (IPv6 temporary ones are the kernel's and regenerate). */
  addresses: SavedAddress[];
  /** Every route through the device, in every table (kernel-made ones come back with their addresses). */
  routes: SavedRoute[];
  /** Original state of every ethtool feature/private flag the hook changed (kernel names). */
  features: Record<string, boolean>;
  privateFlags: Record<string, boolean>;
  /** The whole changeable feature set (wanted) and every private flag, restored at teardown. */
  featuresAll?: Record<string, boolean>;
  privateFlagsAll?: Record<string, boolean>;
  /** Alternative names (IFLA_ALT_IFNAME). */
  altnames?: string[];
  /** net.ipv4.conf.<dev>.* by IPV4_DEVCONF index (IFLA_INET_CONF), net.ipv6.conf.<dev>.* by file name. */
  ipv4Conf?: Record<string, number>;
  ipv6Conf?: Record<string, string>;
}

export interface DeviceRecord {
  hostName: string;
  /** Name the device got in the container. */
  containerName: string;
  containerIndex: number;
  /** True when the runtime had already moved it (we only configured it). */
  movedByRuntime: boolean;
  original: HostOriginal;
  /** Who the device is, with its container ifindex (src/state/identity.ts). */
  identity: DeviceIdentity;
  /** The DHCP lease it holds (released at teardown). */
  dhcpLease?: DhcpLease;
  /** An ipvlan child made for the container (the host device never moved): nothing comes home. */
  child?: 'ipvlan';
}

/** Something of the host state that could not be put back; the device itself came home. */
export interface Loss {
  device: string;
  what: string;
  why: string;
}
