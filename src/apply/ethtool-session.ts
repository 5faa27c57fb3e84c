/** ethtool over one generic netlink socket: family lookup once, then typed reads and writes. */
import { ETHTOOL } from '../netlink/constants.js';
import type { BitValues } from '../netlink/ethtool-bitset.js';
import { type FeatureState, ethtoolFeaturesGet, ethtoolFeaturesSet, ethtoolPrivFlagsGet, ethtoolPrivFlagsSet, ethtoolStrings } from '../netlink/ethtool.js';
import { genlFamily } from '../netlink/genetlink.js';
import type { NetlinkSocket } from '../netlink/socket.js';

export class EthtoolSession {
  private familyId: number | undefined;
  private featureNames: string[] | undefined;

  constructor(readonly sock: NetlinkSocket) {}

  private family(): number {
    this.familyId ??= this.sock.run(genlFamily('ethtool')).id;
    return this.familyId;
  }

  /** Feature names are the kernel's global table (netdev_features_strings): read once. */
  private names(ifindex: number): string[] {
    this.featureNames ??= this.sock.run(ethtoolStrings(this.family(), ifindex, ETHTOOL.ETH_SS_FEATURES));
    return this.featureNames;
  }

  features(ifindex: number): FeatureState {
    return this.sock.run(ethtoolFeaturesGet(this.family(), ifindex, this.names(ifindex)));
  }

  setFeatures(ifindex: number, changes: Record<string, boolean>): void {
    this.sock.run(ethtoolFeaturesSet(this.family(), ifindex, changes));
  }

  /** The device's private flags, or the kernel's refusal (most virtual devices have none: EOPNOTSUPP). */
  privateFlags(ifindex: number): BitValues | Error {
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
