/**
 * Bringing a container's devices home: at poststop, at `delete` through the
 * wrapper, and when recovering from a hook that died mid-apply. Each device is
 * found by its identity (src/state/identity.ts) in the pinned container netns
 * (or, for a journal without a pin, the container's own while it runs), given
 * back its host MTU, MAC, offload sizes and ethtool settings, moved home under
 * its original name (or a free fallback chosen before the move), and its host
 * addresses and routes are re-added. A device that cannot be identified is
 * reported missing and nothing is done to whatever now carries its name.
 */
import { EthtoolSession } from '../ethtool/session.js';
import { resetAttributes, moveHome, restoreHostConfig } from '../apply/restore.js';
import type { HostOriginal } from '../state/device-record.js';
import { StepError } from '../errors.js';
import { RTNL } from '../netlink/constants.js';
import { type Link, linkGet, linkList, linkSetName } from '../netlink/link.js';
import { openGeneric, openRoute } from '../netlink/open.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import { removeContainerDir } from '../state/container-store.js';
import { dropClaim } from '../state/device-lock.js';
import type { ContainerDevice, ContainerRecord, Journal } from '../state/records.js';
import { type DeviceIdentity, findByIdentity, identifies, netnsInode } from '../state/identity.js';
import { processAlive } from '../state/proc-start.js';
import { unpinNetns } from '../state/netns-pin.js';
import { removeStatus } from '../status/status-store.js';
import type { StateDir } from '../state/state-dir.js';
import { NetnsFd } from './netns.js';
import { existsSync, fstatSync } from 'node:fs';

export interface TeardownResult {
  restored: string[];
  /** Devices that were not in the container netns any more (destroyed with it, or never moved). */
  missing: string[];
  errors: StepError[];
  /** Things done differently from the record (a device home under another name). */
  notes: string[];
}

/**
 * The host name a device comes home under, chosen before it moves: its original name when
 * free, else `ond<original host ifindex>` (then with a letter a..z) checked free. The kernel
 * then never moves a device home and refuses its name half way.
 */
export function chooseHostName(hostLinks: readonly Link[], original: HostOriginal, self?: number): string {
  const taken = new Set(hostLinks.filter((l) => l.index !== self).map((l) => l.name));
  if (!taken.has(original.name)) return original.name;
  const base = `ond${original.index}`;
  for (const suffix of ['', ...'abcdefghijklmnopqrstuvwxyz']) {
    const name = `${base}${suffix}`;
    if (!taken.has(name)) return name;
  }
  throw new Error(`no free host name for ${original.name} (it and ${base}, ${base}a..z are taken)`);
}

/** What survives a move must agree; the ifindex may have changed on the way. */
function survivorOf(links: readonly Link[], id: DeviceIdentity, preferIndex: number): Link | undefined {
  const moved: DeviceIdentity = { ...id };
  delete moved.containerIndex;
  const hits = links.filter((l) => identifies(l, moved, 'container'));
  return hits.length === 1 ? hits[0] : hits.find((l) => l.index === preferIndex);
}

/**
 * Moves the device home under `name`. If the kernel refused the name after moving it (the
 * name got taken in between), the device is found on the host by identity, renamed to a
 * free name and configured: never left half-done under its container name.
 */
function moveHomeAs(ctr: NetlinkSocket, host: NetlinkSocket, hostFd: number, link: Link, original: HostOriginal, name: string, id: DeviceIdentity | undefined): { as: string; errors: Error[] } {
  try {
    return { as: name, errors: moveHome(ctr, host, hostFd, link.index, { ...original, name }) };
  } catch (e) {
    if (id === undefined || stillIn(ctr, link.index)) throw e;
    const hostLinks = host.run(linkList());
    const home = survivorOf(hostLinks, id, link.index);
    if (home === undefined) throw e;
    const aside = chooseHostName(hostLinks, original, home.index);
    return { as: aside, errors: configureAtHome(host, home, original, aside) };
  }
}

function stillIn(sock: NetlinkSocket, index: number): boolean {
  try {
    sock.run(linkGet({ index }));
    return true;
  } catch {
    return false;
  }
}

