/**
 * Looking a link up where it may be gone, and which names are taken in a netns: asked of the
 * kernel one name at a time (a get by name finds altnames too, as the kernel keeps names and
 * altnames in one table), so a teardown on a host of thousands of links reads a few, not all.
 */
import { type Link, type LinkRef, linkGet } from '../netlink/link.js';
import { NetlinkError } from '../netlink/message.js';
import type { NetlinkSocket } from '../netlink/socket.js';

/** The link `ref` names in the socket's netns, undefined when there is none (ENODEV); any other refusal throws. */
export function linkIfPresent(sock: NetlinkSocket, ref: LinkRef): Link | undefined {
  try {
    return sock.run(linkGet(ref));
  } catch (e) {
    if (e instanceof NetlinkError && e.code === 'ENODEV') return undefined;
    throw e;
  }
}

/** Whether a name (or altname) is in use by a link other than the one asking. */
export type NameTaken = (name: string) => boolean;

/** Names taken in the socket's netns now, by any link but `self`. */
export function takenIn(sock: NetlinkSocket, self?: number): NameTaken {
  return (name) => {
    const holder = linkIfPresent(sock, { name });
    return holder !== undefined && holder.index !== self;
  };
}

/** Names taken among `links` (names and altnames), by any link but `self`. */
export function takenAmong(links: readonly Link[], self?: number): NameTaken {
  const taken = new Set<string>();
  for (const l of links) {
    if (l.index === self) continue;
    taken.add(l.name);
    for (const a of l.altnames ?? []) taken.add(a);
  }
  return (name) => taken.has(name);
}
