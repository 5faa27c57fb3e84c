/**
 * One device's way home, shared by teardown, crash recovery and the undo of a
 * move (a rollback restores exactly what a teardown restores): the host name
 * chosen before the move, the device prepared where it is, moved, found again
 * by identity if the kernel refused the name half way, and configured.
 */
import type { HostOriginal, Loss } from '../state/device-record.js';
import { linkStateRequests } from './link-attributes.js';
import { uniqueLosses } from './losses.js';
import { type NameTaken, linkIfPresent, takenAmong, takenIn } from './host-names.js';
import { type HomeOptions, moveHome, prepareForHome, restoreHostConfig } from './restore.js';
import { type Link, linkGet, linkList, linkSetName } from '../netlink/link.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import { type DeviceIdentity, identifies } from '../state/identity.js';

/**
 * The host name a device comes home under, chosen before it moves: its original name when
 * free (no host device has it as name or altname), else `ond<original host ifindex>` (then
 * with a letter a..z) checked free. The kernel then never moves a device home and refuses its
 * name half way.
 */
export function chooseHostName(taken: NameTaken, original: HostOriginal): string {
  if (!taken(original.name)) return original.name;
  const base = `ond${original.index}`;
  for (const suffix of ['', ...'abcdefghijklmnopqrstuvwxyz']) {
    const name = `${base}${suffix}`;
    if (!taken(name)) return name;
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
 * Is the link still in the netns its move home left from? When even that cannot be read, it is
 * taken to be: the move's own error is the one reported, not a guess about where the device went.
 */
function stillIn(sock: NetlinkSocket, index: number): boolean {
  try {
    return linkIfPresent(sock, { index }) !== undefined;
  } catch {
    return true;
  }
}

export interface Home {
  /** The name it came home under. */
  as: string;
  losses: Loss[];
}

/**
 * Brings the container-side `link` home. Throws only when the device could not be moved;
 * whatever else could not be restored is in `losses`. The host's names are asked of the
 * kernel name by name; only a move refused half way reads every host link (to find the device by identity).
 */
export function bringHome(ctr: NetlinkSocket, host: NetlinkSocket, hostFd: number, link: Link, original: HostOriginal, id: DeviceIdentity | undefined, opts: HomeOptions = {}): Home {
  const onHost = takenIn(host);
  const name = chooseHostName(onHost, original);
  const before = prepareForHome(ctr, link, original, onHost);
  try {
    return { as: name, losses: uniqueLosses([...before, ...moveHome(ctr, host, hostFd, link.index, original, name, opts)]) };
  } catch (e) {
    // The kernel moves first and renames after: a refused name can leave the device home under its container name.
    if (id === undefined || stillIn(ctr, link.index)) throw e;
    const now = host.run(linkList());
    const home = survivorOf(now, id, link.index);
    if (home === undefined) throw e;
    const aside = chooseHostName(takenAmong(now, home.index), original);
    return { as: aside, losses: uniqueLosses([...before, ...configureAtHome(host, home, original, aside, opts)]) };
  }
}

/** A device of ours found on the host: its host name and attributes back (bouncing it only when needed), then the rest. */
export function configureAtHome(host: NetlinkSocket, link: Link, original: HostOriginal, name: string, opts: HomeOptions = {}): Loss[] {
  // Bounced only when something differs: a rename of an up link is EBUSY, and some drivers refuse a live MAC change.
  const bounce = link.name !== name || linkStateRequests(link, original).length > 0;
  const losses = prepareForHome(host, { ...link, up: link.up && bounce }, original, takenIn(host, link.index));
  if (link.name !== name) host.run(linkSetName(link.index, name));
  const now = host.run(linkGet({ index: link.index }));
  return uniqueLosses([...losses, ...restoreHostConfig(host, now, original, opts)]);
}
