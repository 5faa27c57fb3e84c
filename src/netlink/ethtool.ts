/**
 * ethtool netlink bit sets (ETHTOOL_A_BITSET_*), both forms the kernel uses:
 * - verbose: ETHTOOL_A_BITSET_BITS holding one BITS_BIT per bit with INDEX,
 *   NAME and a VALUE flag when the bit is on;
 * - compact: SIZE plus VALUE and MASK bitmaps (u32 words, host byte order).
 * Either form may carry NOMASK: then it is a plain list (verbose: the listed
 * bits are on; compact: VALUE covers every bit below SIZE) and every bit not
 * listed is off. Without NOMASK only the listed (or masked) bits are spoken for.
 */
import { type Attr, AttrSet, NetlinkDecodeError, attr, hostLittleEndian as LE } from './attr.js';
import { ETHTOOL } from './constants.js';

export interface BitsetBit {
  /** Bit number; undefined when the peer named the bit only. */
  index: number | undefined;
  /** Kernel name; '' for a bit the kernel leaves unnamed, `#N` when no name is known. */
  name: string;
  value: boolean;
}

export interface Bitset {
  /** The bits the set speaks for, in the order received. */
  bits: BitsetBit[];
  /** A plain list: bits not in `bits` are off. */
  nomask: boolean;
  /** Number of bits (compact form), when sent. */
  size: number | undefined;
}

const WORD_BITS = 32;

function wordBit(bitmap: Uint8Array, i: number): boolean {
  const w = Math.floor(i / WORD_BITS);
  if ((w + 1) * 4 > bitmap.length) return false;
  const word = new DataView(bitmap.buffer, bitmap.byteOffset + w * 4, 4).getUint32(0, LE);
  return ((word >>> (i % WORD_BITS)) & 1) === 1;
}

function nameOf(index: number | undefined, sent: string | undefined, names: readonly string[] | undefined): string {
  if (sent !== undefined) return sent;
  if (index === undefined) throw new NetlinkDecodeError('bit set entry has neither ETHTOOL_A_BITSET_BIT_INDEX nor _NAME');
  return names?.[index] ?? `#${index}`;
}

function decodeCompact(a: AttrSet, value: Uint8Array, nomask: boolean, names: readonly string[] | undefined): Bitset {
  const size = a.u32(ETHTOOL.ETHTOOL_A_BITSET_SIZE);
  const mask = a.raw(ETHTOOL.ETHTOOL_A_BITSET_MASK);
  const n = size ?? value.length * 8;
  const bits: BitsetBit[] = [];
  for (let i = 0; i < n; i++) {
    if (!nomask && mask !== undefined && !wordBit(mask, i)) continue;
    bits.push({ index: i, name: nameOf(i, undefined, names), value: wordBit(value, i) });
  }
  return { bits, nomask: nomask || mask === undefined, size };
}

/**
 * Decodes a bit set in either form. `names` (index -> name) names the bits
 * of a compact set and verbose entries that come without a name.
 */
export function decodeBitset(data: Uint8Array, names?: readonly string[]): Bitset {
  const a = new AttrSet(data);
  const nomask = a.has(ETHTOOL.ETHTOOL_A_BITSET_NOMASK);
  const value = a.raw(ETHTOOL.ETHTOOL_A_BITSET_VALUE);
  if (value !== undefined) return decodeCompact(a, value, nomask, names);
  const bits: BitsetBit[] = [];
  for (const { type, data: entry } of a.nested(ETHTOOL.ETHTOOL_A_BITSET_BITS)?.all ?? []) {
    if (type !== ETHTOOL.ETHTOOL_A_BITSET_BITS_BIT) continue;
    const b = new AttrSet(entry);
    const index = b.u32(ETHTOOL.ETHTOOL_A_BITSET_BIT_INDEX);
    const name = nameOf(index, b.str(ETHTOOL.ETHTOOL_A_BITSET_BIT_NAME), names);
    bits.push({ index, name, value: nomask || b.has(ETHTOOL.ETHTOOL_A_BITSET_BIT_VALUE) });
  }
  return { bits, nomask, size: a.u32(ETHTOOL.ETHTOOL_A_BITSET_SIZE) };
}

/**
 * The set as name -> on/off. For a plain list (NOMASK) every name of
 * `universe` the list leaves out is off. Unnamed bits are left out.
 */
