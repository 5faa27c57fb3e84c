/**
 * Bringing a container's devices home: at poststop, at `delete` through the
 * wrapper, and when recovering from a hook that died mid-apply. Each device is
 * found in the pinned container netns, given back its host MTU, MAC, offload
 * sizes and ethtool settings, moved home under its original name, and its
 * host addresses and routes are re-added.
 */
import { EthtoolSession } from '../apply/ethtool-session.js';
import { resetAttributes, moveHome, restoreHostConfig } from '../apply/restore.js';
import { StepError } from '../errors.js';
import { RTNL } from '../netlink/constants.js';
import { type Link, linkGet, linkList } from '../netlink/link.js';
import { openGeneric, openRoute } from '../netlink/open.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import { type ContainerState, type JournalDevice, removeContainerState } from '../state/container-state.js';
import { dropClaim } from '../state/device-lock.js';
import { unpinNetns } from '../state/netns-pin.js';
import { removeStatus } from '../status/status-store.js';
import type { StateDir } from '../state/state-dir.js';
import { NetnsFd } from './netns.js';
import { existsSync } from 'node:fs';

export interface TeardownResult {
  restored: string[];
  /** Devices that were not in the container netns any more (destroyed with it, or never moved). */
  missing: string[];
  errors: StepError[];
}

function findInContainer(links: readonly Link[], d: JournalDevice): Link | undefined {
  const byIndex = d.containerIndex !== undefined ? links.find((l) => l.index === d.containerIndex && l.name === d.containerName) : undefined;
  if (byIndex !== undefined) return byIndex;
  const exact = links.find((l) => l.name === d.containerName && !d.containerName.includes('%'));
  if (exact !== undefined) return exact;
  const stillHostNamed = links.find((l) => l.name === d.original.name);
  if (stillHostNamed !== undefined) return stillHostNamed;
  const macs = [d.hardwareAddr, d.original.mac].filter((m): m is string => m !== undefined);
  return links.find((l) => l.mac !== undefined && macs.includes(l.mac) && (l.flags & RTNL.IFF_LOOPBACK) === 0);
}

function onHost(host: NetlinkSocket, name: string): Link | undefined {
  try {
    return host.run(linkGet({ name }));
  } catch {
    return undefined;
  }
}

export function restoreDevices(state: ContainerState): TeardownResult {
  const result: TeardownResult = { restored: [], missing: [], errors: [] };
  const devices = state.devices.filter((d) => d.movedByRuntime !== true);
  if (devices.length === 0) return result;
  const host = openRoute(null);
  const hostFd = new NetnsFd('/proc/self/ns/net');
  let ctr: NetlinkSocket | undefined;
  let genl: EthtoolSession | undefined;
  try {
    const pinned = state.netnsPin !== undefined && existsSync(state.netnsPin);
    if (pinned) {
      try {
        ctr = openRoute(state.netnsPin!);
      } catch {
        ctr = undefined; // the pin is not a netns any more (never mounted, or unmounted)
      }
    }
    const links = ctr?.run(linkList()) ?? [];
    for (const d of devices) {
      try {
        const link = findInContainer(links, d);
        if (link === undefined || ctr === undefined) {
          const home = onHost(host, d.original.name);
          if (home !== undefined) {
            const errs = restoreHostConfig(host, home, d.original);
            if (errs.length > 0) throw new Error(errs.map((e) => e.message).join('; '));
            result.restored.push(d.hostName);
          } else result.missing.push(d.hostName);
          continue;
        }
        const errs = resetAttributes(ctr, link, d.original);
        const features = Object.keys(d.original.features).length > 0;
        const flags = Object.keys(d.original.privateFlags).length > 0;
        if (features || flags) {
          genl ??= new EthtoolSession(openGeneric(state.netnsPin!));
          if (features) genl.setFeatures(link.index, d.original.features);
          if (flags) genl.setPrivateFlags(link.index, d.original.privateFlags);
        }
        errs.push(...moveHome(ctr, host, hostFd.fd, link.index, d.original));
        if (errs.length > 0) throw new Error(errs.map((e) => e.message).join('; '));
        result.restored.push(d.hostName);
      } catch (e) {
        result.errors.push(new StepError('return to host', d.hostName, e));
      }
    }
  } finally {
    genl?.close();
    ctr?.close();
    host.close();
    hostFd.close();
  }
  return result;
}

/** Removes what the hook keeps for a container: pin, claims, state. */
export function forgetContainer(dir: StateDir, state: ContainerState): void {
  if (state.netnsPin !== undefined) unpinNetns(state.netnsPin);
  for (const d of state.devices) dropClaim(dir, d.hostName, state.id);
  removeContainerState(dir, state.id);
  removeStatus(dir, state.id);
}
