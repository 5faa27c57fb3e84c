/**
 * Decoding kernel replies: hand-built bytes in, objects out; acks with the
 * extended-ack TLVs; garbage never escapes as anything but NetlinkDecodeError;
 * attribute round trips. Bytes are little-endian (see netlink-encode.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { decodeAddr } from '../../src/netlink/addr.js';
import { type Attr, AttrSet, NetlinkDecodeError, attr, encodeAttrs } from '../../src/netlink/attr.js';
import { decodeLink } from '../../src/netlink/link.js';
import { type IncomingMessage, decodeAck, decodeMessages } from '../../src/netlink/message.js';
import { decodeNexthop } from '../../src/netlink/nexthop.js';
import { decodeRoute } from '../../src/netlink/route.js';
import { decodeIfAddr, decodeIfInfo, decodeRtMsg } from '../../src/netlink/rtnl-headers.js';

const h = (...parts: string[]): string => parts.join('').replace(/\s+/g, '');

/**
 * One message from hex: the test writes nlmsghdr itself (length from the body).
 * The bytes are placed at an odd offset of a larger buffer so that decoders
 * that forget byteOffset read the garbage prefix instead.
 */
function wire(...msgs: Array<{ type: number; flags: number; seq: number; body: string }>): Uint8Array {
  const parts = msgs.map(({ type, flags, seq, body }) => {
    const b = Buffer.from(h(body), 'hex');
    const m = Buffer.alloc(16 + ((b.length + 3) & ~3));
    m.writeUInt32LE(16 + b.length, 0);
    m.writeUInt16LE(type, 4);
    m.writeUInt16LE(flags, 6);
    m.writeUInt32LE(seq, 8);
    m.writeUInt32LE(0x1234, 12);
    b.copy(m, 16);
    return m;
  });
  const all = Buffer.concat([Buffer.from('a5a5a5', 'hex'), ...parts, Buffer.from('5a5a5a', 'hex')]);
  return new Uint8Array(all.buffer, all.byteOffset + 3, all.length - 6);
}

function only(buf: Uint8Array): IncomingMessage {
  const ms = decodeMessages(buf);
  assert.equal(ms.length, 1);
  return ms[0]!;
}

describe('messages', () => {
  test('several messages in one datagram, with padding after an odd-length one', () => {
    const ms = decodeMessages(wire({ type: 16, flags: 2, seq: 7, body: '010203' }, { type: 3, flags: 2, seq: 8, body: '00000000' }));
    assert.deepEqual(
      ms.map((m) => ({ type: m.type, flags: m.flags, seq: m.seq, pid: m.pid, payload: Buffer.from(m.payload).toString('hex') })),
      [
        { type: 16, flags: 2, seq: 7, pid: 0x1234, payload: '010203' },
        { type: 3, flags: 2, seq: 8, pid: 0x1234, payload: '00000000' },
      ],
    );
  });

  test('a length shorter than the header or longer than the datagram is refused', () => {
    assert.throws(() => decodeMessages(Buffer.from(h('0f000000 1000 0000 01000000 00000000'), 'hex')), NetlinkDecodeError);
    assert.throws(() => decodeMessages(Buffer.from(h('14000000 1000 0000 01000000 00000000 0000'), 'hex')), NetlinkDecodeError);
  });
});

