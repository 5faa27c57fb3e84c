/**
 * Bringing a container's devices home: at poststop, at `delete` through the
 * wrapper, and when recovering from a hook that died mid-apply. Each device is
 * found in the pinned container netns, given back its host MTU, MAC, offload
 * sizes and ethtool settings, moved home under its original name, and its
 * host addresses and routes are re-added.
 */
import { EthtoolSession } from '../ethtool/session.js';
import { resetAttributes, moveHome, restoreHostConfig } from '../apply/restore.js';
import type { HostOriginal } from '../apply/record.js';
import { StepError } from '../errors.js';
import { NetlinkError } from '../netlink/message.js';
import { RTNL } from '../netlink/constants.js';
import { type Link, linkGet, linkList } from '../netlink/link.js';
import { openGeneric, openRoute } from '../netlink/open.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import { removeContainerDir } from '../state/container-store.js';
import { dropClaim } from '../state/device-lock.js';
import type { ContainerDevice, ContainerRecord } from '../state/records.js';
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
  /** Things done differently from the record (a device home under another name). */
  notes: string[];
}

/**
 * Moves the device home under its original name; when a host device took
 * that name meanwhile, under a free one instead of leaving it to die with the
 * container netns.
 */
function moveHomeOrAside(ctr: NetlinkSocket, host: NetlinkSocket, hostFd: number, index: number, original: HostOriginal): { as: string; errors: Error[] } {
  try {
    return { as: original.name, errors: moveHome(ctr, host, hostFd, index, original) };
  } catch (e) {
    if (!(e instanceof NetlinkError && e.code === 'EEXIST') || onHost(host, original.name) === undefined) throw e;
    const aside = `ond${index}`.slice(0, 15);
    return { as: aside, errors: moveHome(ctr, host, hostFd, index, { ...original, name: aside }) };
  }
}

/**
 * The device in the container netns: by the index and name recorded once
 * applied; else (a journal: the hook died mid-apply) by its container name,
 * its host name (the rename had not happened), its host ifindex (kept by a
 * move when free) together with a MAC it may carry, or that MAC alone.
 */
function findInContainer(links: readonly Link[], d: ContainerDevice): Link | undefined {
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

export function restoreDevices(state: ContainerRecord): TeardownResult {
  const result: TeardownResult = { restored: [], missing: [], errors: [], notes: [] };
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
          try {
            genl ??= new EthtoolSession(openGeneric(state.netnsPin!));
            if (features) genl.setFeatures(link.index, d.original.features);
            if (flags) genl.setPrivateFlags(link.index, d.original.privateFlags);
          } catch (e) {
            errs.push(new Error(`restoring ethtool settings: ${(e as Error).message}`));
          }
        }
        const home = moveHomeOrAside(ctr, host, hostFd.fd, link.index, d.original);
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
