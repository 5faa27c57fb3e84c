/**
 * The normalized, validated description of what a container asks for.
 * Every input shape (linux.netDevices array/map, `netdevices` alias,
 * annotations, networkConfig) is turned into this before any kernel call.
 */

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
  /** JSON path of this route, for errors raised while applying it. */
  path: string;
}

export interface EthtoolSpec {
  /** Feature name as the user wrote it (kernel name or ethtool CLI alias) -> wanted state. */
  features: Record<string, boolean>;
  privateFlags: Record<string, boolean>;
}

export interface DeviceSpec {
  /** JSON path of the entry, e.g. `linux.netDevices[0]` or `linux.netDevices["eth1"]`. */
  path: string;
  /** Name of the interface in the host network namespace. */
  hostName: string;
  /** Name in the container; may hold one `%d` template. Defaults to hostName. */
  containerName: string;
  /** Addresses to add, in order (proposal's address/mask first, then networkConfig.interface.addresses). */
  addresses: Cidr[];
  mtu?: number;
  /** Lower-case colon form `aa:bb:cc:dd:ee:ff`. */
  hardwareAddr?: string;
  gsoMaxSize?: number;
  groMaxSize?: number;
  gsoIPv4MaxSize?: number;
  groIPv4MaxSize?: number;
  routes: RouteSpec[];
  ethtool: EthtoolSpec;
  /** Where the entry came from. */
  source: 'config' | 'annotation';
}