describe('RTM_NEWLINK', () => {
  const body = h(
    '00 00 0100 07000000 43100100 00000000', // AF_UNSPEC, ARPHRD_ETHER, index 7, flags UP|BROADCAST|RUNNING|MULTICAST|LOWER_UP
    '0900 0300 65746831 00000000', // IFLA_IFNAME eth1
    '0800 0400 dc050000', // IFLA_MTU 1500
    '0800 3200 44000000', // IFLA_MIN_MTU 68
    '0800 3300 28230000', // IFLA_MAX_MTU 9000
    '0a00 0100 02005eaabbcc 0000', // IFLA_ADDRESS
    '0a00 3600 02005e000001 0000', // IFLA_PERM_ADDRESS
    '0800 0a00 03000000', // IFLA_MASTER 3
    '1c00 1280', // IFLA_LINKINFO | NLA_F_NESTED
    '  0900 0100 76657468 00000000', //   IFLA_INFO_KIND veth
    '  0b00 0400 627269646765 00 00', //   IFLA_INFO_SLAVE_KIND bridge
    '0800 2900 00000100', // IFLA_GSO_MAX_SIZE 65536
    '0800 3a00 00800100', // IFLA_GRO_MAX_SIZE 98304
    '0800 3f00 00800000', // IFLA_GSO_IPV4_MAX_SIZE 32768
    '0800 4000 00d00200', // IFLA_GRO_IPV4_MAX_SIZE 184320
    '0800 3b00 f8ff0700', // IFLA_TSO_MAX_SIZE 524280
    '0500 ff0f 01 000000', // unknown attribute 0xfff
    '0900 0300 65746839 00000000', // a later duplicate IFLA_IFNAME is ignored
  );

  test('every field', () => {
    const m = only(wire({ type: 16, flags: 0, seq: 1, body }));
    assert.deepEqual(decodeLink(m), {
      index: 7, name: 'eth1', flags: 0x11043, up: true, mtu: 1500, minMtu: 68, maxMtu: 9000,
      mac: '02:00:5e:aa:bb:cc', permMac: '02:00:5e:00:00:01', master: 3, kind: 'veth', slaveKind: 'bridge',
      gsoMaxSize: 65536, groMaxSize: 98304, gsoIPv4MaxSize: 32768, groIPv4MaxSize: 184320, tsoMaxSize: 524280,
    });
  });

  test('a down device without optional attributes', () => {
    const m = only(wire({ type: 16, flags: 0, seq: 1, body: h('00 00 0403 01000000 08000000 00000000', '0700 0300 6c6f00 00', '0800 0400 00000100', '0400 0100') }));
    // loopback-like: flags LOOPBACK only (not up), empty IFLA_ADDRESS gives no mac.
    assert.deepEqual(decodeLink(m), { index: 1, name: 'lo', flags: 8, up: false, mtu: 65536 });
  });

  test('a short ifinfomsg and a short IFLA_MTU are decode errors', () => {
    assert.throws(() => decodeLink(only(wire({ type: 16, flags: 0, seq: 1, body: '00000000 07000000' }))), NetlinkDecodeError);
    assert.throws(() => decodeLink(only(wire({ type: 16, flags: 0, seq: 1, body: h('00000000 07000000 00000000 00000000', '0600 0400 dc05 0000') }))), NetlinkDecodeError);
  });
});

describe('RTM_NEWADDR', () => {
  test('IPv4: IFA_LOCAL is the address, a differing IFA_ADDRESS the peer, IFA_FLAGS over the 8-bit flags, label kept', () => {
    const m = only(wire({
      type: 20, flags: 2, seq: 1,
      body: h('02 18 80 00 07000000', '0800 0100 0a0000fe', '0800 0200 0a000002', '0900 0300 65746831 00000000', '0800 0800 80020000'),
    }));
    assert.deepEqual(decodeAddr(m), { family: 4, bytes: Uint8Array.of(10, 0, 0, 2), peer: Uint8Array.of(10, 0, 0, 254), prefixLength: 24, index: 7, scope: 0, flags: 0x280, label: 'eth1' });
  });

  test('IPv6 link-local without IFA_FLAGS: header flags and scope', () => {
    const m = only(wire({ type: 20, flags: 2, seq: 1, body: h('0a 40 80 fd 07000000', '1400 0100 fe800000000000000000000000000001') }));
    const want = Uint8Array.from(Buffer.from('fe800000000000000000000000000001', 'hex'));
    assert.deepEqual(decodeAddr(m), { family: 6, bytes: want, prefixLength: 64, index: 7, scope: 253, flags: 0x80 });
  });
});

