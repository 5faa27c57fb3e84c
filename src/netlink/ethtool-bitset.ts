/**
 * ethtool netlink bit sets (ETHTOOL_A_BITSET_*): decoding the compact form
 * (bitmaps) and the verbose form (named bits), encoding a by-name change.
 */
import { type Attr, AttrSet, attr, hostLittleEndian as LE } from './attr.js';
import { ETHTOOL } from './constants.js';

/** A decoded bit set: the value of every bit it covers, by name when names are known. */
export type BitValues = Map<string, boolean>;

function bitmapBit(bitmap: Uint8Array, i: number): boolean {
  const word = Math.floor(i / 32);
  if ((word + 1) * 4 > bitmap.length) return false;
  const v = new DataView(bitmap.buffer, bitmap.byteOffset + word * 4, 4).getUint32(0, LE);
  return ((v >>> (i % 32)) & 1) === 1;
}

/**
 * Decodes a bit set. `names` maps indexes to names (from the string set) for
 * the compact form. Without a mask (NOMASK, or a value-only reply) the set
 * covers all `names` and an unlisted bit is off.
 */
export function decodeBitset(data: Uint8Array, names: readonly string[]): BitValues {
  const a = new AttrSet(data);
  const out: BitValues = new Map();
  const value = a.raw(ETHTOOL.ETHTOOL_A_BITSET_VALUE);
  if (value !== undefined) {
    const size = a.u32(ETHTOOL.ETHTOOL_A_BITSET_SIZE) ?? value.length * 8;
    const mask = a.raw(ETHTOOL.ETHTOOL_A_BITSET_MASK);
    for (let i = 0; i < size; i++) {
      if (mask !== undefined && !bitmapBit(mask, i)) continue;
      out.set(names[i] ?? `bit${i}`, bitmapBit(value, i));
    }
    return out;
  }
  const nomask = a.has(ETHTOOL.ETHTOOL_A_BITSET_NOMASK);
  if (nomask) for (const n of names) out.set(n, false);
  const bits = a.nested(ETHTOOL.ETHTOOL_A_BITSET_BITS);
  for (const { type, data: bit } of bits?.all ?? []) {
    if (type !== ETHTOOL.ETHTOOL_A_BITSET_BITS_BIT) continue;
    const b = new AttrSet(bit);
    const idx = b.u32(ETHTOOL.ETHTOOL_A_BITSET_BIT_INDEX);
    const name = b.str(ETHTOOL.ETHTOOL_A_BITSET_BIT_NAME) ?? (idx !== undefined ? names[idx] : undefined);
    if (name === undefined) continue;
    out.set(name, nomask ? true : b.has(ETHTOOL.ETHTOOL_A_BITSET_BIT_VALUE));
  }
  return out;
}

/** A verbose bit set that changes only the named bits (they form the mask). */
export function encodeNamedChanges(type: number, changes: Readonly<Record<string, boolean>>): Attr {
  const bits = Object.entries(changes).map(([name, on]) =>
    attr.nest(ETHTOOL.ETHTOOL_A_BITSET_BITS_BIT, [attr.str(ETHTOOL.ETHTOOL_A_BITSET_BIT_NAME, name), ...(on ? [attr.flag(ETHTOOL.ETHTOOL_A_BITSET_BIT_VALUE)] : [])]),
  );
  return attr.nest(type, [attr.nest(ETHTOOL.ETHTOOL_A_BITSET_BITS, bits)]);
}
