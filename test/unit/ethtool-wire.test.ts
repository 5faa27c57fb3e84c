import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { attr, encodeAttrs } from '../../src/netlink/attr.js';
import { ETHTOOL, GENL, NL } from '../../src/netlink/constants.js';
import { bitsetValues, decodeBitset, encodeBitsetByName, encodeCompactBitset, encodeVerboseBitset } from '../../src/netlink/ethtool.js';
import { decodeFeatures, ethtoolFeaturesGet, ethtoolFeaturesSet, ethtoolPrivFlagsSet, ethtoolStringSetGet } from '../../src/netlink/ethtool-ops.js';
import { decodeGenlHeader, encodeGenlHeader, genlFamilyId } from '../../src/netlink/genl.js';
import { type OutgoingMessage, decodeMessages, encodeBatch } from '../../src/netlink/message.js';
import type { Request } from '../../src/netlink/socket.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (...parts: string[]): Uint8Array => Uint8Array.from(Buffer.from(parts.join('').replace(/\s+/g, ''), 'hex'));
/** Bytes as NetlinkSocket sends them: REQUEST|ACK added, sequence 1. */
const wire = <T>(r: Request<T>): string => {
  const m: OutgoingMessage = { ...r.message, flags: r.message.flags | NL.NLM_F_REQUEST | NL.NLM_F_ACK };
  return hex(encodeBatch([m], 1));
};
const FAMILY = 0x15;
const IFINDEX = 7;

describe('kernel numbers the golden bytes rely on', () => {
  test('genetlink.h and ethtool_netlink.h values', () => {
    assert.deepEqual([GENL.GENL_ID_CTRL, GENL.GENL_HDRLEN, GENL.CTRL_CMD_GETFAMILY, GENL.CTRL_CMD_NEWFAMILY, GENL.CTRL_ATTR_FAMILY_ID, GENL.CTRL_ATTR_FAMILY_NAME], [0x10, 4, 3, 1, 1, 2]);
    assert.deepEqual(
      [ETHTOOL.ETHTOOL_MSG_FEATURES_GET, ETHTOOL.ETHTOOL_MSG_FEATURES_SET, ETHTOOL.ETHTOOL_MSG_PRIVFLAGS_GET, ETHTOOL.ETHTOOL_MSG_PRIVFLAGS_SET],
      [11, 12, 13, 14],
    );
    assert.deepEqual([ETHTOOL.ETHTOOL_MSG_FEATURES_GET_REPLY, ETHTOOL.ETHTOOL_MSG_FEATURES_SET_REPLY, ETHTOOL.ETHTOOL_MSG_PRIVFLAGS_GET_REPLY], [11, 12, 14]);
    assert.deepEqual([ETHTOOL.ETHTOOL_A_BITSET_NOMASK, ETHTOOL.ETHTOOL_A_BITSET_SIZE, ETHTOOL.ETHTOOL_A_BITSET_BITS, ETHTOOL.ETHTOOL_A_BITSET_VALUE, ETHTOOL.ETHTOOL_A_BITSET_MASK], [1, 2, 3, 4, 5]);
  });
});

describe('generic netlink header', () => {
  test('encode and decode {cmd, version, reserved}', () => {
    assert.equal(hex(encodeGenlHeader(3, 1)), '03010000');
    assert.deepEqual(decodeGenlHeader(unhex('0c01 0000 ffff')), { cmd: 12, version: 1 });
    assert.throws(() => decodeGenlHeader(unhex('0c01')), /no genlmsghdr/);
  });
});

