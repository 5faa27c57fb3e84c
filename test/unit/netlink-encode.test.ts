/**
 * rtnetlink requests byte for byte. Every expectation is written out by hand
 * from the UAPI layouts (nlmsghdr 16 bytes, ifinfomsg 16, ifaddrmsg 8, rtmsg 12,
 * nlattr 4 + payload padded to 4) in little-endian, the byte order of the hosts
 * we run on. Numbers used: RTM_NEWLINK=16 RTM_GETLINK=18 RTM_NEWADDR=20
 * RTM_NEWROUTE=24; NLM_F_REQUEST|NLM_F_ACK=0x005, |NLM_F_CREATE|NLM_F_EXCL=0x605,
 * |NLM_F_DUMP=0x305; IFLA_ADDRESS=1 IFLA_IFNAME=3 IFLA_MTU=4 IFLA_NET_NS_FD=28
 * IFLA_EXT_MASK=29 IFLA_GSO_MAX_SIZE=41 IFLA_GRO_MAX_SIZE=58
 * IFLA_GSO_IPV4_MAX_SIZE=63 IFLA_GRO_IPV4_MAX_SIZE=64; IFA_ADDRESS=1 IFA_LOCAL=2
 * IFA_FLAGS=8; RTA_DST=1 RTA_OIF=4 RTA_GATEWAY=5 RTA_PREFSRC=7 RTA_TABLE=15.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addrAdd, addrDel } from '../../src/netlink/addr.js';
import { attr, encodeAttrs, hostLittleEndian } from '../../src/netlink/attr.js';
import { RTNL } from '../../src/netlink/constants.js';
import { linkGet, linkList, linkSetMac, linkSetMtu, linkSetName, linkSetNs, linkSetOffloadSizes, linkSetUp } from '../../src/netlink/link.js';
import { type OutgoingMessage, encodeBatch } from '../../src/netlink/message.js';
import { routeAdd, routeDel, routeReplace } from '../../src/netlink/route.js';
import { NetlinkSocket, type Transport } from '../../src/netlink/socket.js';

import { asSent, h, hex, one, seqHex } from './golden-bytes.js';

const IFI_INDEX7 = '00000000 07000000 00000000 00000000'; // family 0, pad, type 0, index 7, flags 0, change 0

test('the host is little-endian (the goldens below assume it)', () => {
  assert.equal(hostLittleEndian, true);
});

describe('link requests', () => {
  test('linkGet by name', () => {
    assert.equal(
      one(linkGet({ name: 'eth1' }).message),
      h('34000000 1200 0500', seqHex, '00000000', '00000000 00000000 00000000 00000000', '0900 0300 65746831 00 000000', '0800 1d00 08000000'),
    );
  });

  test('linkGet by name as NetlinkSocket sends it', () => {
    const sent: Uint8Array[] = [];
    const transport: Transport = {
      send: (d) => void sent.push(Uint8Array.from(d)),
      recv: () => {
        // Ack the request with the sequence number it carried (hand-built reply).
        const seq = Buffer.from(sent[0]!).readUInt32LE(8);
        // NLMSG_ERROR, NLM_F_CAPPED, error -ENODEV, then the request's 16-byte header.
        const b = Buffer.alloc(16 + 4 + 16);
        b.writeUInt32LE(b.length, 0);
        b.writeUInt16LE(2, 4);
        b.writeUInt16LE(0x100, 6);
        b.writeUInt32LE(seq, 8);
        b.writeInt32LE(-19, 16);
        Buffer.from(sent[0]!).copy(b, 20, 0, 16);
        return b;
      },
      close: () => undefined,
    };
    const sock = new NetlinkSocket(transport);
    assert.throws(() => sock.run(linkGet({ name: 'eth1' })), { name: 'NetlinkError', code: 'ENODEV' });
    assert.equal(sent.length, 1);
    const seq = Buffer.from(sent[0]!).subarray(8, 12).toString('hex');
    assert.equal(
      hex(sent[0]!),
      h('34000000 1200 0500', seq, '00000000', '00000000 00000000 00000000 00000000', '0900 0300 65746831 00000000', '0800 1d00 08000000'),
    );
  });

  test('linkGet by index and linkList', () => {
    assert.equal(one(linkGet({ index: 7 }).message), h('28000000 1200 0500', seqHex, '00000000', IFI_INDEX7, '0800 1d00 08000000'));
    assert.equal(one(linkList().message), h('28000000 1200 0503', seqHex, '00000000', '00000000 00000000 00000000 00000000', '0800 1d00 08000000'));
  });

  test('linkSetNs by index with a new name', () => {
    assert.equal(
      one(linkSetNs({ index: 7 }, 9, 'ctr0').message),
      h('34000000 1000 0500', seqHex, '00000000', IFI_INDEX7, '0800 1c00 09000000', '0900 0300 63747230 00000000'),
    );
  });

  test('linkSetNs by name without a new name; by name with a new name is refused', () => {
    assert.equal(
      one(linkSetNs({ name: 'eth1' }, 9).message),
      h('34000000 1000 0500', seqHex, '00000000', '00000000 00000000 00000000 00000000', '0900 0300 65746831 00000000', '0800 1c00 09000000'),
    );
    assert.throws(() => linkSetNs({ name: 'eth1' }, 9, 'ctr0'), /ifindex/);
  });

  test('linkSetMtu', () => {
    assert.equal(one(linkSetMtu(7, 1400).message), h('28000000 1000 0500', seqHex, '00000000', IFI_INDEX7, '0800 0400 78050000'));
    assert.equal(one(linkSetMtu(7, 9000).message), h('28000000 1000 0500', seqHex, '00000000', IFI_INDEX7, '0800 0400 28230000'));
  });

  test('linkSetName', () => {
    assert.equal(one(linkSetName(7, 'lan-a').message), h('2c000000 1000 0500', seqHex, '00000000', IFI_INDEX7, '0a00 0300 6c616e2d61 00 0000'));
  });

  test('linkSetUp: up sets and changes IFF_UP, down only changes it', () => {
    assert.equal(one(linkSetUp(7, true).message), h('20000000 1000 0500', seqHex, '00000000', '00000000 07000000 01000000 01000000'));
    assert.equal(one(linkSetUp(7, false).message), h('20000000 1000 0500', seqHex, '00000000', '00000000 07000000 00000000 01000000'));
  });

  test('linkSetMac: 6-byte payload padded to 8', () => {
    assert.equal(one(linkSetMac(7, '02:00:5e:AA:bb:0c').message), h('2c000000 1000 0500', seqHex, '00000000', IFI_INDEX7, '0a00 0100 02005eaabb0c 0000'));
  });

  test('linkSetOffloadSizes with all four sizes, in kernel order', () => {
    assert.equal(
      one(linkSetOffloadSizes(7, { gsoMaxSize: 65536, groMaxSize: 98304, gsoIPv4MaxSize: 32768, groIPv4MaxSize: 184320 }).message),
      h('40000000 1000 0500', seqHex, '00000000', IFI_INDEX7, '0800 2900 00000100', '0800 3a00 00800100', '0800 3f00 00800000', '0800 4000 00d00200'),
    );
  });

  test('linkSetOffloadSizes with only the IPv4 sizes', () => {
    assert.equal(
      one(linkSetOffloadSizes(7, { gsoIPv4MaxSize: 65536, groIPv4MaxSize: 65536 }).message),
      h('30000000 1000 0500', seqHex, '00000000', IFI_INDEX7, '0800 3f00 00000100', '0800 4000 00000100'),
    );
  });
});

describe('address requests', () => {
  test('addrAdd IPv4 /24 nodad', () => {
    const m = addrAdd(7, { family: 4, bytes: Uint8Array.of(10, 0, 0, 2), prefixLength: 24 }, { flags: RTNL.IFA_F_NODAD }).message;
    assert.equal(
      one(m),
      h('30000000 1400 0506', seqHex, '00000000', '02 18 02 00 07000000', '0800 0200 0a000002', '0800 0100 0a000002', '0800 0800 02000000'),
    );
  });

  test('addrAdd IPv6 /64 nodad + noprefixroute: header keeps the low 8 bits, IFA_FLAGS all 32', () => {
    const v6 = Uint8Array.from(Buffer.from('fd000000000000000000000000000002', 'hex'));
    const m = addrAdd(7, { family: 6, bytes: v6, prefixLength: 64 }, { flags: RTNL.IFA_F_NODAD | 0x200 }).message;
    assert.equal(
      one(m),
      h(
        '48000000 1400 0506', seqHex, '00000000', '0a 40 02 00 07000000',
        '1400 0200 fd000000000000000000000000000002', '1400 0100 fd000000000000000000000000000002', '0800 0800 02020000',
      ),
    );
  });

  test('addrAdd without flags has no IFA_FLAGS; scope is carried', () => {
    const m = addrAdd(7, { family: 4, bytes: Uint8Array.of(169, 254, 1, 1), prefixLength: 16 }, { scope: RTNL.RT_SCOPE_LINK }).message;
    assert.equal(one(m), h('28000000 1400 0506', seqHex, '00000000', '02 10 00 fd 07000000', '0800 0200 a9fe0101', '0800 0100 a9fe0101'));
  });

  test('addrDel', () => {
    const m = addrDel(7, { family: 4, bytes: Uint8Array.of(10, 0, 0, 2), prefixLength: 24 }).message;
    assert.equal(one(m), h('28000000 1500 0500', seqHex, '00000000', '02 18 00 00 07000000', '0800 0200 0a000002', '0800 0100 0a000002'));
  });
});

describe('route requests', () => {
  test('routeAdd IPv4 via a gateway', () => {
    const m = routeAdd({ family: 4, dst: Uint8Array.of(10, 1, 0, 0), dstLength: 16, gateway: Uint8Array.of(10, 0, 0, 1), scope: RTNL.RT_SCOPE_UNIVERSE, oif: 7 }, 'x').message;
    assert.equal(
      one(m),
      h('3c000000 1800 0506', seqHex, '00000000', '02 10 00 00 fe 03 00 01 00000000', '0800 0f00 fe000000', '0800 0400 07000000', '0800 0100 0a010000', '0800 0500 0a000001'),
    );
  });

  test('routeAdd IPv4 default route: no RTA_DST, protocol carried', () => {
    const m = routeAdd({ family: 4, dst: Uint8Array.of(0, 0, 0, 0), dstLength: 0, gateway: Uint8Array.of(10, 0, 0, 1), scope: 0, oif: 7, protocol: RTNL.RTPROT_STATIC }, 'x').message;
    assert.equal(one(m), h('34000000 1800 0506', seqHex, '00000000', '02 00 00 00 fe 04 00 01 00000000', '0800 0f00 fe000000', '0800 0400 07000000', '0800 0500 0a000001'));
  });

  test('routeAdd IPv4 scope link with a preferred source', () => {
    const m = routeAdd({ family: 4, dst: Uint8Array.of(192, 168, 5, 0), dstLength: 24, prefSrc: Uint8Array.of(192, 168, 5, 10), scope: RTNL.RT_SCOPE_LINK, oif: 7 }, 'x').message;
    assert.equal(
      one(m),
      h('3c000000 1800 0506', seqHex, '00000000', '02 18 00 00 fe 03 fd 01 00000000', '0800 0f00 fe000000', '0800 0400 07000000', '0800 0100 c0a80500', '0800 0700 c0a8050a'),
    );
  });

  test('routeAdd IPv6 scope link', () => {
    const dst = Uint8Array.from(Buffer.from('fd000001000000000000000000000000', 'hex'));
    const m = routeAdd({ family: 6, dst, dstLength: 64, scope: RTNL.RT_SCOPE_LINK, oif: 7 }, 'x').message;
    assert.equal(
      one(m),
      h('40000000 1800 0506', seqHex, '00000000', '0a 40 00 00 fe 03 fd 01 00000000', '0800 0f00 fe000000', '0800 0400 07000000', '1400 0100 fd000001000000000000000000000000'),
    );
  });

  test('routeReplace and routeDel differ from routeAdd only in type and flags', () => {
    const r = { family: 4 as const, dst: Uint8Array.of(10, 1, 0, 0), dstLength: 16, scope: RTNL.RT_SCOPE_LINK, oif: 7 };
    const body = h('02 10 00 00 fe 03 fd 01 00000000', '0800 0f00 fe000000', '0800 0400 07000000', '0800 0100 0a010000');
    // NLM_F_CREATE|NLM_F_REPLACE|REQUEST|ACK = 0x505; RTM_DELROUTE = 25.
    assert.equal(one(routeReplace(r, 'x').message), h('34000000 1800 0505', seqHex, '00000000', body));
    assert.equal(one(routeDel(r, 'x').message), h('34000000 1900 0500', seqHex, '00000000', body));
  });
});

describe('message framing and nesting', () => {
  test('odd-length family header and odd-length payloads are zero-padded; nests carry NLA_F_NESTED', () => {
    const m: OutgoingMessage = {
      type: 16,
      flags: 0,
      header: Uint8Array.of(1, 2, 3, 4, 5),
      attrs: [attr.nest(18, [attr.str(1, 'vlan'), attr.bytes(2, Uint8Array.of(1, 2, 3))]), attr.u8(5, 7)],
    };
    assert.equal(
      hex(encodeBatch([m], 1)),
      h('38000000 1000 0000 01000000 00000000', '0102030405 000000', '1800 1280', '0900 0100 766c616e 00 000000', '0700 0200 010203 00', '0500 0500 07 000000'),
    );
  });

  test('nests of nests, empty nests and flags', () => {
    assert.equal(hex(encodeAttrs([attr.nest(1, [attr.nest(2, []), attr.flag(3)]), attr.u16(4, 0xbeef)])), h('0c00 0180', '0400 0280', '0400 0300', '0600 0400 efbe 0000'));
  });

  test('s32 and u32 encodings of negative and large values', () => {
    assert.equal(hex(encodeAttrs([attr.s32(1, -2), attr.u32(2, 0xfffffffe), attr.u32(3, -1)])), h('0800 0100 feffffff', '0800 0200 feffffff', '0800 0300 ffffffff'));
  });

  test('a batch numbers its messages from the first sequence number, each aligned', () => {
    const bytes = encodeBatch([asSent(linkSetUp(7, true).message), asSent(linkSetMtu(8, 1280).message)], 0xfffffffe);
    assert.equal(
      hex(bytes),
      h(
        '20000000 1000 0500 feffffff 00000000', '00000000 07000000 01000000 01000000',
        '28000000 1000 0500 ffffffff 00000000', '00000000 08000000 00000000 00000000', '0800 0400 00050000',
      ),
    );
  });
});
