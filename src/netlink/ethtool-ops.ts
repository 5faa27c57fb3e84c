/**
 * Typed ethtool operations over generic netlink (family "ethtool"; resolve its
 * id with genl.ts). Each builds one request; run it with NetlinkSocket.
 * Feature reads come in either bit-set form: verbose (the kernel names every
 * bit in every reply) or compact, named by the string set ETH_SS_FEATURES
 * read once (ethtoolStringSetGet), which spares the kernel and us some sixty
 * names per device and bit set.
 */
import { type Attr, AttrSet, NetlinkDecodeError, attr } from './attr.js';
import { ETHTOOL } from './constants.js';
import { bitsetValues, decodeBitset, encodeBitsetByName } from './ethtool.js';
import { genlReply, genlRequest } from './genl.js';
import type { IncomingMessage } from './message.js';
import type { Request } from './socket.js';

/** ETHTOOL_A_*_HEADER: the device by ifindex, and request flags when any. */
function requestHeader(type: number, ifindex: number, flags = 0): Attr {
  const children = [attr.u32(ETHTOOL.ETHTOOL_A_HEADER_DEV_INDEX, ifindex)];
  if (flags !== 0) children.push(attr.u32(ETHTOOL.ETHTOOL_A_HEADER_FLAGS, flags));
  return attr.nest(type, children);
}

export interface EthtoolFeatures {
  /** Every named feature bit of the kernel, in bit order. */
  names: readonly string[];
  known: ReadonlySet<string>;
  /** Changeable by the user (`ethtool -k` prints the others as [fixed]). */
  hw: Map<string, boolean>;
  /** What the user asked for (dev->wanted_features), by name. */
  wanted: Map<string, boolean>;
  /** What is on now (dev->features). */
  active: Map<string, boolean>;
  /** Never changeable (NETIF_F_NEVER_CHANGE). */
  nochange: Map<string, boolean>;
}

/**
 * Decodes a FEATURES_GET_REPLY. Verbose replies name their bits; for a compact
 * one (ETHTOOL_FLAG_COMPACT_BITSETS) pass the feature names by bit index.
 */
export function decodeFeatures(replies: readonly IncomingMessage[], familyId: number, what: string, bitNames?: readonly string[]): EthtoolFeatures {
  const a = genlReply(replies, familyId, ETHTOOL.ETHTOOL_MSG_FEATURES_GET_REPLY, what);
  const hwRaw = a.raw(ETHTOOL.ETHTOOL_A_FEATURES_HW);
  // HW comes with a mask of all bits: its entries are the kernel's whole feature table.
  const hwSet = hwRaw === undefined ? undefined : decodeBitset(hwRaw, bitNames);
  const names = (hwSet?.bits ?? []).map((b) => b.name).filter((n) => n !== '');
  const set = (type: number): Map<string, boolean> => {
    const raw = a.raw(type);
    return raw === undefined ? new Map(names.map((n) => [n, false])) : bitsetValues(decodeBitset(raw, bitNames), names);
  };
  return {
    names,
    known: new Set(names),
    hw: hwSet === undefined ? new Map() : bitsetValues(hwSet, names),
    wanted: set(ETHTOOL.ETHTOOL_A_FEATURES_WANTED),
    active: set(ETHTOOL.ETHTOOL_A_FEATURES_ACTIVE),
    nochange: set(ETHTOOL.ETHTOOL_A_FEATURES_NOCHANGE),
  };
}

/**
 * ethtool -k DEV. With `bitNames` (the ETH_SS_FEATURES string set, by bit index) the kernel
 * answers in compact bit sets, named from it; without, in verbose ones that name themselves.
 */
export function ethtoolFeaturesGet(familyId: number, ifindex: number, bitNames?: readonly string[]): Request<EthtoolFeatures> {
  const what = `read ethtool features of ifindex ${ifindex}`;
  const flags = bitNames !== undefined ? ETHTOOL.ETHTOOL_FLAG_COMPACT_BITSETS : 0;
  return genlRequest(familyId, ETHTOOL.ETHTOOL_MSG_FEATURES_GET, ETHTOOL.ETHTOOL_GENL_VERSION, [requestHeader(ETHTOOL.ETHTOOL_A_FEATURES_HEADER, ifindex, flags)], what, (replies) =>
    decodeFeatures(replies, familyId, what, bitNames),
  );
}

