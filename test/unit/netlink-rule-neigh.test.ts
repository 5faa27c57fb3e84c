/**
 * FIB rule, neighbour, per-device IPv4 settings (IFLA_INET_CONF), IPv6
 * address generation mode and table-route requests, byte for byte, written
 * out by hand from the UAPI layouts (fib_rule_hdr 12 bytes, ndmsg 12,
 * ifinfomsg 16, rtmsg 12; nlattr 4 + payload padded to 4; little-endian).
 * Numbers: RTM_NEWLINK=16 RTM_NEWROUTE=24 RTM_NEWNEIGH=28 RTM_DELNEIGH=29
 * RTM_GETNEIGH=30 RTM_NEWRULE=32 RTM_DELRULE=33; FRA_DST=1 FRA_SRC=2
 * FRA_PRIORITY=6 FRA_TABLE=15 FR_ACT_TO_TBL=1; NDA_DST=1 NDA_LLADDR=2
 * NUD_PERMANENT=0x80; IFLA_AF_SPEC=26 IFLA_INET_CONF=1 IFLA_INET6_ADDR_GEN_MODE=8
 * IPV4_DEVCONF_FORWARDING=1 IPV4_DEVCONF_ARP_ANNOUNCE=18 IPV4_DEVCONF_ARP_IGNORE=19;
 * AF_INET=2 AF_INET6=10; NLA_F_NESTED=0x8000.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NetlinkDecodeError } from '../../src/netlink/attr.js';
import { RTNL2 } from '../../src/netlink/constants.js';
import { decodeInetSettings, linkSetAddrGenMode, linkSetInetConf } from '../../src/netlink/inet-conf.js';
import { type IncomingMessage, decodeMessages } from '../../src/netlink/message.js';
import { decodeNeigh, neighAdd, neighDel, neighList } from '../../src/netlink/neigh.js';
import { routeAdd } from '../../src/netlink/route.js';
import { decodeRule, ruleAdd, ruleDel, ruleList } from '../../src/netlink/rule.js';

import { h, one, seqHex } from './golden-bytes.js';
const v6 = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

/** A received message from its hex body (nlmsghdr written here), at an odd offset of a larger buffer. */
function received(type: number, body: string): IncomingMessage {
  const b = Buffer.from(h(body), 'hex');
  const m = Buffer.alloc(3 + 16 + ((b.length + 3) & ~3));
  m.writeUInt32LE(16 + b.length, 3);
  m.writeUInt16LE(type, 7);
  b.copy(m, 3 + 16);
  const ms = decodeMessages(new Uint8Array(m.buffer, m.byteOffset + 3, m.length - 3));
  assert.equal(ms.length, 1);
  return ms[0]!;
}

describe('FIB rules', () => {
  test('ruleAdd IPv4 with priority, source and table', () => {
    const m = ruleAdd({ family: 4, priority: 100, src: { bytes: Uint8Array.of(10, 0, 0, 0), prefixLength: 24 }, table: 100 }, 'x').message;
    assert.equal(one(m), h('34000000 2000 0506', seqHex, '00000000', '02 00 18 00 64 00 00 01 00000000', '0800 0f00 64000000', '0800 0600 64000000', '0800 0200 0a000000'));
  });

  test('ruleAdd IPv6 to a destination, kernel-chosen priority, table past 255 only in FRA_TABLE', () => {
    const m = ruleAdd({ family: 6, dst: { bytes: v6('20010db8000900000000000000000000'), prefixLength: 48 }, table: 1000 }, 'x').message;
    assert.equal(one(m), h('38000000 2000 0506', seqHex, '00000000', '0a 30 00 00 00 00 00 01 00000000', '0800 0f00 e8030000', '1400 0100 20010db8000900000000000000000000'));
  });

  test('ruleDel differs from ruleAdd only in type and flags; ruleList dumps one family', () => {
    const r = { family: 4 as const, table: 254 };
    assert.equal(one(ruleAdd(r, 'x').message), h('24000000 2000 0506', seqHex, '00000000', '02 00 00 00 fe 00 00 01 00000000', '0800 0f00 fe000000'));
    assert.equal(one(ruleDel(r, 'x').message), h('24000000 2100 0500', seqHex, '00000000', '02 00 00 00 fe 00 00 01 00000000', '0800 0f00 fe000000'));
    assert.equal(one(ruleList(6).message), h('1c000000 2200 0503', seqHex, '00000000', '0a 00 00 00 00 00 00 00 00000000'));
  });

  test('decodeRule reads what the kernel reports', () => {
    // pref 100 from 10.0.0.0/24 lookup 100, as `ip rule` dumps it (FRA_TABLE, FRA_PRIORITY, FRA_SRC).
    const m = received(RTNL2.RTM_NEWRULE, h('02 00 18 00 64 00 00 01 00000000', '0800 0f00 64000000', '0800 0600 64000000', '0800 0200 0a000000'));
    assert.deepEqual(decodeRule(m), { family: 4, table: 100, action: 1, priority: 100, src: { bytes: Uint8Array.of(10, 0, 0, 0), prefixLength: 24 } });
    assert.throws(() => decodeRule(received(RTNL2.RTM_NEWRULE, '02 00 18 00 64 00 00 01')), NetlinkDecodeError);
  });
});

