/**
 * Issue 10: the attributes a device carries into the container and back, byte
 * for byte and through a decode of what was encoded. Numbers from the UAPI
 * headers: IFA_ADDRESS=1 IFA_LOCAL=2 IFA_LABEL=3 IFA_BROADCAST=4
 * IFA_CACHEINFO=6 IFA_FLAGS=8 IFA_RT_PRIORITY=9 IFA_PROTO=11; RTA_DST=1
 * RTA_OIF=4 RTA_GATEWAY=5 RTA_PRIORITY=6 RTA_MULTIPATH=9 RTA_TABLE=15;
 * RTNH_F_ONLINK=4; IFLA_TXQLEN=13 IFLA_IFALIAS=20 IFLA_GROUP=27
 * IFLA_PROP_LIST=52 IFLA_ALT_IFNAME=53; RTM_NEWLINKPROP=108 RTM_DELLINKPROP=109;
 * IFF_NOARP=0x80 IFF_PROMISC=0x100 IFF_ALLMULTI=0x200.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addrAdd, decodeAddr } from '../../src/netlink/addr.js';
import { RTNL, RTNL3 } from '../../src/netlink/constants.js';
import { decodeLink, linkAltname, linkSetAlias, linkSetFlags, linkSetGroup, linkSetTxqlen } from '../../src/netlink/link.js';
import { type IncomingMessage, type OutgoingMessage, decodeMessages, encodeBatch } from '../../src/netlink/message.js';
import { decodeRoute, routeAdd } from '../../src/netlink/route.js';
import { h, one, seqHex } from './golden-bytes.js';

/** What the kernel would read: the encoded request decoded again (a reply has the same layout). */
const back = (m: OutgoingMessage): IncomingMessage => decodeMessages(encodeBatch([m], 1))[0]!;

const v4 = (...b: number[]): Uint8Array => Uint8Array.from(b);

test('the constants are the UAPI numbers the goldens use', () => {
  assert.deepEqual(
    [RTNL3.IFA_BROADCAST, RTNL3.IFA_CACHEINFO, RTNL3.IFA_RT_PRIORITY, RTNL3.IFA_PROTO, RTNL3.IFLA_TXQLEN, RTNL3.IFLA_IFALIAS, RTNL3.IFLA_GROUP, RTNL3.IFLA_PROP_LIST, RTNL3.IFLA_ALT_IFNAME, RTNL3.RTM_NEWLINKPROP, RTNL3.RTM_DELLINKPROP, RTNL3.RTNH_F_ONLINK, RTNL3.IFA_CACHEINFO_LEN],
    [4, 6, 9, 11, 13, 20, 27, 52, 53, 108, 109, 4, 16],
  );
});

