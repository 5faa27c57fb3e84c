/**
 * Issue 10 without root: a device with every attribute goes into the
 * container (fake kernel), the container changes what it can, and the one
 * way home (bringHome: teardown, recovery and rollback) puts back the host
 * state exactly; a failing step is a loss and blocks nothing else.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { bringHome } from '../../src/apply/bring-home.js';
import { LINK_ATTRIBUTES } from '../../src/apply/link-attributes.js';
import { LINK_STATE_FIELDS } from '../../src/state/link-state.js';
import type { Ipv6Conf } from '../../src/apply/host-extras.js';
import { snapshotHost } from '../../src/apply/host-original.js';
import { viewNamespace } from '../../src/apply/inspect.js';
import { renamedLabel } from '../../src/apply/apply-devices.js';
import { addOrder, remainingLifetime } from '../../src/apply/restore.js';
import { type Addr, addrAdd, addrList } from '../../src/netlink/addr.js';
import { NL, RTNL, RTNL3 } from '../../src/netlink/constants.js';
import { type Link, linkAltname, linkGet, linkSetAlias, linkSetName, linkSetFlags, linkSetGroup, linkSetMac, linkSetMtu, linkSetNs, linkSetTxqlen } from '../../src/netlink/link.js';
import { type Route, routeAdd, routeList } from '../../src/netlink/route.js';
import { NetlinkSocket } from '../../src/netlink/socket.js';
import { AttrSet } from '../../src/netlink/attr.js';
import { IFINFOMSG_LEN } from '../../src/netlink/rtnl-headers.js';
import { E, FakeRtnlKernel } from './fake-rtnl-kernel.js';

const v4 = (...b: number[]): Uint8Array => Uint8Array.from(b);
const v6 = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));
const HOST_FD = 10;
const CTR_FD = 9;
const T0 = 1_700_000_000_000;

/** net.ipv6.conf.<dev>.* of the fake host: a move resets a device's files to the defaults. */
function fakeIpv6(): Ipv6Conf & { files: Map<string, Record<string, string>> } {
  const files = new Map<string, Record<string, string>>([['default', { accept_ra: '1', hop_limit: '64', disable_ipv6: '0' }]]);
  return {
    files,
    read: (dev) => (files.has(dev) ? { ...files.get(dev)! } : undefined),
    list: (dev) => (files.has(dev) ? Object.keys(files.get(dev)!) : undefined),
    readOne: (dev, k) => files.get(dev)?.[k],
    write: (dev, k, v) => {
      files.get(dev)![k] = v;
    },
  };
}