/** ethtool --show-features' names: the kernel's global string set `setId` (ETH_SS_*), as strings by index. */
export function ethtoolStringSetGet(familyId: number, setId: number): Request<string[]> {
  const what = `read ethtool string set ${setId}`;
  const request = attr.nest(ETHTOOL.ETHTOOL_A_STRSET_STRINGSETS, [attr.nest(ETHTOOL.ETHTOOL_A_STRINGSETS_STRINGSET, [attr.u32(ETHTOOL.ETHTOOL_A_STRINGSET_ID, setId)])]);
  // The header names no device (a global set), but must be there: without it the kernel says EINVAL.
  const header = attr.nest(ETHTOOL.ETHTOOL_A_STRSET_HEADER, []);
  return genlRequest(familyId, ETHTOOL.ETHTOOL_MSG_STRSET_GET, ETHTOOL.ETHTOOL_GENL_VERSION, [header, request], what, (replies) => {
    const sets = genlReply(replies, familyId, ETHTOOL.ETHTOOL_MSG_STRSET_GET_REPLY, what).nested(ETHTOOL.ETHTOOL_A_STRSET_STRINGSETS);
    for (const { type, data } of sets?.all ?? []) {
      if (type !== ETHTOOL.ETHTOOL_A_STRINGSETS_STRINGSET) continue;
      const set = new AttrSet(data);
      if (set.u32(ETHTOOL.ETHTOOL_A_STRINGSET_ID) !== setId) continue;
      const count = set.u32(ETHTOOL.ETHTOOL_A_STRINGSET_COUNT);
      if (count === undefined) throw new NetlinkDecodeError(`no ETHTOOL_A_STRINGSET_COUNT in the reply to ${what}`);
      const out = Array.from({ length: count }, () => '');
      for (const { type: t, data: entry } of set.nested(ETHTOOL.ETHTOOL_A_STRINGSET_STRINGS)?.all ?? []) {
        if (t !== ETHTOOL.ETHTOOL_A_STRINGS_STRING) continue;
        const s = new AttrSet(entry);
        const index = s.u32(ETHTOOL.ETHTOOL_A_STRING_INDEX);
        if (index === undefined || index >= count) throw new NetlinkDecodeError(`string index ${index} outside the ${count} strings of set ${setId}`);
        out[index] = s.str(ETHTOOL.ETHTOOL_A_STRING_VALUE) ?? '';
      }
      return out;
    }
    throw new NetlinkDecodeError(`the reply to ${what} does not hold set ${setId}`);
  });
}

export interface FeaturesSetResult {
  /** The kernel sent ETHTOOL_MSG_FEATURES_SET_REPLY (it does unless asked not to). */
  replied: boolean;
  /** WANTED diff: requested bits whose state differs from the request afterwards, name -> value asked for. */
  wantedDiff: Map<string, boolean>;
  /** ACTIVE diff: bits whose state changed, requested or as a consequence, name -> new value. */
  activeDiff: Map<string, boolean>;
}

/**
 * ethtool -K DEV name on|off ... (kernel feature names; the others keep their state)
 * `omitReply` sets ETHTOOL_FLAG_OMIT_REPLY: no diffs come back.
 */
export function ethtoolFeaturesSet(familyId: number, ifindex: number, wanted: Readonly<Record<string, boolean>>, options: { omitReply?: boolean } = {}): Request<FeaturesSetResult> {
  const what = `set ethtool features ${describeChanges(wanted)} on ifindex ${ifindex}`;
  const flags = options.omitReply === true ? ETHTOOL.ETHTOOL_FLAG_OMIT_REPLY : 0;
  return genlRequest(
    familyId,
    ETHTOOL.ETHTOOL_MSG_FEATURES_SET,
    ETHTOOL.ETHTOOL_GENL_VERSION,
    [requestHeader(ETHTOOL.ETHTOOL_A_FEATURES_HEADER, ifindex, flags), encodeBitsetByName(ETHTOOL.ETHTOOL_A_FEATURES_WANTED, wanted)],
    what,
    (replies) => {
      if (!replies.some((m) => m.type === familyId)) return { replied: false, wantedDiff: new Map(), activeDiff: new Map() };
      const a = genlReply(replies, familyId, ETHTOOL.ETHTOOL_MSG_FEATURES_SET_REPLY, what);
      const diff = (type: number): Map<string, boolean> => {
        const raw = a.raw(type);
        return raw === undefined ? new Map() : bitsetValues(decodeBitset(raw));
      };
      return { replied: true, wantedDiff: diff(ETHTOOL.ETHTOOL_A_FEATURES_WANTED), activeDiff: diff(ETHTOOL.ETHTOOL_A_FEATURES_ACTIVE) };
    },
  );
}

/** ethtool --show-priv-flags DEV (devices without private flags: EOPNOTSUPP) */
export function ethtoolPrivFlagsGet(familyId: number, ifindex: number): Request<Map<string, boolean>> {
  const what = `read ethtool private flags of ifindex ${ifindex}`;
  return genlRequest(familyId, ETHTOOL.ETHTOOL_MSG_PRIVFLAGS_GET, ETHTOOL.ETHTOOL_GENL_VERSION, [requestHeader(ETHTOOL.ETHTOOL_A_PRIVFLAGS_HEADER, ifindex)], what, (replies) => {
    const raw = genlReply(replies, familyId, ETHTOOL.ETHTOOL_MSG_PRIVFLAGS_GET_REPLY, what).raw(ETHTOOL.ETHTOOL_A_PRIVFLAGS_FLAGS);
    return raw === undefined ? new Map() : bitsetValues(decodeBitset(raw));
  });
}

/** ethtool --set-priv-flags DEV name on|off ... */
export function ethtoolPrivFlagsSet(familyId: number, ifindex: number, flags: Readonly<Record<string, boolean>>): Request<void> {
  return genlRequest(
    familyId,
    ETHTOOL.ETHTOOL_MSG_PRIVFLAGS_SET,
    ETHTOOL.ETHTOOL_GENL_VERSION,
    [requestHeader(ETHTOOL.ETHTOOL_A_PRIVFLAGS_HEADER, ifindex), encodeBitsetByName(ETHTOOL.ETHTOOL_A_PRIVFLAGS_FLAGS, flags)],
    `set ethtool private flags ${describeChanges(flags)} on ifindex ${ifindex}`,
    () => undefined,
  );
}

function describeChanges(values: Readonly<Record<string, boolean>>): string {
  return Object.entries(values)
    .map(([n, on]) => `${n} ${on ? 'on' : 'off'}`)
    .join(', ');
}