describe('addresses: every attribute', () => {
  const full = addrAdd(7, { family: 4, bytes: v4(10, 1, 2, 3), prefixLength: 24 }, {
    scope: 0, flags: RTNL3.IFA_F_NOPREFIXROUTE, broadcast: v4(10, 1, 2, 254), label: 'veth1:web', metric: 100, proto: 4,
    lifetime: { preferred: 1800, valid: 3600 },
  });

  test('golden: IFA_LOCAL, IFA_ADDRESS, IFA_FLAGS, IFA_BROADCAST, IFA_LABEL, IFA_RT_PRIORITY, IFA_PROTO, IFA_CACHEINFO', () => {
    assert.equal(one(full.message), h(
      '6c000000 1400 0506', seqHex, '00000000', '02 18 00 00 07000000',
      '0800 0200 0a010203', '0800 0100 0a010203', '0800 0800 00020000', '0800 0400 0a0102fe',
      '0e00 0300 76657468313a77656200 0000', '0800 0900 64000000', '0500 0b00 04 000000',
      '1400 0600 08070000 100e0000 00000000 00000000',
    ));
  });

  test('round trip: every attribute decodes to what was encoded', () => {
    assert.deepEqual(decodeAddr(back(full.message)), {
      family: 4, bytes: v4(10, 1, 2, 3), prefixLength: 24, index: 7, scope: 0, flags: RTNL3.IFA_F_NOPREFIXROUTE,
      broadcast: v4(10, 1, 2, 254), label: 'veth1:web', metric: 100, proto: 4, cacheInfo: { preferred: 1800, valid: 3600, created: 0, updated: 0 },
    });
  });

  test('golden and round trip: a point-to-point address puts the peer in IFA_ADDRESS, the local one in IFA_LOCAL', () => {
    const m = addrAdd(7, { family: 4, bytes: v4(10, 9, 0, 1), prefixLength: 32 }, { peer: v4(10, 9, 0, 2) }).message;
    assert.equal(one(m), h('28000000 1400 0506', seqHex, '00000000', '02 20 00 00 07000000', '0800 0200 0a090001', '0800 0100 0a090002'));
    const a = decodeAddr(back(m));
    assert.deepEqual([a.bytes, a.peer], [v4(10, 9, 0, 1), v4(10, 9, 0, 2)]);
  });

  test('IFA_FLAGS keeps all 32 bits; the header only the low 8', () => {
    const m = addrAdd(7, { family: 6, bytes: new Uint8Array(16).fill(0x20, 0, 1), prefixLength: 64 }, { flags: RTNL.IFA_F_NODAD | RTNL3.IFA_F_NOPREFIXROUTE | RTNL3.IFA_F_MANAGETEMPADDR }).message;
    assert.equal(Buffer.from(m.header).toString('hex'), '0a400200' + '07000000');
    assert.equal(decodeAddr(back(m)).flags, 0x302);
  });
});

describe('routes: metric, table, protocol, flags, next hops', () => {
  const r = routeAdd({
    family: 4, dst: v4(10, 70, 0, 0), dstLength: 24, gateway: v4(192, 0, 2, 1), scope: 0, oif: 7,
    priority: 100, table: 100, protocol: RTNL.RTPROT_STATIC, flags: RTNL3.RTNH_F_ONLINK,
  }, 'x');

  test('golden: rtm_protocol, rtm_flags (onlink), RTA_TABLE, RTA_PRIORITY', () => {
    assert.equal(one(r.message), h(
      '44000000 1800 0506', seqHex, '00000000', '02 18 00 00 64 04 00 01 04000000',
      '0800 0f00 64000000', '0800 0400 07000000', '0800 0100 0a460000', '0800 0500 c0000201', '0800 0600 64000000',
    ));
  });

  test('round trip: metric, table, protocol, type and flags decode back', () => {
    const d = decodeRoute(back(r.message));
    assert.deepEqual([d.priority, d.table, d.protocol, d.type, d.flags, d.oif, d.gateway], [100, 100, RTNL.RTPROT_STATIC, RTNL.RTN_UNICAST, RTNL3.RTNH_F_ONLINK, 7, v4(192, 0, 2, 1)]);
  });

  test('a table past 255 goes in RTA_TABLE only (header RT_TABLE_UNSPEC)', () => {
    const m = routeAdd({ family: 4, dst: v4(10, 0, 0, 0), dstLength: 8, scope: 253, oif: 7, table: 1000 }, 'x').message;
    assert.equal(m.header[4], 0);
    assert.equal(decodeRoute(back(m)).table, 1000);
  });

  test('golden and round trip: RTA_MULTIPATH with RTNH flags, weight and a gateway per hop', () => {
    const m = routeAdd({
      family: 4, dst: v4(10, 80, 0, 0), dstLength: 16, scope: 0, oif: 0, priority: 5,
      nexthops: [{ oif: 7, flags: RTNL3.RTNH_F_ONLINK, hops: 0, gateway: v4(192, 0, 2, 1) }, { oif: 9, flags: 0, hops: 2, gateway: v4(10, 0, 0, 9) }],
    }, 'x').message;
    assert.equal(one(m), h(
      '58000000 1800 0506', seqHex, '00000000', '02 10 00 00 fe 03 00 01 00000000',
      '0800 0f00 fe000000', '0800 0100 0a500000', '0800 0600 05000000',
      '2400 0900', '1000 04 00 07000000 0800 0500 c0000201', '1000 00 02 09000000 0800 0500 0a000009',
    ));
    const d = decodeRoute(back(m));
    assert.deepEqual(d.nexthops, [{ oif: 7, flags: RTNL3.RTNH_F_ONLINK, hops: 0, gateway: v4(192, 0, 2, 1) }, { oif: 9, flags: 0, hops: 2, gateway: v4(10, 0, 0, 9) }]);
    assert.deepEqual(d.nexthopOifs, [7, 9]);
  });
});

