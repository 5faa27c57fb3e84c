/**
 * ethtool over one generic netlink socket: the family id resolved once, the feature names once
 * per process, then typed reads and writes.
 */
import { ETHTOOL } from '../netlink/constants.js';
import { type EthtoolFeatures, ethtoolFeaturesGet, ethtoolFeaturesSet, ethtoolPrivFlagsGet, ethtoolPrivFlagsSet, ethtoolStringSetGet } from '../netlink/ethtool-ops.js';
import { genlFamilies } from '../netlink/genl.js';
import type { NetlinkSocket } from '../netlink/socket.js';

/** What a kernel says once and for all, kept by whoever shares it between sessions. */
export interface KernelTables {
  featureNames?: readonly string[];
  /**
   * The ethtool generic netlink family's id. Family ids are global (every netns's controller
   * gives the same), and ethtool's is registered by the core at boot and never unregistered
   * (net/ethtool/netlink.c is not a module): one CTRL_CMD_GETFAMILY per process, not per request.
   */
  ethtoolFamily?: number;
}

/**
 * The running kernel's tables, for every session on a real socket: the feature names
 * (netdev_features_strings, one table for every device and namespace, fixed while the kernel
 * runs) and the family id are read once per process, so the resident engine reads them once, not per request.
 */
export const runningKernel: KernelTables = {};

export class EthtoolSession {
  /** `kernel`: tables shared with other sessions on the same kernel; a session of its own by default (a fake kernel's). */
  constructor(
    readonly sock: NetlinkSocket,
    private readonly kernel: KernelTables = {},
  ) {}

  private family(): number {
    return (this.kernel.ethtoolFamily ??= genlFamilies.ethtool(this.sock));
  }

  /** ETH_SS_FEATURES, read once; null when the kernel will not give it (the verbose form names its bits). */
  private names: readonly string[] | null | undefined;

  private featureNames(): readonly string[] | undefined {
    if (this.names === undefined) {
      try {
        this.names = this.kernel.featureNames ??= this.sock.run(ethtoolStringSetGet(this.family(), ETHTOOL.ETH_SS_FEATURES));
      } catch {
        this.names = null;
      }
    }
    return this.names ?? undefined;
  }

  /** Read in compact bit sets named by the string set; verbose when a bit would go unnamed (`#N`). */
  features(ifindex: number): EthtoolFeatures {
    const names = this.featureNames();
    const f = this.sock.run(ethtoolFeaturesGet(this.family(), ifindex, names));
    if (names !== undefined && f.names.some((n) => n.startsWith('#'))) return this.sock.run(ethtoolFeaturesGet(this.family(), ifindex));
    return f;
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
