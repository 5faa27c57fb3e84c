/** ethtool over one generic netlink socket: the family id resolved once, then typed reads and writes. */
import { type EthtoolFeatures, ethtoolFeaturesGet, ethtoolFeaturesSet, ethtoolPrivFlagsGet, ethtoolPrivFlagsSet } from '../netlink/ethtool-ops.js';
import { genlFamilies } from '../netlink/genl.js';
import type { NetlinkSocket } from '../netlink/socket.js';

export class EthtoolSession {
  constructor(readonly sock: NetlinkSocket) {}

  private family(): number {
    return genlFamilies.ethtool(this.sock);
  }

  features(ifindex: number): EthtoolFeatures {
    return this.sock.run(ethtoolFeaturesGet(this.family(), ifindex));
  }

  /** Only the named kernel bits change; the outcome is read back separately (features()). */
  setFeatures(ifindex: number, changes: Record<string, boolean>): void {
    this.sock.run(ethtoolFeaturesSet(this.family(), ifindex, changes, { omitReply: true }));
  }

  /** The device's private flags, or the kernel's refusal (most virtual devices have none: EOPNOTSUPP). */
  privateFlags(ifindex: number): Map<string, boolean> | Error {
    try {
      return this.sock.run(ethtoolPrivFlagsGet(this.family(), ifindex));
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e));
    }
  }

  setPrivateFlags(ifindex: number, changes: Record<string, boolean>): void {
    this.sock.run(ethtoolPrivFlagsSet(this.family(), ifindex, changes));
  }

  close(): void {
    this.sock.close();
  }
}