describe('RTM_NEWROUTE', () => {
  test('IPv4 via a gateway with source and metric', () => {
    const m = only(wire({
      type: 24, flags: 2, seq: 1,
      body: h('02 10 00 00 fe 04 00 01 00000000', '0800 0f00 fe000000', '0800 0100 0a010000', '0800 0500 0a000001', '0800 0400 07000000', '0800 0600 64000000', '0800 0700 0a000002'),
    }));
    assert.deepEqual(decodeRoute(m), {
      family: 4, dst: Uint8Array.of(10, 1, 0, 0), dstLength: 16, scope: 0, oif: 7, table: 254, protocol: 4, type: 1,
      gateway: Uint8Array.of(10, 0, 0, 1), prefSrc: Uint8Array.of(10, 0, 0, 2), priority: 100, nexthopOifs: [],
    });
  });

  test('IPv6 default route in a table above 255: RTA_TABLE wins, dst is all zeros', () => {
    const m = only(wire({ type: 24, flags: 2, seq: 1, body: h('0a 00 00 00 fc 03 00 01 00000000', '0800 0f00 e8030000', '0800 0400 02000000') }));
    assert.deepEqual(decodeRoute(m), { family: 6, dst: new Uint8Array(16), dstLength: 0, scope: 0, oif: 2, table: 1000, protocol: 3, type: 1, nexthopOifs: [] });
  });

  test('IPv4 multipath default route: RTA_MULTIPATH next hops give their interfaces, no RTA_OIF', () => {
    // ip route add default nexthop via 10.0.0.1 dev #4 nexthop via 10.1.0.1 dev #9
    const hop = (ifindex: string, gw: string): string => `1000 00 00 ${ifindex} 0800 0500 ${gw}`;
    const m = only(wire({ type: 24, flags: 2, seq: 1, body: h('02 00 00 00 fe 03 00 01 00000000', '0800 0f00 fe000000', `2400 0900 ${hop('04000000', '0a000001')} ${hop('09000000', '0a010001')}`) }));
    const r = decodeRoute(m);
    assert.equal(r.oif, 0);
    assert.deepEqual(r.nexthopOifs, [4, 9]);
  });

  test('a route through a nexthop object: RTA_NH_ID', () => {
    const m = only(wire({ type: 24, flags: 2, seq: 1, body: h('02 00 00 00 fe 03 00 01 00000000', '0800 0f00 fe000000', '0800 1e00 0c000000') }));
    assert.equal(decodeRoute(m).nhId, 12);
  });

  test('RTM_NEWNEXTHOP: a single next hop, and a group of two (struct nexthop_grp)', () => {
    const single = only(wire({ type: 104, flags: 2, seq: 1, body: h('02 00 00 00 00000000', '0800 0100 0a000000', '0800 0500 04000000') }));
    assert.deepEqual(decodeNexthop(single), { id: 10, oif: 4, group: [] });
    const group = only(wire({ type: 104, flags: 2, seq: 1, body: h('00 00 00 00 00000000', '0800 0100 0c000000', '1400 0200 0a000000 01 00 0000 0b000000 01 00 0000') }));
    assert.deepEqual(decodeNexthop(group), { id: 12, oif: 0, group: [10, 11] });
    const ragged = only(wire({ type: 104, flags: 2, seq: 1, body: h('00 00 00 00 00000000', '0800 0100 0c000000', '0a00 0200 0a000000 0100 0000') }));
    assert.throws(() => decodeNexthop(ragged), NetlinkDecodeError);
  });

  test('a next hop whose length overruns RTA_MULTIPATH is a decode error', () => {
    const m = only(wire({ type: 24, flags: 2, seq: 1, body: h('02 00 00 00 fe 03 00 01 00000000', '1000 0900 2000 00 00 04000000 00000000') }));
    assert.throws(() => decodeRoute(m), NetlinkDecodeError);
  });
});