describe('neighbours', () => {
  const n = { family: 4 as const, index: 7, dst: Uint8Array.of(10, 0, 0, 9), lladdr: '02:00:00:00:00:09' };
  test('neighAdd: permanent, with lladdr', () => {
    assert.equal(one(neighAdd(n, 'x').message), h('30000000 1c00 0506', seqHex, '00000000', '02 00 0000 07000000 8000 00 00', '0800 0100 0a000009', '0a00 0200 020000000009 0000'));
  });
  test('neighDel carries no lladdr; neighList dumps both families', () => {
    assert.equal(one(neighDel(n, 'x').message), h('24000000 1d00 0500', seqHex, '00000000', '02 00 0000 07000000 8000 00 00', '0800 0100 0a000009'));
    assert.equal(one(neighList().message), h('1c000000 1e00 0503', seqHex, '00000000', '00 00 0000 00000000 0000 00 00'));
  });
  test('neighAdd IPv6', () => {
    const m = neighAdd({ family: 6, index: 3, dst: v6('20010db8000000000000000000000009'), lladdr: '02:00:00:00:00:0a' }, 'x').message;
    assert.equal(one(m), h('3c000000 1c00 0506', seqHex, '00000000', '0a 00 0000 03000000 8000 00 00', '1400 0100 20010db8000000000000000000000009', '0a00 0200 02000000000a 0000'));
  });
  test('decodeNeigh; a short ndmsg is a decode error', () => {
    const m = received(RTNL2.RTM_NEWNEIGH, h('02 00 0000 07000000 8000 00 00', '0800 0100 0a000009', '0a00 0200 020000000009 0000'));
    assert.deepEqual(decodeNeigh(m), { family: 4, index: 7, state: 0x80, dst: Uint8Array.of(10, 0, 0, 9), lladdr: '02:00:00:00:00:09' });
    assert.throws(() => decodeNeigh(received(RTNL2.RTM_NEWNEIGH, '02 00 0000 07000000')), NetlinkDecodeError);
  });
});

describe('per-device IPv4 settings and IPv6 address generation mode', () => {
  test('linkSetInetConf: IFLA_AF_SPEC / AF_INET / IFLA_INET_CONF / one u32 per IPV4_DEVCONF index', () => {
    const m = linkSetInetConf(7, new Map([[RTNL2.IPV4_DEVCONF_FORWARDING, 1], [RTNL2.IPV4_DEVCONF_ARP_IGNORE, 2]]), 'x').message;
    assert.equal(one(m), h('3c000000 1000 0500', seqHex, '00000000', '00000000 07000000 00000000 00000000', '1c00 1a80', '1800 0280', '1400 0180', '0800 0100 01000000', '0800 1300 02000000'));
  });
  test('linkSetAddrGenMode: IFLA_AF_SPEC / AF_INET6 / IFLA_INET6_ADDR_GEN_MODE u8', () => {
    assert.equal(one(linkSetAddrGenMode(7, 1).message), h('30000000 1000 0500', seqHex, '00000000', '00000000 07000000 00000000 00000000', '1000 1a80', '0c00 0a80', '0500 0800 01 000000'));
  });
  test('decodeInetSettings reads IFLA_INET_CONF and the addr gen mode from a link reply', () => {
    const body = h(
      '00000000 07000000 00000000 00000000',
      '2800 1a00', // IFLA_AF_SPEC (the kernel sends it without NLA_F_NESTED)
      // AF_INET / IFLA_INET_CONF as the kernel reports it: a u32 array, entry i is index i+1 (here 4 entries)
      '1800 0200', '1400 0100', '01000000 00000000 00000000 02000000',
      '0c00 0a00', '0500 0800 03 000000', // AF_INET6: addr_gen_mode random
    );
    const s = decodeInetSettings(received(16, body));
    assert.deepEqual([...s.ipv4], [[1, 1], [2, 0], [3, 0], [4, 2]]);
    assert.equal(s.addrGenMode, 3);
    assert.deepEqual(decodeInetSettings(received(16, '00000000 07000000 00000000 00000000')), { ipv4: new Map() });
  });

  test('decodeInetSettings reads IFLA_INET6_CONF as s32 by DEVCONF index, copied out of an unaligned reply', () => {
    const body = h(
      '00000000 07000000 00000000 00000000',
      '2000 1a00', // IFLA_AF_SPEC
      '1c00 0a00', // AF_INET6
      '0500 0800 00 000000', // IFLA_INET6_ADDR_GEN_MODE eui64
      '1000 0200', '01000000 ffffffff 40000000', // IFLA_INET6_CONF: forwarding 1, entry 1 -1, entry 2 64
    );
    const m = received(16, body);
    assert.notEqual(m.payload.byteOffset % 4, 0, 'the reply sits unaligned');
    const s = decodeInetSettings(m);
    assert.deepEqual([...s.ipv6!], [1, -1, 64]);
    assert.equal(s.ipv6!.buffer.byteLength, 12, 'a copy of the entries, not a view of the reply');
    assert.equal(s.addrGenMode, 0);
  });
});

describe('routes in a table', () => {
  test('table 100: in the header and RTA_TABLE', () => {
    const m = routeAdd({ family: 4, dst: Uint8Array.of(10, 9, 0, 0), dstLength: 16, gateway: Uint8Array.of(10, 0, 0, 1), scope: 0, oif: 7, table: 100 }, 'x').message;
    assert.equal(one(m), h('3c000000 1800 0506', seqHex, '00000000', '02 10 00 00 64 03 00 01 00000000', '0800 0f00 64000000', '0800 0400 07000000', '0800 0100 0a090000', '0800 0500 0a000001'));
  });
  test('table 1000: RT_TABLE_UNSPEC in the header, the id in RTA_TABLE', () => {
    const m = routeAdd({ family: 4, dst: Uint8Array.of(10, 9, 0, 0), dstLength: 16, scope: 253, oif: 7, table: 1000 }, 'x').message;
    assert.equal(one(m), h('34000000 1800 0506', seqHex, '00000000', '02 10 00 00 00 03 fd 01 00000000', '0800 0f00 e8030000', '0800 0400 07000000', '0800 0100 0a090000'));
  });
});