describe('links: txqueuelen, alias, group, altnames, flags', () => {
  const ifi = (flags: string, change: string): string => h('00 00 0000 07000000', flags, change);

  test('golden: IFLA_TXQLEN, IFLA_GROUP', () => {
    assert.equal(one(linkSetTxqlen(7, 500).message), h('28000000 1000 0500', seqHex, '00000000', ifi('00000000', '00000000'), '0800 0d00 f4010000'));
    assert.equal(one(linkSetGroup(7, 5).message), h('28000000 1000 0500', seqHex, '00000000', ifi('00000000', '00000000'), '0800 1b00 05000000'));
  });

  test('golden: IFLA_IFALIAS set (no NUL), and removed (empty)', () => {
    assert.equal(one(linkSetAlias(7, 'up').message), h('28000000 1000 0500', seqHex, '00000000', ifi('00000000', '00000000'), '0600 1400 7570 0000'));
    assert.equal(one(linkSetAlias(7, '').message), h('24000000 1000 0500', seqHex, '00000000', ifi('00000000', '00000000'), '0400 1400'));
  });

  test('golden: RTM_NEWLINKPROP / RTM_DELLINKPROP carry IFLA_PROP_LIST { IFLA_ALT_IFNAME }', () => {
    // IFLA_PROP_LIST | NLA_F_NESTED = 0x8034; NLM_F_CREATE|NLM_F_EXCL|REQUEST|ACK = 0x605.
    assert.equal(one(linkAltname(7, 'web0', true).message), h('30000000 6c00 0506', seqHex, '00000000', ifi('00000000', '00000000'), '1000 3480', '0900 3500 77656230 00 000000'));
    assert.equal(one(linkAltname(7, 'web0', false).message), h('30000000 6d00 0500', seqHex, '00000000', ifi('00000000', '00000000'), '1000 3480', '0900 3500 77656230 00 000000'));
  });

  test('golden: promisc/allmulti/noarp through ifi_flags and ifi_change', () => {
    const mask = RTNL3.IFF_PROMISC | RTNL3.IFF_NOARP;
    assert.equal(one(linkSetFlags(7, RTNL3.IFF_PROMISC, mask, 'x').message), h('20000000 1000 0500', seqHex, '00000000', ifi('00010000', '80010000')));
  });

  test('round trip: a link reply with IFLA_TXQLEN, IFLA_IFALIAS, IFLA_GROUP and two IFLA_ALT_IFNAME decodes to them', () => {
    const reply: OutgoingMessage = {
      type: RTNL.RTM_NEWLINK, flags: 0, header: Uint8Array.from(Buffer.from(ifi('80030000', '00000000'), 'hex')),
      attrs: [
        ...linkSetTxqlen(7, 500).message.attrs, ...linkSetAlias(7, 'uplink web').message.attrs, ...linkSetGroup(7, 5).message.attrs,
        { type: RTNL3.IFLA_PROP_LIST, nested: [...linkAltname(7, 'a0', true).message.attrs, ...linkAltname(7, 'web-uplink-long-name', true).message.attrs].flatMap((a) => ('nested' in a ? a.nested : [a])) },
        { type: RTNL.IFLA_IFNAME, data: Uint8Array.from(Buffer.from('eth1\0')) },
      ],
    };
    const l = decodeLink(back(reply));
    assert.deepEqual([l.txqlen, l.ifalias, l.group, l.altnames, (l.flags & RTNL3.IFF_PROMISC) !== 0, (l.flags & RTNL3.IFF_ALLMULTI) !== 0, (l.flags & RTNL3.IFF_NOARP) !== 0],
      [500, 'uplink web', 5, ['a0', 'web-uplink-long-name'], true, true, true]);
  });
});
