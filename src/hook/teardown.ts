/**
 * Bringing a container's devices home: at poststop, at `delete` through the
 * wrapper, and when recovering from a hook that died mid-apply. Each device is
 * found by its identity (src/state/identity.ts) in the pinned container netns
 * (or, for a journal without a pin, the container's own while it runs) and
 * brought home the way a rollback brings it (src/apply/bring-home.ts): its
 * whole host state back, under its original name (or a free fallback chosen
 * before the move). What could not be restored is a loss, reported; only a
 * device that could not be moved home is an error (state kept for `recover`).
 * A device that cannot be identified is reported missing and nothing is done
 * to whatever now carries its name.
 */
import { EthtoolSession, runningKernel } from '../ethtool/session.js';
import { bringHome, chooseHostName, configureAtHome } from '../apply/bring-home.js';
import { linkIfPresent, takenIn } from '../apply/host-names.js';
import type { Loss } from '../state/device-record.js';
import type { HomeOptions } from '../apply/restore.js';
import { StepError } from '../errors.js';
import { RTNL } from '../netlink/constants.js';
import { type Link, linkList } from '../netlink/link.js';
import { openGeneric, openRoute } from '../netlink/open.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import { removeContainerDir } from '../state/container-store.js';
import { dropClaim } from '../state/device-lock.js';
import type { ContainerDevice, ContainerRecord, Journal } from '../state/records.js';
import { findByIdentity, identifies, netnsInode } from '../state/identity.js';
import { processAlive } from '../state/proc-start.js';
import { unpinNetns } from '../state/netns-pin.js';
import { removeStatus } from '../status/status-store.js';
import type { StateDir } from '../state/state-dir.js';
import { NetnsFd } from './netns.js';
import { sendRelease } from '../apply/apply-addressing.js';
import { existsSync, fstatSync } from 'node:fs';

export interface TeardownResult {
  restored: string[];
  /** Devices that were not in the container netns any more (destroyed with it, or never moved). */
  missing: string[];
  errors: StepError[];
  /** Things done differently from the record (a device home under another name). */
  notes: string[];
  /** What of a device's host state could not be put back, though the device came home. */
  losses: Loss[];
}

export { chooseHostName };

/**
 * Legacy records (no identity, written by an older version): the device in the container
 * netns by the index and name recorded once applied; else by its container name, its host
 * name, or its MAC.
 */
function findLegacy(links: readonly Link[], d: ContainerDevice): Link | undefined {
  const usable = links.filter((l) => (l.flags & RTNL.IFF_LOOPBACK) === 0);
  const byIndex = d.containerIndex !== undefined ? usable.find((l) => l.index === d.containerIndex && l.name === d.containerName) : undefined;
  if (byIndex !== undefined) return byIndex;
  const exact = usable.find((l) => l.name === d.containerName && !d.containerName.includes('%'));
  if (exact !== undefined) return exact;
  const stillHostNamed = usable.find((l) => l.name === d.original.name);
  if (stillHostNamed !== undefined) return stillHostNamed;
  const macs = [d.hardwareAddr, d.original.mac].filter((m): m is string => m !== undefined);
  const byMac = usable.filter((l) => l.mac !== undefined && macs.includes(l.mac));
  return byMac.find((l) => l.index === d.original.index) ?? (byMac.length === 1 ? byMac[0] : undefined);
}

/**
 * The container's netns: the pin (teardown=restore), else, for a journal, the container
 * process's own netns while it still runs (teardown=kernel has no pin).
 */
function containerNetnsPath(state: ContainerRecord | Journal): string | undefined {
  if (state.netnsPin !== undefined && existsSync(state.netnsPin)) return state.netnsPin;
  if ('containerPid' in state && state.containerPid !== undefined && state.containerStart !== undefined && processAlive(state.containerPid, state.containerStart)) return `/proc/${state.containerPid}/ns/net`;
  return undefined;
}

