/**
 * A device claimed by another container is judged by identity, not by name:
 *   shared: the claimant moved it into the very netns this container runs in
 *           (a pod: the sandbox got it, the app containers join its netns);
 *   live:   the claimant's device still exists (in its netns, or home but not torn down);
 *   stale:  the claimant is gone, or its device is (destroyed with its netns, deleted,
 *           or another device now has the name): the claim is released.
 */
import { type Link, linkList } from '../netlink/link.js';
import { openRoute } from '../netlink/open.js';
import { readDevices, readJournal } from '../state/container-store.js';
import { findByIdentity, identifies, netnsInode } from '../state/identity.js';
import type { ContainerRecord } from '../state/records.js';
import type { StateDir } from '../state/state-dir.js';

export type ClaimVerdict = { kind: 'stale'; why: string } | { kind: 'shared'; link: Link } | { kind: 'live'; why: string };

export interface ClaimContext {
  /** The host's link with that ifindex now, if any. */
  hostLinkAt(index: number): Link | undefined;
  /** This container's netns: its links and nsfs inode. */
  ctrLinks: readonly Link[];
  ctrNetnsIno: number;
}

export function judgeClaim(dir: StateDir, name: string, owner: string, ctx: ClaimContext): ClaimVerdict {
  let record: ContainerRecord | undefined;
  try {
    record = readDevices(dir, owner);
    if (record === undefined && readJournal(dir, owner) !== undefined) return { kind: 'live', why: `its hook left a journal; run "oci-netdevices recover ${owner}"` };
  } catch (e) {
    return { kind: 'live', why: `its record cannot be read (${(e as Error).message}); run "oci-netdevices recover ${owner}"` };
  }
  if (record === undefined) return { kind: 'stale', why: 'the container has no state any more' };
  const d = record.devices.find((x) => x.hostName === name);
  if (d === undefined) return { kind: 'stale', why: 'its record does not list the device' };
  const id = d.identity;
  if (id === undefined) return { kind: 'live', why: 'it was recorded without an identity (an older version)' };
  if (id.containerNetns === ctx.ctrNetnsIno) {
    const here = findByIdentity(ctx.ctrLinks, id, 'container');
    if (here !== undefined) return { kind: 'shared', link: here };
  }
  if (record.netnsPin !== undefined && id.containerNetns !== undefined && netnsInode(record.netnsPin) === id.containerNetns) {
    if (inNetns(record.netnsPin, (links) => findByIdentity(links, id, 'container') !== undefined)) return { kind: 'live', why: 'it is in that container' };
  }
  const home = ctx.hostLinkAt(id.hostIndex);
  if (home !== undefined && identifies(home, id, 'host')) return { kind: 'live', why: `it is back on the host but that container's teardown did not finish; run "oci-netdevices recover ${owner}"` };
  return { kind: 'stale', why: 'the device it claimed is gone (destroyed with its netns, deleted, or the name now belongs to another device)' };
}

function inNetns(path: string, test: (links: readonly Link[]) => boolean): boolean {
  let sock;
  try {
    sock = openRoute(path);
  } catch {
    return false; // the pin is not a netns any more
  }
  try {
    return test(sock.run(linkList()));
  } finally {
    sock.close();
  }
}