describe('requests, byte for byte', () => {
  test('CTRL_CMD_GETFAMILY "ethtool"', () => {
    assert.equal(
      wire(genlFamilyId('ethtool')),
      [
        '20000000 1000 0500 01000000 00000000', // nlmsghdr: len 32, GENL_ID_CTRL, REQUEST|ACK, seq 1
        '03010000', // genlmsghdr: CTRL_CMD_GETFAMILY, version 1
        '0c000200 657468746f6f6c00', // CTRL_ATTR_FAMILY_NAME "ethtool\0"
      ].join('').replace(/ /g, ''),
    );
  });

  test('FEATURES_GET: header with the ifindex only (verbose bit sets)', () => {
    assert.equal(
      wire(ethtoolFeaturesGet(FAMILY, IFINDEX)),
      [
        '20000000 1500 0500 01000000 00000000',
        '0b010000', // ETHTOOL_MSG_FEATURES_GET, version 1
        '0c000180 08000100 07000000', // FEATURES_HEADER (nested) { DEV_INDEX 7 }
      ].join('').replace(/ /g, ''),
    );
  });

  test('FEATURES_GET with the feature names known: the header asks for compact bit sets', () => {
    assert.equal(
      wire(ethtoolFeaturesGet(FAMILY, IFINDEX, ['tx-scatter-gather'])),
      [
        '28000000 1500 0500 01000000 00000000',
        '0b010000',
        '14000180 08000100 07000000 08000300 01000000', // FEATURES_HEADER { DEV_INDEX 7, FLAGS COMPACT_BITSETS }
      ].join('').replace(/ /g, ''),
    );
  });

  test('STRSET_GET of ETH_SS_FEATURES: an empty header (a global set), one STRINGSET by id', () => {
    assert.deepEqual([ETHTOOL.ETHTOOL_MSG_STRSET_GET, ETHTOOL.ETH_SS_FEATURES, ETHTOOL.ETHTOOL_A_HEADER_FLAGS, ETHTOOL.ETHTOOL_FLAG_COMPACT_BITSETS], [1, 4, 3, 1]);
    assert.equal(
      wire(ethtoolStringSetGet(FAMILY, ETHTOOL.ETH_SS_FEATURES)),
      [
        '28000000 1500 0500 01000000 00000000',
        '01010000', // ETHTOOL_MSG_STRSET_GET, version 1
        '04000180', // STRSET_HEADER (nested, empty)
        '10000280 0c000180 08000100 04000000', // STRSET_STRINGSETS { STRINGSET { ID 4 } }
      ].join('').replace(/ /g, ''),
    );
  });

  test('FEATURES_SET with two named bits: verbose, no NOMASK, VALUE only for the bit turned on', () => {
    assert.equal(
      wire(ethtoolFeaturesSet(FAMILY, IFINDEX, { 'tx-tcp-segmentation': false, 'rx-gro': true })),
      [
        '58000000 1500 0500 01000000 00000000', // len 88
        '0c010000', // ETHTOOL_MSG_FEATURES_SET
        '0c000180 08000100 07000000', // FEATURES_HEADER { DEV_INDEX 7 }
        '38000380', // FEATURES_WANTED (nested), 56
        '34000380', // BITSET_BITS (nested), 52
        '1c000180 18000200 74782d7463702d7365676d656e746174696f6e00', // BIT { NAME "tx-tcp-segmentation" }
        '14000180 0b000200 72782d67726f0000 04000300', // BIT { NAME "rx-gro", VALUE }
      ].join('').replace(/ /g, ''),
    );
  });

  test('FEATURES_SET with omitReply carries ETHTOOL_FLAG_OMIT_REPLY in the header', () => {
    const bytes = wire(ethtoolFeaturesSet(FAMILY, IFINDEX, { 'rx-gro': false }, { omitReply: true }));
    assert.ok(bytes.startsWith(['40000000 1500 0500 01000000 00000000', '0c010000', '14000180 08000100 07000000 08000300 02000000'].join('').replace(/ /g, '')), bytes);
  });

  test('PRIVFLAGS_SET with one flag on', () => {
    assert.equal(
      wire(ethtoolPrivFlagsSet(FAMILY, IFINDEX, { 'legacy-rx': true })),
      [
        '40000000 1500 0500 01000000 00000000', // len 64
        '0e010000', // ETHTOOL_MSG_PRIVFLAGS_SET
        '0c000180 08000100 07000000', // PRIVFLAGS_HEADER { DEV_INDEX 7 }
        '20000280', // PRIVFLAGS_FLAGS (nested)
        '1c000380', // BITSET_BITS
        '18000180 0e000200 6c65676163792d727800 0000 04000300', // BIT { NAME "legacy-rx\0" + 2 pad, VALUE }
      ].join('').replace(/ /g, ''),
    );
  });

  test('names that cannot travel are refused', () => {
    assert.throws(() => encodeBitsetByName(ETHTOOL.ETHTOOL_A_FEATURES_WANTED, { '': true }), RangeError);
    assert.throws(() => encodeBitsetByName(ETHTOOL.ETHTOOL_A_FEATURES_WANTED, { 'a\0b': true }), RangeError);
  });
});

// A FEATURES_GET_REPLY for a device "v0" (ifindex 7) with two feature bits:
// "ab" changeable and on, "cde" fixed and on.
const HEADER = '14000180 08000100 07000000 07000200 76300000'; // { DEV_INDEX 7, DEV_NAME "v0" }
const VERBOSE_REPLY = unhex(
  'bc000000 1500 0000 01000000 00000000',
  '0b010000', // FEATURES_GET_REPLY
  HEADER,
  // HW, masked by every bit: { 0 "ab" VALUE } { 1 "cde" }
  '34000280 30000380 18000180 08000100 00000000 07000200 61620000 04000300 14000180 08000100 01000000 08000200 63646500',
  // WANTED, a list: { 0 "ab" }
  '20000380 04000100 18000380 14000180 08000100 00000000 07000200 61620000',
  // ACTIVE, a list: { 0 "ab" } { 1 "cde" }
  '34000480 04000100 2c000380 14000180 08000100 00000000 07000200 61620000 14000180 08000100 01000000 08000200 63646500',
  // NOCHANGE, an empty list
  '0c000580 04000100 04000380',
);