export function restoreDevices(state: ContainerRecord | Journal): TeardownResult {
  const result: TeardownResult = { restored: [], missing: [], errors: [], notes: [], losses: [] };
  // An ipvlan child dies with the container netns, a device the runtime moved is the runtime's: only the
  // devices we moved come home. Those that stay still give their DHCP lease back.
  const devices = state.devices.filter((d) => d.movedByRuntime !== true && d.child === undefined);
  const leasedStaying = state.devices.filter((d) => !devices.includes(d) && d.dhcpLease !== undefined);
  if (devices.length === 0 && leasedStaying.length === 0) return result;
  const host = openRoute(null);
  const hostFd = new NetnsFd('/proc/self/ns/net');
  const hostIno = fstatSync(hostFd.fd).ino;
  let ctr: NetlinkSocket | undefined;
  // ethtool state comes back on the host side, after the move: one session for every device.
  let genl: EthtoolSession | undefined;
  const opts: HomeOptions = { ethtool: () => (genl ??= new EthtoolSession(openGeneric(null), runningKernel)) };
  try {
    const ctrPath = containerNetnsPath(state);
    const ctrIno = ctrPath !== undefined ? netnsInode(ctrPath) : undefined;
    if (ctrPath !== undefined) {
      try {
        ctr = openRoute(ctrPath);
      } catch {
        ctr = undefined; // the pin is not a netns any more (never mounted, or unmounted)
      }
    }
    const links = ctr?.run(linkList()) ?? [];
    for (const d of leasedStaying) {
      const link = links.find((l) => l.index === d.containerIndex && l.name === d.containerName);
      if (link !== undefined) result.notes.push(releaseLeaseOf(ctrPath!, link, d));
    }
    // Every host link is read only to find a device on the host by identity (it is not in the
    // container netns); names are asked of the kernel one by one. Read again after each change.
    let hostLinks: Link[] | undefined;
    const hostNow = (): Link[] => (hostLinks ??= host.run(linkList()));
    for (const d of devices) {
      try {
        const id = d.identity;
        // Only the netns the device was moved into is searched: a pin or pid now naming another netns is not it.
        const searchable = ctr !== undefined && (id?.containerNetns === undefined || id.containerNetns === ctrIno);
        const link = !searchable ? undefined : id !== undefined ? findByIdentity(links, id, 'container') : findLegacy(links, d);
        if (link === undefined || ctr === undefined) {
          const home = id !== undefined ? (id.hostNetns === hostIno ? hostNow().find((l) => identifies(l, id, 'host')) : undefined) : linkIfPresent(host, { name: d.original.name });
          if (home !== undefined) {
            const as = id !== undefined ? chooseHostName(takenIn(host, home.index), d.original) : home.name;
            result.losses.push(...configureAtHome(host, home, d.original, as, opts));
            if (as !== d.original.name) result.notes.push(`${d.hostName} came home as ${as}: the name ${d.original.name} is taken on the host`);
            result.restored.push(d.hostName);
            hostLinks = undefined;
          } else {
            result.missing.push(d.hostName);
            const other = linkIfPresent(host, { name: d.original.name });
            if (other !== undefined && other.name === d.original.name) result.notes.push(`${d.hostName}: gone; the host device now named ${d.original.name} (ifindex ${other.index}) is a different device and was left alone`);
          }
          continue;
        }
        if (d.dhcpLease !== undefined) result.notes.push(releaseLeaseOf(ctrPath!, link, d));
        const home = bringHome(ctr, host, hostFd.fd, link, d.original, id, opts);
        hostLinks = undefined;
        result.losses.push(...home.losses);
        if (home.as !== d.original.name) result.notes.push(`${d.hostName} came home as ${home.as}: the name ${d.original.name} is taken on the host`);
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

/**
 * DHCPRELEASE for the device's lease, sent from inside the container netns while the device
 * still holds the address. Never fatal: without it the server holds the address until the
 * lease expires. Returns the note for the teardown result.
 */
function releaseLeaseOf(ctrPath: string, link: Link, d: ContainerDevice): string {
  const lease = d.dhcpLease!;
  let fd: NetnsFd | undefined;
  try {
    fd = new NetnsFd(ctrPath);
    sendRelease(fd.fd, link.name, lease);
    return `${d.hostName}: DHCP lease ${lease.address} released to ${lease.serverId}`;
  } catch (e) {
    return `${d.hostName}: DHCPRELEASE of ${lease.address} to ${lease.serverId} failed (${(e as Error).message}); the server frees it when the lease expires`;
  } finally {
    fd?.close();
  }
}

/** Removes what the hook keeps for a container: pin, claims, journal, devices.json, status. */
export function forgetContainer(dir: StateDir, state: ContainerRecord): void {
  if (state.netnsPin !== undefined) unpinNetns(state.netnsPin);
  for (const d of state.devices) dropClaim(dir, d.hostName, state.id);
  removeContainerDir(dir, state.id);
  removeStatus(dir, state.id);
}