export function bitsetValues(set: Bitset, universe: Iterable<string> = []): Map<string, boolean> {
  const out = new Map<string, boolean>();
  if (set.nomask) for (const n of universe) if (n !== '') out.set(n, false);
  for (const b of set.bits) if (b.name !== '') out.set(b.name, b.value);
  return out;
}

function checkName(name: string): void {
  if (name === '' || name.includes('\0')) throw new RangeError(`bit name ${JSON.stringify(name)} cannot be sent`);
}

/**
 * A verbose bit set without NOMASK that changes only the named bits: each
 * becomes a BITS_BIT with NAME, and the VALUE flag when it is to be on.
 * Bits not named keep their state (ethtool -K semantics).
 */
export function encodeBitsetByName(type: number, values: Readonly<Record<string, boolean>>): Attr {
  const bits = Object.entries(values).map(([name, on]) => {
    checkName(name);
    const children = [attr.str(ETHTOOL.ETHTOOL_A_BITSET_BIT_NAME, name)];
    if (on) children.push(attr.flag(ETHTOOL.ETHTOOL_A_BITSET_BIT_VALUE));
    return attr.nest(ETHTOOL.ETHTOOL_A_BITSET_BITS_BIT, children);
  });
  return attr.nest(type, [attr.nest(ETHTOOL.ETHTOOL_A_BITSET_BITS, bits)]);
}

/**
 * A verbose bit set as the kernel writes one: NOMASK first when it is a
 * list, then per bit INDEX, NAME (when named) and VALUE (masked sets only).
 * Used by the fake kernel in tests; requests use encodeBitsetByName.
 */
export function encodeVerboseBitset(type: number, bits: readonly BitsetBit[], nomask: boolean): Attr {
  const entries = bits
    .filter((b) => !nomask || b.value)
    .map((b) => {
      const children: Attr[] = [];
      if (b.index !== undefined) children.push(attr.u32(ETHTOOL.ETHTOOL_A_BITSET_BIT_INDEX, b.index));
      // The kernel names every bit of a named table, unused ones with "".
      if (!b.name.startsWith('#')) children.push(attr.str(ETHTOOL.ETHTOOL_A_BITSET_BIT_NAME, b.name));
      if (!nomask && b.value) children.push(attr.flag(ETHTOOL.ETHTOOL_A_BITSET_BIT_VALUE));
      return attr.nest(ETHTOOL.ETHTOOL_A_BITSET_BITS_BIT, children);
    });
  const head = nomask ? [attr.flag(ETHTOOL.ETHTOOL_A_BITSET_NOMASK)] : [];
  return attr.nest(type, [...head, attr.nest(ETHTOOL.ETHTOOL_A_BITSET_BITS, entries)]);
}

function bitmap(size: number, on: (i: number) => boolean): Uint8Array {
  const words = Math.ceil(size / WORD_BITS);
  const out = new Uint8Array(words * 4);
  const view = new DataView(out.buffer);
  for (let w = 0; w < words; w++) {
    let word = 0;
    for (let j = 0; j < WORD_BITS && w * WORD_BITS + j < size; j++) if (on(w * WORD_BITS + j)) word |= 1 << j;
    view.setUint32(w * 4, word >>> 0, LE);
  }
  return out;
}

/**
 * A compact bit set as the kernel writes one: NOMASK when `mask` is absent,
 * SIZE, VALUE, then MASK. `value` and `mask` hold the indexes of set bits.
 */
export function encodeCompactBitset(type: number, size: number, value: ReadonlySet<number>, mask?: ReadonlySet<number>): Attr {
  const children: Attr[] = [];
  if (mask === undefined) children.push(attr.flag(ETHTOOL.ETHTOOL_A_BITSET_NOMASK));
  children.push(attr.u32(ETHTOOL.ETHTOOL_A_BITSET_SIZE, size));
  children.push(attr.bytes(ETHTOOL.ETHTOOL_A_BITSET_VALUE, bitmap(size, (i) => value.has(i))));
  if (mask !== undefined) children.push(attr.bytes(ETHTOOL.ETHTOOL_A_BITSET_MASK, bitmap(size, (i) => mask.has(i))));
  return attr.nest(type, children);
}