describe('NLMSG_ERROR', () => {
  const request = h('28000000 1000 0500 01000000 00000000', '00000000 07000000 00000000 00000000', '0800 0400 78050000');
  const tlvs = h('1000 0100 4d545520746f6f2062696700', '0800 0200 20000000'); // MSG "MTU too big", OFFS 32

  test('plain ack', () => {
    const ack = decodeAck(only(wire({ type: 2, flags: 0x100, seq: 1, body: h('00000000', request.slice(0, 32)) })));
    // errno is -0 here (negation of 0); == 0 is what callers test.
    assert.ok(ack.errno === 0);
    assert.deepEqual(Object.keys(ack), ['errno']);
  });

  test('error with the whole request echoed (no NLM_F_CAPPED) and TLVs', () => {
    const m = only(wire({ type: 2, flags: 0x200, seq: 1, body: h('eaffffff', request, tlvs) }));
    assert.deepEqual(decodeAck(m), { errno: 22, kernelMessage: 'MTU too big', badAttrOffset: 32 });
  });

  test('error with the request capped to its header and TLVs', () => {
    const m = only(wire({ type: 2, flags: 0x300, seq: 1, body: h('eaffffff', request.slice(0, 32), tlvs) }));
    assert.deepEqual(decodeAck(m), { errno: 22, kernelMessage: 'MTU too big', badAttrOffset: 32 });
  });

  test('the original request length is aligned before the TLVs', () => {
    // An echoed request of 0x25 bytes occupies 40: TLVs start after the padding.
    const odd = h('25000000 1000 0500 01000000 00000000', '00000000 07000000 00000000 00000000', '0500 0900 01 000000');
    const m = only(wire({ type: 2, flags: 0x200, seq: 1, body: h('f0ffffff', odd, '1000 0100 6465766963652062757379 00') }));
    assert.deepEqual(decodeAck(m), { errno: 16, kernelMessage: 'device busy' });
  });

  test('without NLM_F_ACK_TLVS trailing bytes are not read as TLVs; an empty message is dropped', () => {
    assert.deepEqual(decodeAck(only(wire({ type: 2, flags: 0x100, seq: 1, body: h('eaffffff', request.slice(0, 32), tlvs) }))), { errno: 22 });
    assert.deepEqual(decodeAck(only(wire({ type: 2, flags: 0x300, seq: 1, body: h('eaffffff', request.slice(0, 32), '0500 0100 00 000000') }))), { errno: 22 });
  });

  test('too short to hold an error code', () => {
    assert.throws(() => decodeAck(only(wire({ type: 2, flags: 0, seq: 1, body: 'eaff' }))), NetlinkDecodeError);
  });

  test('an echoed length beyond the message (up to 0xffffffff) means no TLVs, not a RangeError', () => {
    for (const len of ['fdffff7f', 'ffffffff', '28000000']) {
      assert.deepEqual(decodeAck(only(wire({ type: 2, flags: 0x200, seq: 1, body: h('eaffffff', len, request.slice(4, 32)) }))), { errno: 22 });
    }
  });

  test('a plain ack is errno 0, never -0', () => {
    assert.ok(Object.is(decodeAck(only(wire({ type: 2, flags: 0x100, seq: 1, body: h('00000000', request.slice(0, 32)) }))).errno, 0));
  });
});

describe('headers', () => {
  test('ifinfomsg, ifaddrmsg and rtmsg fields', () => {
    assert.deepEqual(decodeIfInfo(Buffer.from(h('0a 00 0403 feffffff 01000080 ffffffff'), 'hex')), { family: 10, type: 0x304, index: -2, flags: 0x80000001, change: 0xffffffff });
    assert.deepEqual(decodeIfAddr(Buffer.from(h('0a 40 80 fd ffffffff'), 'hex')), { family: 10, prefixLength: 64, flags: 0x80, scope: 253, index: 0xffffffff });
    assert.deepEqual(decodeRtMsg(Buffer.from(h('02 18 08 10 fe 04 fd 01 00100000'), 'hex')), { family: 2, dstLength: 24, srcLength: 8, tos: 16, table: 254, protocol: 4, scope: 253, type: 1, flags: 0x1000 });
  });
});

