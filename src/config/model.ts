/**
 * The normalized, validated description of what a container asks for.
 * Every input shape (linux.netDevices array/map, `netdevices` alias,
 * annotations, networkConfig) is turned into this before any kernel call.
 */
import type { InterfaceScalars } from './interface-fields.js';

export type Family = 4 | 6;

export interface IpAddress {
  family: Family;
  /** 4 or 16 bytes, network order. */
  bytes: Uint8Array;
  /** Canonical text form (`192.0.2.1`, `2001:db8::1`). */
  text: string;
}

export interface Cidr extends IpAddress {
  prefixLength: number;
}

export interface RouteSpec {
  /** Destination network; host bits are kept as given is an error, see validation. */
  destination: Cidr;
  gateway?: IpAddress;
  source?: IpAddress;
  /** 0 = universe, 253 = link. */
  scope: 0 | 253;
  /** Routing table; `table` 0 or absent in the input is the main table (254). With a VRF, the VRF's table. */
  table: number;
  /** Where a non-zero `table` was written (a VRF's table must agree with it). */
  tablePath?: string;
  /** JSON path of this route, for errors raised while applying it. */
  path: string;
}

/** A FIB rule (`ip rule`) in the container netns: traffic matching source/destination looks up `table`. */
export interface RuleSpec {
  /** The family of source/destination; IPv4 when neither is given (as `ip rule` without -6). */
  family: Family;
  /** Absent: the kernel picks one (just below the first non-zero existing priority). */
  priority?: number;
  source?: Cidr;
  destination?: Cidr;
  table: number;
  path: string;
}

/** A permanent neighbor entry (`ip neigh add ... nud permanent`) on this device. */
export interface NeighborSpec {
  destination: IpAddress;
  /** Lower-case colon form. */
  hardwareAddr: string;
  path: string;
}

/** Per-interface settings the move reset to the container netns' defaults; only the given ones are set. */
export interface InterfaceSysctls {
  /** net.ipv4.conf.<if>.forwarding and net.ipv6.conf.<if>.forwarding. */
  forwarding?: boolean;
  arpIgnore?: number;
  arpAnnounce?: number;
  disableIPv6?: boolean;
  acceptRA?: number;
  dadTransmits?: number;
  routerSolicitationDelay?: number;
  routerSolicitationInterval?: number;
  /** IFLA_INET6_ADDR_GEN_MODE: 0 eui64, 1 none, 2 stable-privacy, 3 random. */
  addrGenMode?: number;
}

export type Addressing = 'Static' | 'DHCP' | 'SLAAC' | 'Unnumbered';

export interface VrfSpec {
  name: string;
  /** Given, or DraNet's default: FNV-1a 32 of the name, mod 1000, plus 1000. */
  table: number;
  path: string;
}

export interface EthtoolSpec {
  /** Feature name as the user wrote it (kernel name or ethtool CLI alias) -> wanted state. */
  features: Record<string, boolean>;
  privateFlags: Record<string, boolean>;
}

/** Besides these, the interface's scalar fields (mtu, hardwareAddr, ...): src/config/interface-fields.ts. */
export interface DeviceSpec extends InterfaceScalars {
  /** JSON path of the entry, e.g. `linux.netDevices[0]` or `linux.netDevices["eth1"]`. */
  path: string;
  /** Name of the interface in the host network namespace. */
  hostName: string;
  /** Name in the container; may hold one `%d` template. Defaults to hostName. */
  containerName: string;
  /** Addresses to add, in order (proposal's address/mask first, then networkConfig.interface.addresses). */
  addresses: Cidr[];
  routes: RouteSpec[];
  rules: RuleSpec[];
  neighbors: NeighborSpec[];
  sysctls: InterfaceSysctls;
  /** Static unless DHCP, SLAAC or Unnumbered was asked for. */
  addressing: Addressing;
  /** passthrough: the host device itself is moved; ipvlan: an ipvlan child of it (needs the kernel's ipvlan driver). */
  linkType: 'passthrough' | 'ipvlan';
  /** JSON path of `interface.type` when ipvlan was asked for. */
  linkTypePath?: string;
  vrf?: VrfSpec;
  ethtool: EthtoolSpec;
  /** Where the entry came from. */
  source: 'config' | 'annotation';
}
