/**
 * The fake rtnetlink kernel (test/unit/fake-rtnl-kernel.ts), driven through the
 * real NetlinkSocket and request builders: it must behave like the kernel where
 * higher layers rely on it, or their tests prove nothing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addrAdd, addrDel, addrList } from '../../src/netlink/addr.js';
import { RTNL, RTNL3 } from '../../src/netlink/constants.js';
import { linkAltname, linkGet, linkList, linkSetAlias, linkSetFlags, linkSetGroup, linkSetMac, linkSetMtu, linkSetName, linkSetNs, linkSetOffloadSizes, linkSetTxqlen, linkSetUp } from '../../src/netlink/link.js';
import { NetlinkError } from '../../src/netlink/message.js';
import { routeAdd, routeDel, routeList, routeReplace } from '../../src/netlink/route.js';
import { NetlinkSocket } from '../../src/netlink/socket.js';
import { E, FakeRtnlKernel } from './fake-rtnl-kernel.js';

function world(): { host: FakeRtnlKernel; ctr: FakeRtnlKernel; hostSock: NetlinkSocket; ctrSock: NetlinkSocket } {
  const host = new FakeRtnlKernel({
    links: [
      { index: 1, name: 'lo', mtu: 65536, up: true },
      { index: 2, name: 'eth0', mtu: 1500, up: true, mac: '02:00:00:00:00:02' },
      { index: 7, name: 'eth1', mtu: 1500, minMtu: 68, maxMtu: 9000, mac: '02:00:00:00:00:07', kind: 'veth' },
    ],
    nsFds: { 9: 'ctr', 10: 'host' },
  });
  const ctr = host.inNetns('ctr');
  ctr.addLink({ index: 1, name: 'lo', mtu: 65536, up: true });
  return { host, ctr, hostSock: new NetlinkSocket(host), ctrSock: new NetlinkSocket(ctr) };
}

const v4 = (a: number, b: number, c: number, d: number): Uint8Array => Uint8Array.of(a, b, c, d);

function refused(f: () => unknown, code: string, kernelMessage?: string): void {
  assert.throws(f, (e: unknown) => e instanceof NetlinkError && e.code === code && e.kernelMessage === kernelMessage);
}

describe('links', () => {
  test('get by name and by index; missing is ENODEV', () => {
    const { hostSock } = world();
    const byName = hostSock.run(linkGet({ name: 'eth1' }));
    assert.deepEqual(byName, { index: 7, name: 'eth1', flags: 0, up: false, mtu: 1500, minMtu: 68, maxMtu: 9000, mac: '02:00:00:00:00:07', kind: 'veth' });
    assert.deepEqual(hostSock.run(linkGet({ index: 7 })), byName);
    refused(() => hostSock.run(linkGet({ name: 'nope' })), 'ENODEV');
    refused(() => hostSock.run(linkGet({ index: 99 })), 'ENODEV');
  });

  test('dump lists only the namespace of the socket', () => {
    const { hostSock, ctrSock } = world();
    assert.deepEqual(hostSock.run(linkList()).map((l) => l.name), ['lo', 'eth0', 'eth1']);
    assert.deepEqual(ctrSock.run(linkList()).map((l) => l.name), ['lo']);
  });

  test('set mtu, name, mac, up and offload sizes', () => {
    const { host, hostSock } = world();
    const out = hostSock.runBatch([
      linkSetMtu(7, 9000),
      linkSetName(7, 'lan0'),
      linkSetMac(7, '02:aa:bb:cc:dd:ee'),
      linkSetUp(7, true),
      linkSetOffloadSizes(7, { gsoMaxSize: 65536, groIPv4MaxSize: 131072 }),
    ]);
    assert.ok(out.every((o) => o.ok));
    assert.deepEqual(hostSock.run(linkGet({ index: 7 })), {
      index: 7, name: 'lan0', flags: RTNL.IFF_UP, up: true, mtu: 9000, minMtu: 68, maxMtu: 9000, mac: '02:aa:bb:cc:dd:ee', kind: 'veth', gsoMaxSize: 65536, groIPv4MaxSize: 131072,
    });
    hostSock.run(linkSetUp(7, false));
    assert.equal(host.link(7)!.up, false);
  });

  test('mtu outside the device limits and a taken name are refused and change nothing', () => {
    const { host, hostSock } = world();
    refused(() => hostSock.run(linkSetMtu(7, 9001)), 'EINVAL', 'mtu greater than device maximum');
    refused(() => hostSock.run(linkSetMtu(7, 67)), 'EINVAL', 'mtu less than device minimum');
    refused(() => hostSock.run(linkSetName(7, 'eth0')), 'EEXIST');
    assert.equal(host.link(7)!.mtu, 1500);
    assert.equal(host.link(7)!.name, 'eth1');
  });

  test('IFLA_NET_NS_FD moves the link (renamed, down, addresses and routes left behind)', () => {
    const { host, ctr, hostSock, ctrSock } = world();
    hostSock.run(linkSetUp(7, true));
    hostSock.run(addrAdd(7, { family: 4, bytes: v4(10, 0, 0, 2), prefixLength: 24 }));
    hostSock.run(routeAdd({ family: 4, dst: v4(10, 9, 0, 0), dstLength: 16, gateway: v4(10, 0, 0, 1), scope: 0, oif: 7 }, 'r'));
    hostSock.run(linkSetNs({ index: 7 }, 9, 'ctr0'));
    refused(() => hostSock.run(linkGet({ name: 'eth1' })), 'ENODEV');
    const moved = ctrSock.run(linkGet({ name: 'ctr0' }));
    assert.equal(moved.index, 7);
    assert.equal(moved.up, false);
    assert.equal(host.link('ctr0', 'ctr'), ctr.link('ctr0'));
    assert.deepEqual(host.addrs(), []);
    assert.deepEqual(host.routes(), []);
    assert.deepEqual(ctrSock.run(addrList()), []);
    // And back home under its old name, from the container's socket.
    ctrSock.run(linkSetNs({ index: 7 }, 10, 'eth1'));
    assert.equal(hostSock.run(linkGet({ name: 'eth1' })).index, 7);
  });

  test('a move keeps the ifindex unless the target namespace uses it', () => {
    const { ctr, hostSock, ctrSock } = world();
    ctr.addLink({ index: 2, name: 'other' });
    hostSock.run(linkSetNs({ index: 2 }, 9));
    const moved = ctrSock.run(linkGet({ name: 'eth0' }));
    assert.notEqual(moved.index, 2);
    assert.deepEqual(ctrSock.run(linkList()).map((l) => l.name).sort(), ['eth0', 'lo', 'other']);
  });

  test('move errors: unknown fd is EBADF, a name taken in the target is EEXIST, nothing moves', () => {
    const { host, ctr, hostSock } = world();
    refused(() => hostSock.run(linkSetNs({ index: 7 }, 42)), 'EBADF');
    ctr.addLink({ name: 'ctr0' });
    refused(() => hostSock.run(linkSetNs({ index: 7 }, 9, 'ctr0')), 'EEXIST', 'A device with the same name exists in the target netns');
    assert.equal(host.link(7)!.netns, 'host');
    assert.equal(host.link(7)!.name, 'eth1');
  });
});

describe('addresses', () => {
  test('add, dump, duplicate, delete', () => {
    const { host, hostSock } = world();
    const a = { family: 4 as const, bytes: v4(10, 0, 0, 2), prefixLength: 24 };
    const b = { family: 6 as const, bytes: Uint8Array.from(Buffer.from('fd000000000000000000000000000002', 'hex')), prefixLength: 64 };
    const out = hostSock.runBatch([addrAdd(7, a, { flags: RTNL.IFA_F_NODAD }), addrAdd(7, b, { flags: RTNL.IFA_F_NODAD }), addrAdd(7, a), addrAdd(99, a)]);
    assert.deepEqual(out.map((o) => (o.ok ? 'ok' : o.error.code)), ['ok', 'ok', 'EEXIST', 'ENODEV']);
    const listed = hostSock.run(addrList());
    assert.deepEqual(listed.map((x) => [x.family, Buffer.from(x.bytes).toString('hex'), x.prefixLength, x.index, x.flags]), [
      // Like the kernel: an address without a finite lifetime is permanent.
      [4, '0a000002', 24, 7, RTNL.IFA_F_NODAD | RTNL.IFA_F_PERMANENT],
      [6, 'fd000000000000000000000000000002', 64, 7, RTNL.IFA_F_NODAD | RTNL.IFA_F_PERMANENT],
    ]);
    hostSock.run(addrDel(7, a));
    refused(() => hostSock.run(addrDel(7, a)), 'EADDRNOTAVAIL');
    assert.equal(host.addrs().length, 1);
  });

  test('seeded addresses are listed per namespace', () => {
    const { host, hostSock, ctrSock } = world();
    host.addAddr({ family: 4, bytes: v4(192, 168, 1, 5), prefixLength: 24, index: 2, label: 'eth0' });
    host.addAddr({ family: 4, bytes: v4(127, 0, 0, 1), prefixLength: 8, index: 1, netns: 'ctr' });
    assert.deepEqual(hostSock.run(addrList()).map((x) => [Array.from(x.bytes).join('.'), x.label]), [['192.168.1.5', 'eth0']]);
    assert.deepEqual(ctrSock.run(addrList()).map((x) => Array.from(x.bytes).join('.')), ['127.0.0.1']);
  });
});

describe('routes', () => {
  test('add, EEXIST on the same destination, replace, list, delete', () => {
    const { host, hostSock } = world();
    // The gateways are on a subnet of each device (else ENETUNREACH, see below).
    for (const index of [7, 2]) host.addAddr({ family: 4, bytes: v4(10, 0, 0, index), prefixLength: 24, index });
    const r = { family: 4 as const, dst: v4(10, 9, 0, 0), dstLength: 16, gateway: v4(10, 0, 0, 1), scope: 0, oif: 7 };
    hostSock.run(routeAdd(r, 'a'));
    refused(() => hostSock.run(routeAdd({ ...r, gateway: v4(10, 0, 0, 254) }, 'b')), 'EEXIST');
    hostSock.run(routeReplace({ ...r, gateway: v4(10, 0, 0, 254), oif: 2 }, 'c'));
    const listed = hostSock.run(routeList());
    assert.equal(listed.length, 1);
    assert.deepEqual([Array.from(listed[0]!.gateway!).join('.'), listed[0]!.oif, listed[0]!.table], ['10.0.0.254', 2, RTNL.RT_TABLE_MAIN]);
    hostSock.run(routeDel({ ...r, oif: 2 }, 'd'));
    refused(() => hostSock.run(routeDel(r, 'd')), 'ESRCH');
    refused(() => hostSock.run(routeAdd({ ...r, oif: 99 }, 'e')), 'ENODEV');
  });
});

describe('failure injection', () => {
  test('the nth request fails once with the given errno and kernel text, and changes nothing', () => {
    const { host, hostSock } = world();
    host.fail(E.EBUSY, 'device or resource busy (injected)', { nth: 2 });
    const out = hostSock.runBatch([linkSetMtu(7, 1400), linkSetMtu(2, 1400), linkSetMtu(7, 1300)]);
    assert.deepEqual(out.map((o) => (o.ok ? 'ok' : [o.error.code, o.error.kernelMessage])), ['ok', ['EBUSY', 'device or resource busy (injected)'], 'ok']);
    assert.equal(host.link(2)!.mtu, 1500);
    assert.equal(host.link(7)!.mtu, 1300);
    hostSock.run(linkSetMtu(2, 1400));
    assert.equal(host.link(2)!.mtu, 1400);
  });

  test('requests are counted over every socket of the world', () => {
    const { host, hostSock, ctrSock } = world();
    host.fail(E.EPERM, undefined, { nth: 2 });
    hostSock.run(linkList());
    refused(() => ctrSock.run(linkList()), 'EPERM');
    assert.deepEqual(host.requests.map((r) => [r.n, r.netns, r.message.type]), [[1, 'host', RTNL.RTM_GETLINK], [2, 'ctr', RTNL.RTM_GETLINK]]);
  });

  test('by message type, a limited number of times; dumps fail through NLMSG_DONE', () => {
    const { host, hostSock } = world();
    host.fail(E.EINTR, undefined, { type: RTNL.RTM_GETLINK, times: 2 });
    refused(() => hostSock.run(linkList()), 'EINTR');
    refused(() => hostSock.run(linkGet({ index: 7 })), 'EINTR');
    assert.equal(hostSock.run(linkGet({ index: 7 })).name, 'eth1');
  });

  test('by predicate', () => {
    const { host, ctrSock, hostSock } = world();
    host.fail(E.ENOSPC, 'no room', { when: (r) => r.netns === 'ctr' && r.message.type === RTNL.RTM_NEWADDR });
    hostSock.run(linkSetNs({ index: 7 }, 9));
    refused(() => ctrSock.run(addrAdd(7, { family: 4, bytes: v4(10, 0, 0, 2), prefixLength: 24 })), 'ENOSPC', 'no room');
    hostSock.run(addrAdd(2, { family: 4, bytes: v4(10, 0, 0, 2), prefixLength: 24 }));
  });
});

describe('transport behaviour', () => {
  test('small datagrams: a dump spread over many recv() calls still reads whole', () => {
    const host = new FakeRtnlKernel({ links: Array.from({ length: 50 }, (_, i) => ({ name: `d${i}`, mtu: 1500 + i })), maxDatagramBytes: 100 });
    let recvs = 0;
    const sock = new NetlinkSocket({ send: (d) => host.send(d), recv: () => (recvs++, host.recv()), close: () => host.close() });
    const links = sock.run(linkList());
    assert.deepEqual(links.map((l) => l.mtu), Array.from({ length: 50 }, (_, i) => 1500 + i));
    assert.ok(recvs > 25, `${recvs} recvs`);
    assert.equal(host.queued, 0);
    sock.close();
    assert.ok(host.closed);
  });

  test('sent buffers are kept; recv with nothing queued throws instead of blocking', () => {
    const { host, hostSock } = world();
    hostSock.run(linkSetMtu(7, 1400));
    assert.equal(host.sent.length, 1);
    assert.equal(host.sent[0]!.length, 40);
    assert.throws(() => host.recv(), /nothing queued/);
  });
});

describe('issue 10: what a device carries (the fake kernel models each attribute)', () => {
  test('txqueuelen, alias (set and removed), group, promisc/allmulti/noarp are kept and reported', () => {
    const { host, hostSock } = world();
    const mask = RTNL3.IFF_PROMISC | RTNL3.IFF_ALLMULTI | RTNL3.IFF_NOARP;
    hostSock.runBatch([linkSetTxqlen(7, 500), linkSetAlias(7, 'uplink'), linkSetGroup(7, 5), linkSetFlags(7, RTNL3.IFF_PROMISC | RTNL3.IFF_NOARP, mask, 'x')]);
    const l = hostSock.run(linkGet({ index: 7 }));
    assert.deepEqual([l.txqlen, l.ifalias, l.group, (l.flags & mask) === (RTNL3.IFF_PROMISC | RTNL3.IFF_NOARP)], [500, 'uplink', 5, true]);
    hostSock.run(linkSetAlias(7, ''));
    assert.equal(host.link(7)!.ifalias, undefined);
    assert.equal(hostSock.run(linkGet({ index: 7 })).ifalias, undefined);
  });

  test('altnames: added, listed, deleted; names and altnames share a namespace; a move onto a taken altname is EEXIST', () => {
    const { host, ctr, hostSock, ctrSock } = world();
    hostSock.run(linkAltname(7, 'uplink0', true));
    assert.deepEqual(hostSock.run(linkGet({ index: 7 })).altnames, ['uplink0']);
    refused(() => hostSock.run(linkAltname(2, 'uplink0', true)), 'EEXIST');
    refused(() => hostSock.run(linkAltname(2, 'eth1', true)), 'EEXIST');
    refused(() => hostSock.run(linkSetName(2, 'uplink0')), 'EEXIST');
    // The container has a device whose name is eth1's altname: the move is refused and nothing moves.
    ctr.addLink({ name: 'uplink0', netns: 'ctr' });
    refused(() => hostSock.run(linkSetNs({ index: 7 }, 9, 'e1')), 'EEXIST');
    assert.equal(host.link(7, 'host')?.name, 'eth1');
    hostSock.run(linkAltname(7, 'uplink0', false));
    refused(() => hostSock.run(linkAltname(7, 'uplink0', false)), 'ENOENT');
    hostSock.run(linkSetNs({ index: 7 }, 9, 'e1'));
    assert.equal(ctrSock.run(linkGet({ name: 'e1' })).altnames, undefined);
  });

  test('an address keeps peer, broadcast, label, flags, metric, proto and lifetimes; finite ones are not permanent', () => {
    const { hostSock } = world();
    hostSock.run(addrAdd(7, { family: 4, bytes: v4(10, 1, 0, 1), prefixLength: 24 }, { broadcast: v4(10, 1, 0, 254), label: 'eth1:web', flags: RTNL3.IFA_F_NOPREFIXROUTE, metric: 50, proto: 4, lifetime: { preferred: 1800, valid: 3600 } }));
    hostSock.run(addrAdd(7, { family: 4, bytes: v4(10, 2, 0, 1), prefixLength: 32 }, { peer: v4(10, 2, 0, 2) }));
    const [a, p] = hostSock.run(addrList());
    assert.deepEqual([a!.broadcast, a!.label, a!.flags, a!.metric, a!.proto, a!.cacheInfo?.valid, a!.cacheInfo?.preferred], [v4(10, 1, 0, 254), 'eth1:web', RTNL3.IFA_F_NOPREFIXROUTE, 50, 4, 3600, 1800]);
    assert.deepEqual([p!.bytes, p!.peer, p!.flags, p!.cacheInfo?.valid], [v4(10, 2, 0, 1), v4(10, 2, 0, 2), RTNL.IFA_F_PERMANENT, RTNL3.IFA_INFINITY_LIFETIME]);
  });

  test('routes keep table, protocol, metric, flags and next hops; another metric is another route; an off-subnet gateway needs onlink', () => {
    const { host, hostSock } = world();
    host.addAddr({ family: 4, bytes: v4(10, 0, 0, 7), prefixLength: 24, index: 7 });
    const r = { family: 4 as const, dst: v4(10, 9, 0, 0), dstLength: 16, gateway: v4(10, 0, 0, 1), scope: 0, oif: 7, table: 100, protocol: RTNL.RTPROT_STATIC, priority: 100 };
    hostSock.run(routeAdd(r, 'a'));
    hostSock.run(routeAdd({ ...r, priority: 200 }, 'b'));
    refused(() => hostSock.run(routeAdd({ ...r, dst: v4(10, 8, 0, 0), gateway: v4(192, 0, 2, 1) }, 'c')), 'ENETUNREACH', 'Nexthop has invalid gateway');
    hostSock.run(routeAdd({ ...r, dst: v4(10, 8, 0, 0), gateway: v4(192, 0, 2, 1), flags: RTNL3.RTNH_F_ONLINK }, 'd'));
    hostSock.run(routeAdd({ family: 4, dst: v4(10, 7, 0, 0), dstLength: 16, scope: 0, oif: 0, nexthops: [{ oif: 7, flags: RTNL3.RTNH_F_ONLINK, hops: 1, gateway: v4(192, 0, 2, 9) }, { oif: 2, flags: RTNL3.RTNH_F_ONLINK, hops: 0, gateway: v4(192, 0, 2, 8) }] }, 'e'));
    const listed = hostSock.run(routeList());
    assert.deepEqual(listed.map((x) => [x.table, x.protocol, x.priority, x.flags]), [[100, RTNL.RTPROT_STATIC, 100, undefined], [100, RTNL.RTPROT_STATIC, 200, undefined], [100, RTNL.RTPROT_STATIC, 100, RTNL3.RTNH_F_ONLINK], [RTNL.RT_TABLE_MAIN, RTNL.RTPROT_BOOT, undefined, undefined]]);
    assert.deepEqual(listed[3]!.nexthops, [{ oif: 7, flags: RTNL3.RTNH_F_ONLINK, hops: 1, gateway: v4(192, 0, 2, 9) }, { oif: 2, flags: RTNL3.RTNH_F_ONLINK, hops: 0, gateway: v4(192, 0, 2, 8) }]);
    // A move takes every route that uses the device, a multipath one through it too.
    hostSock.run(linkSetNs({ index: 7 }, 9));
    assert.deepEqual(hostSock.run(routeList()), []);
  });
});
