/** Generic netlink: the genlmsghdr and resolving a family's id by name. */
import { type Attr, AttrSet, attr } from './attr.js';
import { GENL } from './constants.js';
import type { IncomingMessage } from './message.js';
import type { Request } from './socket.js';

export const GENL_HEADER_LEN = 4;

export function encodeGenlHeader(cmd: number, version: number): Uint8Array {
  return Uint8Array.of(cmd, version, 0, 0);
}

/** Attributes of a generic netlink reply (after its 4-byte genlmsghdr). */
export function genlAttrs(m: IncomingMessage): AttrSet {
  return new AttrSet(m.payload, GENL_HEADER_LEN);
}

export function genlRequest<T>(familyId: number, cmd: number, version: number, attrs: Attr[], describe: string, parse: (replies: IncomingMessage[]) => T, flags = 0): Request<T> {
  return { describe, message: { type: familyId, flags, header: encodeGenlHeader(cmd, version), attrs }, parse };
}

export interface GenlFamily {
  id: number;
  version: number;
}

/** genl ctrl getfamily NAME */
export function genlFamily(name: string): Request<GenlFamily> {
  return genlRequest(GENL.GENL_ID_CTRL, GENL.CTRL_CMD_GETFAMILY, 1, [attr.str(GENL.CTRL_ATTR_FAMILY_NAME, name)], `resolve generic netlink family ${name}`, (replies) => {
    const m = replies[0];
    const a = m === undefined ? undefined : genlAttrs(m);
    const id = a?.u16(GENL.CTRL_ATTR_FAMILY_ID);
    if (id === undefined) throw new Error(`no id in the reply for generic netlink family ${name}`);
    return { id, version: a?.u32(GENL.CTRL_ATTR_VERSION) ?? 1 };
  });
}
