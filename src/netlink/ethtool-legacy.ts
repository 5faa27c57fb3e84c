/**
 * The first ethtool operations (compact bit sets decoded with names read from
 * the ETH_SS_FEATURES string set). Kept for src/apply/ethtool-session.ts;
 * new code uses ethtool-ops.ts. Re-exported by ethtool.ts.
 */
import { type Attr, AttrSet, attr } from './attr.js';
import { ETHTOOL } from './constants.js';
import { type BitValues, decodeBitset, encodeNamedChanges } from './ethtool-bitset.js';
import { genlAttrs, genlRequest } from './genetlink.js';
import type { IncomingMessage } from './message.js';
import type { Request } from './socket.js';

function header(type: number, ifindex: number, flags = 0): Attr {
  const a = [attr.u32(ETHTOOL.ETHTOOL_A_HEADER_DEV_INDEX, ifindex)];
  if (flags !== 0) a.push(attr.u32(ETHTOOL.ETHTOOL_A_HEADER_FLAGS, flags));
  return attr.nest(type, a);
}

function firstReply(replies: IncomingMessage[], what: string): AttrSet {
  const m = replies[0];
  if (m === undefined) throw new Error(`no reply to ${what}`);
  return genlAttrs(m);
}

/** ethtool --show-features style names: the device's string set (ETH_SS_FEATURES or ETH_SS_PRIV_FLAGS), by index. */
export function ethtoolStrings(familyId: number, ifindex: number, stringSet: number): Request<string[]> {
  const what = `read ethtool string set ${stringSet} of ifindex ${ifindex}`;
  return genlRequest(familyId, ETHTOOL.ETHTOOL_MSG_STRSET_GET, ETHTOOL.ETHTOOL_GENL_VERSION, [
    header(ETHTOOL.ETHTOOL_A_STRSET_HEADER, ifindex),
    attr.nest(ETHTOOL.ETHTOOL_A_STRSET_STRINGSETS, [attr.nest(ETHTOOL.ETHTOOL_A_STRINGSETS_STRINGSET, [attr.u32(ETHTOOL.ETHTOOL_A_STRINGSET_ID, stringSet)])]),
  ], what, (replies) => {
    const names: string[] = [];
    const sets = firstReply(replies, what).nested(ETHTOOL.ETHTOOL_A_STRSET_STRINGSETS);
    for (const { type, data } of sets?.all ?? []) {
      if (type !== ETHTOOL.ETHTOOL_A_STRINGSETS_STRINGSET) continue;
      const set = new AttrSet(data);
      if (set.u32(ETHTOOL.ETHTOOL_A_STRINGSET_ID) !== stringSet) continue;
      for (const s of set.nested(ETHTOOL.ETHTOOL_A_STRINGSET_STRINGS)?.all ?? []) {
        if (s.type !== ETHTOOL.ETHTOOL_A_STRINGS_STRING) continue;
        const str = new AttrSet(s.data);
        const i = str.u32(ETHTOOL.ETHTOOL_A_STRING_INDEX);
        const v = str.str(ETHTOOL.ETHTOOL_A_STRING_VALUE);
        if (i !== undefined && v !== undefined) names[i] = v;
      }
    }
    return names;
  });
}

export interface FeatureState {
  /** Every feature name the kernel knows, by bit index. */
  names: readonly string[];
  /** Changeable by the user (ethtool -k shows the others as [fixed]). */
  hw: BitValues;
  wanted: BitValues;
  active: BitValues;
  nochange: BitValues;
}

/** ethtool -k DEV (compact bit sets, decoded with the feature names) */
export function ethtoolFeaturesGet(familyId: number, ifindex: number, names: readonly string[]): Request<FeatureState> {
  const what = `read ethtool features of ifindex ${ifindex}`;
  return genlRequest(familyId, ETHTOOL.ETHTOOL_MSG_FEATURES_GET, ETHTOOL.ETHTOOL_GENL_VERSION, [header(ETHTOOL.ETHTOOL_A_FEATURES_HEADER, ifindex, ETHTOOL.ETHTOOL_FLAG_COMPACT_BITSETS)], what, (replies) => {
    const a = firstReply(replies, what);
    const set = (type: number): BitValues => {
      const d = a.raw(type);
      return d === undefined ? new Map() : decodeBitset(d, names);
    };
    return { names, hw: set(ETHTOOL.ETHTOOL_A_FEATURES_HW), wanted: set(ETHTOOL.ETHTOOL_A_FEATURES_WANTED), active: set(ETHTOOL.ETHTOOL_A_FEATURES_ACTIVE), nochange: set(ETHTOOL.ETHTOOL_A_FEATURES_NOCHANGE) };
  });
}

/** ethtool -K DEV name on|off ... (kernel feature names) */
export function ethtoolFeaturesSet(familyId: number, ifindex: number, changes: Readonly<Record<string, boolean>>): Request<void> {
  return genlRequest(familyId, ETHTOOL.ETHTOOL_MSG_FEATURES_SET, ETHTOOL.ETHTOOL_GENL_VERSION, [
    header(ETHTOOL.ETHTOOL_A_FEATURES_HEADER, ifindex, ETHTOOL.ETHTOOL_FLAG_OMIT_REPLY),
    encodeNamedChanges(ETHTOOL.ETHTOOL_A_FEATURES_WANTED, changes),
  ], `set ethtool features ${JSON.stringify(changes)} on ifindex ${ifindex}`, () => undefined);
}

/** ethtool --show-priv-flags DEV */
export function ethtoolPrivFlagsGet(familyId: number, ifindex: number): Request<BitValues> {
  const what = `read ethtool private flags of ifindex ${ifindex}`;
  return genlRequest(familyId, ETHTOOL.ETHTOOL_MSG_PRIVFLAGS_GET, ETHTOOL.ETHTOOL_GENL_VERSION, [header(ETHTOOL.ETHTOOL_A_PRIVFLAGS_HEADER, ifindex)], what, (replies) => {
    const d = firstReply(replies, what).raw(ETHTOOL.ETHTOOL_A_PRIVFLAGS_FLAGS);
    return d === undefined ? new Map() : decodeBitset(d, []);
  });
}

/** ethtool --set-priv-flags DEV name on|off ... */
export function ethtoolPrivFlagsSet(familyId: number, ifindex: number, changes: Readonly<Record<string, boolean>>): Request<void> {
  return genlRequest(familyId, ETHTOOL.ETHTOOL_MSG_PRIVFLAGS_SET, ETHTOOL.ETHTOOL_GENL_VERSION, [
    header(ETHTOOL.ETHTOOL_A_PRIVFLAGS_HEADER, ifindex),
    encodeNamedChanges(ETHTOOL.ETHTOOL_A_PRIVFLAGS_FLAGS, changes),
  ], `set ethtool private flags ${JSON.stringify(changes)} on ifindex ${ifindex}`, () => undefined);
}