/** A device of ours found on the host: its host name and attributes back (bouncing it only when they differ), then addresses and routes. */
function configureAtHome(host: NetlinkSocket, link: Link, original: HostOriginal, name: string): Error[] {
  const errors: Error[] = [];
  const differs = link.name !== name || link.mtu !== original.mtu || (original.mac !== undefined && link.mac !== original.mac);
  if (differs) errors.push(...resetAttributes(host, link, original));
  if (link.name !== name) host.run(linkSetName(link.index, name));
  const now = host.run(linkGet({ index: link.index }));
  errors.push(...restoreHostConfig(host, now, original));
  return errors;
}

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

function onHost(host: NetlinkSocket, name: string): Link | undefined {
  try {
    return host.run(linkGet({ name }));
  } catch {
    return undefined;
  }
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
  const result: TeardownResult = { restored: [], missing: [], errors: [], notes: [] };
  const devices = state.devices.filter((d) => d.movedByRuntime !== true);
  if (devices.length === 0) return result;
  const host = openRoute(null);
  const hostFd = new NetnsFd('/proc/self/ns/net');
  const hostIno = fstatSync(hostFd.fd).ino;
  let ctr: NetlinkSocket | undefined;
  let genl: EthtoolSession | undefined;
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
    let hostLinks = host.run(linkList());
    for (const d of devices) {
      try {
        const id = d.identity;
        // Only the netns the device was moved into is searched: a pin or pid now naming another netns is not it.
        const searchable = ctr !== undefined && (id?.containerNetns === undefined || id.containerNetns === ctrIno);
        const link = !searchable ? undefined : id !== undefined ? findByIdentity(links, id, 'container') : findLegacy(links, d);
        if (link === undefined || ctr === undefined) {
          const home = id !== undefined ? (id.hostNetns === hostIno ? hostLinks.find((l) => identifies(l, id, 'host')) : undefined) : onHost(host, d.original.name);
          if (home !== undefined) {
            const as = id !== undefined ? chooseHostName(hostLinks, d.original, home.index) : home.name;
            const errs = id !== undefined ? configureAtHome(host, home, d.original, as) : restoreHostConfig(host, home, d.original);
            if (as !== d.original.name) result.notes.push(`${d.hostName} came home as ${as}: the name ${d.original.name} is taken on the host`);
            if (errs.length > 0) throw new Error(errs.map((e) => e.message).join('; '));
            result.restored.push(d.hostName);
          } else {
            result.missing.push(d.hostName);
            const other = hostLinks.find((l) => l.name === d.original.name);
            if (other !== undefined) result.notes.push(`${d.hostName}: gone; the host device now named ${d.original.name} (ifindex ${other.index}) is a different device and was left alone`);
          }
          continue;
        }
        const errs = resetAttributes(ctr, link, d.original);
        const features = Object.keys(d.original.features).length > 0;
        const flags = Object.keys(d.original.privateFlags).length > 0;
        if (features || flags) {
          try {
            genl ??= new EthtoolSession(openGeneric(ctrPath!));
            if (features) genl.setFeatures(link.index, d.original.features);
            if (flags) genl.setPrivateFlags(link.index, d.original.privateFlags);
          } catch (e) {
            errs.push(new Error(`restoring ethtool settings: ${(e as Error).message}`));
          }
        }
        const name = chooseHostName(hostLinks, d.original);
        const home = moveHomeAs(ctr, host, hostFd.fd, link, d.original, name, id);
        hostLinks = host.run(linkList());
        errs.push(...home.errors);
        if (home.as !== d.original.name) result.notes.push(`${d.hostName} came home as ${home.as}: the name ${d.original.name} is taken on the host`);
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

/** Removes what the hook keeps for a container: pin, claims, journal, devices.json, status. */
export function forgetContainer(dir: StateDir, state: ContainerRecord): void {
  if (state.netnsPin !== undefined) unpinNetns(state.netnsPin);
  for (const d of state.devices) dropClaim(dir, d.hostName, state.id);
  removeContainerDir(dir, state.id);
  removeStatus(dir, state.id);
}