/** Runs `f`; anything thrown must be a NetlinkDecodeError. */
function onlyDecodeErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof NetlinkDecodeError)) throw new Error(`expected NetlinkDecodeError, got ${String(e)}`, { cause: e });
  }
}

const bytesAt = fc.tuple(fc.uint8Array({ maxLength: 200 }), fc.nat({ max: 7 })).map(([b, skew]) => {
  // The same bytes at an arbitrary offset of a larger buffer.
  const big = new Uint8Array(b.length + skew);
  big.set(b, skew);
  return big.subarray(skew);
});

/** A message whose first bytes are a plausible header, so the decoders get past the first check. */
const plausible = (headerLen: number) =>
  fc.tuple(fc.uint8Array({ minLength: headerLen, maxLength: headerLen }), fc.array(fc.tuple(fc.nat({ max: 40 }), fc.nat({ max: 0xffff }), fc.uint8Array({ maxLength: 24 })), { maxLength: 6 }), fc.nat({ max: 3 }))
    .map(([hdr, attrs, cut]) => {
      const parts: number[] = [...hdr];
      for (const [len, type, data] of attrs) {
        parts.push(len & 0xff, len >> 8, type & 0xff, type >> 8, ...data);
      }
      return Uint8Array.from(parts.slice(0, Math.max(0, parts.length - cut)));
    });

const msgOf = (payload: Uint8Array, type = 16, flags = 0): IncomingMessage => ({ type, flags, seq: 1, pid: 0, payload });

describe('garbage in: NetlinkDecodeError or a value, never another exception', () => {
  test('decodeMessages', () => {
    fc.assert(fc.property(bytesAt, (b) => onlyDecodeErrors(() => decodeMessages(b))), { numRuns: 2000 });
  });

  test('decodeMessages of a valid datagram cut short', () => {
    const good = wire({ type: 16, flags: 2, seq: 1, body: '00000000 07000000 00000000 00000000 08000400 dc050000' }, { type: 3, flags: 2, seq: 1, body: '00000000' });
    fc.assert(fc.property(fc.nat({ max: good.length }), (n) => onlyDecodeErrors(() => decodeMessages(good.subarray(0, n)))));
  });

  test('AttrSet and its typed getters', () => {
    fc.assert(
      fc.property(bytesAt, fc.nat({ max: 70 }), (b, t) =>
        onlyDecodeErrors(() => {
          const a = new AttrSet(b);
          a.u8(t);
          a.u16(t);
          a.u32(t);
          a.s32(t);
          a.str(t);
          a.nested(t);
          for (const x of a.all) new AttrSet(x.data);
        }),
      ),
      { numRuns: 2000 },
    );
  });

  test('decodeLink', () => {
    fc.assert(fc.property(fc.oneof(bytesAt, plausible(16)), (p) => onlyDecodeErrors(() => decodeLink(msgOf(p)))), { numRuns: 2000 });
  });

  test('decodeAddr', () => {
    fc.assert(fc.property(fc.oneof(bytesAt, plausible(8)), (p) => onlyDecodeErrors(() => decodeAddr(msgOf(p, 20)))), { numRuns: 2000 });
  });

  test('decodeRoute', () => {
    fc.assert(fc.property(fc.oneof(bytesAt, plausible(12)), (p) => onlyDecodeErrors(() => decodeRoute(msgOf(p, 24)))), { numRuns: 2000 });
  });

  test('decodeAck, with every combination of NLM_F_CAPPED and NLM_F_ACK_TLVS', () => {
    fc.assert(
      fc.property(fc.oneof(bytesAt, plausible(20)), fc.constantFrom(0, 0x100, 0x200, 0x300), (p, flags) => onlyDecodeErrors(() => decodeAck(msgOf(p, 2, flags)))),
      { numRuns: 3000 },
    );
  });
});