function richHost(): { host: FakeRtnlKernel; ctr: FakeRtnlKernel; hostSock: NetlinkSocket; ctrSock: NetlinkSocket } {
  const host = new FakeRtnlKernel({
    links: [
      { index: 1, name: 'lo', mtu: 65536, up: true },
      { index: 5, name: 'rt1', mtu: 1400, up: true, mac: '02:00:00:00:00:05', txqlen: 700, ifalias: 'uplink web', group: 5, allmulti: true, altnames: ['web0'] },
      { index: 6, name: 'taken1', mtu: 1500, up: true, mac: '02:00:00:00:00:06' },
    ],
    nsFds: { [CTR_FD]: 'ctr', [HOST_FD]: 'host' },
  });
  const ctr = host.inNetns('ctr');
  ctr.addLink({ index: 1, name: 'lo', mtu: 65536, up: true });
  const hostSock = new NetlinkSocket(host);
  const add = (a: Parameters<typeof addrAdd>[1], o: Parameters<typeof addrAdd>[2]): void => hostSock.run(addrAdd(5, a, o));
  add({ family: 4, bytes: v4(10, 1, 0, 1), prefixLength: 24 }, { broadcast: v4(10, 1, 0, 254), label: 'rt1:web' });
  add({ family: 4, bytes: v4(10, 2, 0, 1), prefixLength: 32 }, { peer: v4(10, 2, 0, 2) });
  add({ family: 4, bytes: v4(10, 3, 0, 1), prefixLength: 24 }, { flags: RTNL3.IFA_F_NOPREFIXROUTE, metric: 77 });
  add({ family: 4, bytes: v4(10, 4, 0, 1), prefixLength: 24 }, { lifetime: { preferred: 1800, valid: 3600 } });
  add({ family: 6, bytes: v6('20010db8000000000000000000000001'), prefixLength: 64 }, {});
  const route = (r: Omit<Parameters<typeof routeAdd>[0], 'oif' | 'scope'> & { scope?: number }): void => hostSock.run(routeAdd({ scope: 0, oif: 5, ...r }, 'x'));
  route({ family: 4, dst: v4(172, 16, 0, 0), dstLength: 24, scope: RTNL.RT_SCOPE_LINK });
  route({ family: 4, dst: v4(10, 9, 0, 0), dstLength: 16, gateway: v4(10, 1, 0, 2), priority: 100, protocol: RTNL.RTPROT_STATIC });
  route({ family: 4, dst: v4(10, 8, 0, 0), dstLength: 16, gateway: v4(192, 0, 2, 1), flags: RTNL3.RTNH_F_ONLINK });
  route({ family: 4, dst: v4(10, 7, 0, 0), dstLength: 16, gateway: v4(10, 1, 0, 3), table: 100 });
  route({ family: 4, dst: v4(10, 6, 0, 0), dstLength: 16, prefSrc: v4(10, 1, 0, 1) });
  // Its gateway is reachable only through the 172.16.0.0/24 route: listed first, it must wait for it.
  route({ family: 4, dst: v4(10, 5, 0, 0), dstLength: 16, gateway: v4(172, 16, 0, 1) });
  return { host, ctr, hostSock, ctrSock: new NetlinkSocket(ctr) };
}

/** The host's view of the device, as `ip -d link/addr/route` would compare it. */
function hostState(sock: NetlinkSocket, name: string): { link: Link; addrs: Addr[]; routes: Route[] } {
  const link = sock.run(linkGet({ name }));
  const sortRoutes = (r: Route[]): Route[] => r.sort((a, b) => Buffer.compare(Buffer.from(a.dst), Buffer.from(b.dst)) || a.table - b.table);
  return { link, addrs: sock.run(addrList()).filter((a) => a.index === link.index), routes: sortRoutes(sock.run(routeList()).filter((r) => r.oif === link.index)) };
}

/** Moves rt1 into the container as eth1 (what applyDevices does first), snapshot taken before. */
function moveIn(w: ReturnType<typeof richHost>, ipv6: ReturnType<typeof fakeIpv6>): { original: ReturnType<typeof snapshotHost>; link: Link } {
  const link = w.hostSock.run(linkGet({ name: 'rt1' }));
  const original = { ...snapshotHost(link, viewNamespace(w.hostSock, { addrs: true, routes: true }), { ipv6Conf: ipv6.read('rt1')! }), takenAt: T0 };
  w.hostSock.run(linkSetNs({ index: 5 }, CTR_FD, 'eth1'));
  ipv6.files.set('rt1', { ...ipv6.files.get('default')! }); // the move reset them to the netns' defaults
  return { original, link: w.ctrSock.run(linkGet({ name: 'eth1' })) };
}

