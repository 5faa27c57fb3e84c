/**
 * Generic netlink: the 4-byte genlmsghdr {cmd, version, reserved}, requests
 * addressed to a family id, and resolving a family's id by name through the
 * controller (nlctrl, CTRL_CMD_GETFAMILY), cached per socket.
 */
import { type Attr, AttrSet, NetlinkDecodeError, attr } from './attr.js';
import { GENL } from './constants.js';
import type { IncomingMessage } from './message.js';
import type { NetlinkSocket, Request } from './socket.js';

/** sizeof(struct genlmsghdr), from the header. */
export const GENL_HEADER_LEN = GENL.GENL_HDRLEN;

/**
 * Version we put in requests to nlctrl. The controller does not check it
 * (genetlink.h defines no constant for it); libnl and the ethtool CLI send 1.
 */
export const CTRL_REQUEST_VERSION = 1;

/** The generic netlink family of ethtool (ETHTOOL_GENL_NAME in ethtool_netlink.h). */
export const ETHTOOL_GENL_NAME = 'ethtool';

export interface GenlHeader {
  cmd: number;
  version: number;
}

export function encodeGenlHeader(cmd: number, version: number): Uint8Array {
  const b = new Uint8Array(GENL_HEADER_LEN);
  b[0] = cmd & 0xff;
  b[1] = version & 0xff;
  return b;
}

/** The genlmsghdr at the start of a message payload (after nlmsghdr). */
export function decodeGenlHeader(payload: Uint8Array): GenlHeader {
  if (payload.length < GENL_HEADER_LEN) throw new NetlinkDecodeError(`generic netlink message of ${payload.length} bytes has no genlmsghdr`);
  return { cmd: payload[0]!, version: payload[1]! };
}

/** Attributes of a generic netlink message (after its genlmsghdr). */
export function genlAttrs(m: IncomingMessage): AttrSet {
  decodeGenlHeader(m.payload);
  return new AttrSet(m.payload, GENL_HEADER_LEN);
}

/** The one reply of command `cmd` among `replies`; throws when the kernel sent none. */
export function genlReply(replies: readonly IncomingMessage[], familyId: number, cmd: number, what: string): AttrSet {
  for (const m of replies) {
    if (m.type === familyId && decodeGenlHeader(m.payload).cmd === cmd) return genlAttrs(m);
  }
  throw new NetlinkDecodeError(`no reply (command ${cmd}) to ${what}`);
}

/** A request for family `familyId`: nlmsg_type is the family id, the genlmsghdr carries the command. */
export function genlRequest<T>(
  familyId: number,
  cmd: number,
  version: number,
  attrs: Attr[],
  describe: string,
  parse: (replies: IncomingMessage[]) => T,
  flags = 0,
): Request<T> {
  return { describe, message: { type: familyId, flags, header: encodeGenlHeader(cmd, version), attrs }, parse };
}

/** genl ctrl get name NAME (the family's id) */
export function genlFamilyId(name: string): Request<number> {
  const what = `resolve generic netlink family ${name}`;
  return genlRequest(GENL.GENL_ID_CTRL, GENL.CTRL_CMD_GETFAMILY, CTRL_REQUEST_VERSION, [attr.str(GENL.CTRL_ATTR_FAMILY_NAME, name)], what, (replies) => {
    const a = genlReply(replies, GENL.GENL_ID_CTRL, GENL.CTRL_CMD_NEWFAMILY, what);
    const id = a.u16(GENL.CTRL_ATTR_FAMILY_ID);
    if (id === undefined) throw new NetlinkDecodeError(`no CTRL_ATTR_FAMILY_ID in the reply to ${what}`);
    return id;
  });
}

/**
 * Family ids by name, resolved once per socket. A socket that no longer exists
 * drops out by itself (weak keys).
 */
export class GenlFamilyCache {
  private readonly bySocket = new WeakMap<NetlinkSocket, Map<string, number>>();

  /** The id of family `name` on `sock`; asks the kernel the first time only. */
  resolve(sock: NetlinkSocket, name: string): number {
    let ids = this.bySocket.get(sock);
    if (ids === undefined) {
      ids = new Map();
      this.bySocket.set(sock, ids);
    }
    let id = ids.get(name);
    if (id === undefined) {
      id = sock.run(genlFamilyId(name));
      ids.set(name, id);
    }
    return id;
  }

  /** The id of the ethtool family on `sock`. */
  ethtool(sock: NetlinkSocket): number {
    return this.resolve(sock, ETHTOOL_GENL_NAME);
  }

  forget(sock: NetlinkSocket): void {
    this.bySocket.delete(sock);
  }
}

/** The process-wide cache; tests make their own. */
export const genlFamilies = new GenlFamilyCache();