// The same device with a third bit "f" (never-change), as compact bit sets.
const COMPACT_REPLY = unhex(
  '8c000000 1500 0000 01000000 00000000',
  '0b010000',
  HEADER,
  '1c000280 08000200 03000000 08000400 01000000 08000500 07000000', // HW: SIZE 3, VALUE 0b001, MASK 0b111
  '18000380 04000100 08000200 03000000 08000400 01000000', // WANTED: NOMASK, SIZE 3, VALUE 0b001
  '18000480 04000100 08000200 03000000 08000400 03000000', // ACTIVE: 0b011
  '18000580 04000100 08000200 03000000 08000400 04000000', // NOCHANGE: 0b100
);

const entries = (m: ReadonlyMap<string, boolean>): Array<[string, boolean]> => [...m];

describe('decoding FEATURES_GET_REPLY', () => {
  test('verbose: names from the reply, lists completed with the names of HW', () => {
    const f = decodeFeatures(decodeMessages(VERBOSE_REPLY), FAMILY, 'test');
    assert.deepEqual(f.names, ['ab', 'cde']);
    assert.deepEqual([...f.known], ['ab', 'cde']);
    assert.deepEqual(entries(f.hw), [['ab', true], ['cde', false]]);
    assert.deepEqual(entries(f.wanted), [['ab', true], ['cde', false]]);
    assert.deepEqual(entries(f.active), [['ab', true], ['cde', true]]);
    assert.deepEqual(entries(f.nochange), [['ab', false], ['cde', false]]);
  });

  test('compact: names by bit index from the caller', () => {
    const f = decodeFeatures(decodeMessages(COMPACT_REPLY), FAMILY, 'test', ['ab', 'cde', 'f']);
    assert.deepEqual(f.names, ['ab', 'cde', 'f']);
    assert.deepEqual(entries(f.hw), [['ab', true], ['cde', false], ['f', false]]);
    assert.deepEqual(entries(f.wanted), [['ab', true], ['cde', false], ['f', false]]);
    assert.deepEqual(entries(f.active), [['ab', true], ['cde', true], ['f', false]]);
    assert.deepEqual(entries(f.nochange), [['ab', false], ['cde', false], ['f', true]]);
  });

  test('a reply of another command is not taken for it', () => {
    const other = Uint8Array.from(VERBOSE_REPLY);
    other[16] = ETHTOOL.ETHTOOL_MSG_FEATURES_SET_REPLY;
    assert.throws(() => decodeFeatures(decodeMessages(other), FAMILY, 'read features'), /no reply \(command 11\) to read features/);
  });
});

describe('bit sets', () => {
  test('compact with a mask speaks for the masked bits only; without names bits are #N', () => {
    const data = encodeAttrs([attr.u32(ETHTOOL.ETHTOOL_A_BITSET_SIZE, 40), attr.bytes(ETHTOOL.ETHTOOL_A_BITSET_VALUE, unhex('05000000 01000000')), attr.bytes(ETHTOOL.ETHTOOL_A_BITSET_MASK, unhex('07000000 01000000'))]);
    const set = decodeBitset(data, ['a', 'b', 'c']);
    assert.equal(set.nomask, false);
    assert.equal(set.size, 40);
    assert.deepEqual(entries(bitsetValues(set)), [['a', true], ['b', false], ['c', true], ['#32', true]]);
  });

  test('verbose list (NOMASK): listed bits are on, the universe fills the rest', () => {
    const set = decodeBitset(encodeAttrs([attr.flag(ETHTOOL.ETHTOOL_A_BITSET_NOMASK), attr.nest(ETHTOOL.ETHTOOL_A_BITSET_BITS, [attr.nest(ETHTOOL.ETHTOOL_A_BITSET_BITS_BIT, [attr.u32(ETHTOOL.ETHTOOL_A_BITSET_BIT_INDEX, 1)])])]), ['x', 'y']);
    assert.deepEqual(entries(bitsetValues(set, ['x', 'y', 'z'])), [['x', false], ['y', true], ['z', false]]);
  });

  test('encoders round-trip through the decoder, unnamed bits dropped from values', () => {
    const bits = [
      { index: 0, name: 'a', value: true },
      { index: 2, name: '', value: true },
      { index: 3, name: 'd', value: false },
    ];
    const verbose = encodeVerboseBitset(9, bits, false);
    const back = decodeBitset(encodeAttrs([verbose]).subarray(4));
    assert.deepEqual(back.bits.map((b) => b.index), [0, 2, 3]);
    assert.deepEqual(entries(bitsetValues(back)), [['a', true], ['d', false]]);
    const compact = encodeCompactBitset(9, 4, new Set([0, 2]), new Set([0, 2, 3]));
    assert.deepEqual(entries(bitsetValues(decodeBitset(encodeAttrs([compact]).subarray(4), ['a', 'b', 'c', 'd']))), [['a', true], ['c', true], ['d', false]]);
    const byName = encodeBitsetByName(9, { a: true, d: false });
    assert.deepEqual(entries(bitsetValues(decodeBitset(encodeAttrs([byName]).subarray(4)))), [['a', true], ['d', false]]);
  });
});