describe('bringHome over the fake kernel', () => {
  test('everything the container changed goes back; addresses, routes (onlink, table, metric, order) and settings come home', () => {
    const w = richHost();
    const ipv6 = fakeIpv6();
    ipv6.files.set('rt1', { accept_ra: '0', hop_limit: '33', disable_ipv6: '0' });
    const before = hostState(w.hostSock, 'rt1');
    const { original, link } = moveIn(w, ipv6);
    // What a container with CAP_NET_ADMIN may do; its altname is a host device's name (the move home would be EEXIST).
    w.ctrSock.runBatch([
      linkSetFlags(link.index, RTNL3.IFF_PROMISC | RTNL3.IFF_NOARP, RTNL3.IFF_PROMISC | RTNL3.IFF_NOARP | RTNL3.IFF_ALLMULTI, 'x'),
      linkSetTxqlen(link.index, 55), linkSetAlias(link.index, 'changed'), linkSetGroup(link.index, 9), linkSetMtu(link.index, 9000), linkSetMac(link.index, '02:00:00:00:00:99'),
      linkAltname(link.index, 'taken1', true), linkAltname(link.index, 'new0', true),
    ]);
    const home = bringHome(w.ctrSock, w.hostSock, HOST_FD, w.ctrSock.run(linkGet({ index: link.index })), original, undefined, { ipv6Conf: ipv6, now: () => T0 + 100_000 });
    assert.deepEqual(home.losses, []);
    assert.equal(home.as, 'rt1');
    const after = hostState(w.hostSock, 'rt1');
    assert.deepEqual(after.link, before.link);
    assert.deepEqual(after.routes, before.routes);
    // Lifetimes count down from the snapshot; everything else is the same.
    const noLife = (a: Addr[]): Addr[] => a.map(({ cacheInfo: _c, ...rest }) => rest);
    assert.deepEqual(noLife(after.addrs), noLife(before.addrs));
    const finite = after.addrs.find((a) => a.bytes[1] === 4)!;
    assert.deepEqual([finite.cacheInfo?.valid, finite.cacheInfo?.preferred], [3500, 1700]);
    assert.deepEqual(ipv6.files.get('rt1'), { accept_ra: '0', hop_limit: '33', disable_ipv6: '0' });
  });

  test('a refused step is a loss; every other step still runs and the device is home under its name', () => {
    const w = richHost();
    const ipv6 = fakeIpv6();
    const before = hostState(w.hostSock, 'rt1');
    const { original, link } = moveIn(w, ipv6);
    w.ctrSock.run(linkSetTxqlen(link.index, 55));
    // The first address and the txqueuelen are refused on the way home.
    w.host.fail(E.ENOMEM, 'no memory', { when: (r) => r.netns === 'host' && r.message.type === RTNL.RTM_NEWADDR, times: 1 });
    w.host.fail(E.EPERM, undefined, { when: (r) => r.netns === 'ctr' && r.message.type === RTNL.RTM_NEWLINK && new AttrSet(r.message.payload, IFINFOMSG_LEN).has(RTNL3.IFLA_TXQLEN), times: 1 });
    const home = bringHome(w.ctrSock, w.hostSock, HOST_FD, w.ctrSock.run(linkGet({ index: link.index })), original, undefined, { ipv6Conf: ipv6, now: () => T0 });
    assert.equal(home.as, 'rt1');
    const what = home.losses.map((l) => l.what);
    assert.ok(what.includes('address 10.1.0.1/24'), what.join(', '));
    assert.ok(what.includes('txqueuelen'), what.join(', '));
    const after = hostState(w.hostSock, 'rt1');
    assert.equal(after.link.mtu, before.link.mtu);
    assert.equal(after.link.ifalias, 'uplink web');
    assert.equal(after.addrs.length, before.addrs.length - 1);
    // The routes that needed 10.1.0.1 (its gateways, its source) are reported too; the others came back.
    assert.ok(after.routes.some((r) => r.flags === RTNL3.RTNH_F_ONLINK));
    for (const r of before.routes.filter((x) => !after.routes.some((y) => Buffer.compare(Buffer.from(x.dst), Buffer.from(y.dst)) === 0))) {
      assert.ok(what.some((w2) => w2.startsWith(`route ${r.dst.join('.')}/`)), `missing route ${r.dst.join('.')} is reported: ${what.join(', ')}`);
    }
  });

  test('a host altname taken meanwhile is a loss, not a refused move', () => {
    const w = richHost();
    const { original, link } = moveIn(w, fakeIpv6());
    w.hostSock.run(linkAltname(6, 'web0', true));
    const home = bringHome(w.ctrSock, w.hostSock, HOST_FD, link, original, undefined, { ipv6Conf: fakeIpv6(), now: () => T0 });
    assert.equal(home.as, 'rt1');
    assert.deepEqual(home.losses.map((l) => [l.what, l.why]), [['altname web0', 'the name is taken on the host']]);
  });
});