type Val = { kind: 'u8' | 'u16' | 'u32'; type: number; v: number } | { kind: 'str'; type: number; s: string } | { kind: 'nest'; type: number; children: Val[] };

const attrType = fc.integer({ min: 0, max: 0x3fff });
const { val } = fc.letrec<{ val: Val }>((tie) => ({
  val: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ kind: fc.constant('u8' as const), type: attrType, v: fc.integer({ min: 0, max: 0xff }) }),
    fc.record({ kind: fc.constant('u16' as const), type: attrType, v: fc.integer({ min: 0, max: 0xffff }) }),
    fc.record({ kind: fc.constant('u32' as const), type: attrType, v: fc.integer({ min: 0, max: 0xffffffff }) }),
    fc.record({ kind: fc.constant('str' as const), type: attrType, s: fc.fullUnicodeString({ maxLength: 12 }).filter((s) => !s.includes('\0')) }),
    fc.record({ kind: fc.constant('nest' as const), type: attrType, children: fc.array(tie('val'), { maxLength: 4 }) }),
  ),
}));

function toAttr(x: Val): Attr {
  switch (x.kind) {
    case 'u8':
      return attr.u8(x.type, x.v);
    case 'u16':
      return attr.u16(x.type, x.v);
    case 'u32':
      return attr.u32(x.type, x.v);
    case 'str':
      return attr.str(x.type, x.s);
    case 'nest':
      return attr.nest(x.type, x.children.map(toAttr));
  }
}

/** Reads back what `vals` describes from `set`, position by position (duplicates included). */
function readBack(set: AttrSet, vals: readonly Val[]): Val[] {
  assert.equal(set.all.length, vals.length);
  return vals.map((want, i) => {
    const got = set.all[i]!;
    const one = new AttrSet(encodeAttrs([{ type: got.type, data: got.data }]));
    switch (want.kind) {
      case 'u8':
        assert.equal(got.data.length, 1);
        return { kind: 'u8', type: got.type, v: one.u8(got.type)! };
      case 'u16':
        assert.equal(got.data.length, 2);
        return { kind: 'u16', type: got.type, v: one.u16(got.type)! };
      case 'u32':
        assert.equal(got.data.length, 4);
        return { kind: 'u32', type: got.type, v: one.u32(got.type)! };
      case 'str':
        return { kind: 'str', type: got.type, s: one.str(got.type)! };
      case 'nest':
        return { kind: 'nest', type: got.type, children: readBack(one.nested(got.type)!, want.children) };
    }
  });
}

describe('round trips', () => {
  test('encodeAttrs then AttrSet gives back types and values, nested included', () => {
    fc.assert(
      fc.property(fc.array(val, { maxLength: 6 }), (vals) => {
        const bytes = encodeAttrs(vals.map(toAttr));
        assert.equal(bytes.length % 4, 0);
        assert.deepEqual(readBack(new AttrSet(bytes), vals), vals);
      }),
      { numRuns: 500 },
    );
  });

  test('AttrSet getters return the first of duplicate types', () => {
    fc.assert(
      fc.property(attrType, fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 5 }), (type, vs) => {
        const set = new AttrSet(encodeAttrs(vs.map((v) => attr.u32(type, v))));
        assert.equal(set.u32(type), vs[0]);
        assert.deepEqual(set.all.map((x) => new DataView(x.data.buffer, x.data.byteOffset, 4).getUint32(0, true)), vs);
      }),
    );
  });

  test('s32 keeps its sign', () => {
    fc.assert(fc.property(attrType, fc.integer({ min: -0x80000000, max: 0x7fffffff }), (type, v) => assert.equal(new AttrSet(encodeAttrs([attr.s32(type, v)])).s32(type), v)));
  });
});
