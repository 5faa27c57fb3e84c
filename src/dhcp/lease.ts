/** A DHCP lease as the hook keeps it (devices.json, status): a leaf module, so state/ can parse it. */
export interface DhcpLease {
  address: string;
  prefixLength: number;
  /** Option 54: where the DHCPRELEASE goes. */
  serverId: string;
  leaseSeconds: number;
  router?: string;
  mtu?: number;
  /** RFC 3339: with leaseSeconds, when the server considers the address free again. */
  obtainedAt: string;
  /** The chaddr and client identifier the lease was obtained with (the RELEASE must match). */
  clientMac: string;
}