describe('bringHome on a busy host reads names, not every link', () => {
  const isHostLinkDump = (r: { netns: string; message: { type: number; flags: number } }): boolean =>
    r.netns === 'host' && r.message.type === RTNL.RTM_GETLINK && (r.message.flags & NL.NLM_F_DUMP) === NL.NLM_F_DUMP;

  test('200 bystanders: no host link dump; a taken name, a taken altname and a long taken altname are each found by a get', () => {
    const w = richHost();
    for (let i = 0; i < 200; i++) w.host.addLink({ index: 100 + i, name: `by${i}`, mtu: 1500, up: false });
    const ipv6 = fakeIpv6();
    const long = 'rt1-uplink-to-rack7'; // 19 bytes: only IFLA_ALT_IFNAME can name it
    w.hostSock.run(linkAltname(5, long, true));
    const { original, link } = moveIn(w, ipv6);
    // Meanwhile bystanders take its name, its altname and its long altname.
    w.hostSock.run(linkSetName(100, 'rt1'));
    w.hostSock.run(linkAltname(101, 'web0', true));
    w.hostSock.run(linkAltname(102, long, true));
    const from = w.host.requests.length;
    const home = bringHome(w.ctrSock, w.hostSock, HOST_FD, link, original, undefined, { ipv6Conf: ipv6, now: () => T0 });
    const during = w.host.requests.slice(from);
    assert.equal(home.as, 'ond5');
    assert.deepEqual(home.losses.map((l) => l.what).sort(), [`altname ${long}`, 'altname web0']);
    assert.deepEqual(during.filter(isHostLinkDump).map((r) => r.n), [], 'no dump of the host links');
    assert.equal(w.hostSock.run(linkGet({ index: 5 })).name, 'ond5');
  });

  test('a free long altname comes back (looked up by IFLA_ALT_IFNAME, which the kernel requires past 15 bytes)', () => {
    const w = richHost();
    const ipv6 = fakeIpv6();
    const long = 'rt1-uplink-to-rack7';
    w.hostSock.run(linkAltname(5, long, true));
    const { original, link } = moveIn(w, ipv6);
    const home = bringHome(w.ctrSock, w.hostSock, HOST_FD, link, original, undefined, { ipv6Conf: ipv6, now: () => T0 });
    assert.deepEqual(home.losses, []);
    assert.equal(w.hostSock.run(linkGet({ name: long })).index, 5);
  });
});

describe('helpers', () => {
  test('labels follow a rename as the kernel rewrites them', () => {
    assert.equal(renamedLabel('veth1:web', 'veth1', 'eth1'), 'eth1:web');
    assert.equal(renamedLabel('veth1', 'veth1', 'eth1'), 'eth1');
    assert.equal(renamedLabel('other', 'veth1', 'eth1'), 'other');
    // 15 bytes at most: the name part is cut, the suffix kept.
    assert.equal(renamedLabel('v:webserver1', 'v', 'longname12345'), 'long:webserver1');
  });

  test('lifetimes count down; an expired address is reported; forever stays forever', () => {
    const inf = RTNL3.IFA_INFINITY_LIFETIME;
    assert.deepEqual(remainingLifetime({ preferred: 1800, valid: 3600 }, 100), { preferred: 1700, valid: 3500 });
    assert.deepEqual(remainingLifetime({ preferred: 10, valid: 3600 }, 100), { preferred: 0, valid: 3500 });
    assert.equal(remainingLifetime({ preferred: 10, valid: 60 }, 100), 'expired');
    assert.deepEqual(remainingLifetime({ preferred: inf, valid: inf }, 100), { preferred: inf, valid: inf });
    assert.equal(remainingLifetime(undefined, 100), undefined);
  });

  test('addresses are re-added in the order the kernel lists them back: IPv4 as listed, IPv6 newest first', () => {
    const xs = [{ family: 4 as const, n: 1 }, { family: 6 as const, n: 2 }, { family: 4 as const, n: 3 }, { family: 6 as const, n: 4 }];
    assert.deepEqual(addOrder(xs).map((x) => x.n), [1, 3, 4, 2]);
  });
});

test('the link-attribute table covers every saved link field, each once', () => {
  const keys = LINK_ATTRIBUTES.flatMap((a) => [...a.keys]).sort();
  assert.deepEqual(keys, Object.keys(LINK_STATE_FIELDS).sort());
});
