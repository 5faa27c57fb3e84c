import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { NamespaceView } from '../../src/apply/inspect.js';
import type { DeviceSpec } from '../../src/config/model.js';
import type { Link } from '../../src/netlink/link.js';
import type { Route } from '../../src/netlink/route.js';
import { checkPolicy, defaultRouteDevices, type Policy } from '../../src/policy/policy.js';
import { GlobError, globMatch, parseGlob } from '../../src/policy/glob.js';

const IFF_UP = 1;
const IFF_LOOPBACK = 8;

function link(index: number, name: string, extra: Partial<Link> = {}): Link {
  return { index, name, flags: IFF_UP, up: true, mtu: 1500, ...extra } as Link;
}

function route(oif: number, family: 4 | 6, extra: Partial<Route> = {}): Route {
  return { family, dst: new Uint8Array(family === 4 ? 4 : 16), dstLength: 0, scope: 0, oif, table: 254, protocol: 3, type: 1, nexthopOifs: [], ...extra };
}

const spec = (hostName: string): DeviceSpec => ({ hostName, path: `linux.netDevices[${JSON.stringify(hostName)}]` }) as DeviceSpec;

const host: NamespaceView = {
  links: [
    link(1, 'lo', { flags: IFF_UP | IFF_LOOPBACK }),
    link(2, 'uplink4'),
    link(3, 'uplink6'),
    link(4, 'port1', { master: 9, slaveKind: 'bridge' }),
    link(5, 'free1'),
    link(6, 'peer-table'),
    link(7, 'unreach'),
    link(9, 'br0'),
  ],
  addrs: [],
  routes: [
    route(2, 4, { gateway: Uint8Array.of(10, 0, 0, 1) }),
    route(3, 6),
    route(6, 4, { table: 100 }),
    route(5, 4, { dstLength: 24 }),
    route(7, 4, { table: 255 }),
  ],
  nexthops: [],
};

const rules = (p: Policy, names: string[]): string[] => checkPolicy(p, names.map(spec), host).map((i) => `${i.device}: ${i.message}`);
const builtIn: Policy = { source: 'built-in defaults' };

test('built-in policy: lo, default-route devices (v4, v6, any table but local) and bridge ports are refused', () => {
  const out = rules(builtIn, ['lo', 'uplink4', 'uplink6', 'port1', 'free1', 'peer-table', 'unreach']);
  assert.equal(out.length, 5, out.join('\n'));
  assert.match(out[0]!, /^lo: refused by policy \(built-in defaults\): "lo" is the host's loopback device/);
  assert.match(out[1]!, /^uplink4: .*carries the host's default route; list it in allowDefaultRouteDevices/);
  assert.match(out[2]!, /^uplink6: .*carries the host's default route/);
  assert.match(out[3]!, /^port1: .*is a port of a bridge \(master ifindex 9\); list it in allowBridgePorts/);
  assert.match(out[4]!, /^peer-table: .*default route/);
  assert.deepEqual([...defaultRouteDevices(host)].sort(), [2, 3, 6]);
});

test('a multipath default route (RTA_MULTIPATH) marks every next hop device', () => {
  const mp: NamespaceView = { ...host, routes: [route(0, 4, { nexthopOifs: [5, 7] })] };
  assert.deepEqual([...defaultRouteDevices(mp)].sort(), [5, 7]);
  const out = checkPolicy(builtIn, ['free1', 'unreach', 'uplink4'].map(spec), mp).map((i) => i.device);
  assert.deepEqual(out, ['free1', 'unreach']);
});

test('a default route through a nexthop object (nexthop_compat_mode=0: only RTA_NH_ID) marks the devices of its group', () => {
  const nh: NamespaceView = {
    ...host,
    routes: [route(0, 4, { nhId: 12 }), route(0, 6, { nhId: 20 })],
    nexthops: [{ id: 10, oif: 5, group: [] }, { id: 11, oif: 7, group: [] }, { id: 12, oif: 0, group: [10, 11] }, { id: 20, oif: 3, group: [] }, { id: 30, oif: 2, group: [] }],
  };
  assert.deepEqual([...defaultRouteDevices(nh)].sort(), [3, 5, 7]);
});

test('allow-lists permit what the built-in rules refuse, except lo', () => {
  const p: Policy = { source: '/p.json', allowDefaultRouteDevices: ['uplink[46]', 'peer-*'], allowBridgePorts: ['port?'] };
  assert.deepEqual(rules(p, ['uplink4', 'uplink6', 'port1', 'peer-table']), []);
  assert.equal(rules({ ...p, allowDevices: ['*'] }, ['lo']).length, 1);
});

test('allowDevices restricts which host devices may be given at all, even missing ones', () => {
  const p: Policy = { source: '/p.json', allowDevices: ['free[0-9]', 'eth[1-9]'] };
  assert.deepEqual(rules(p, ['free1', 'eth3']), []);
  const out = rules(p, ['free10', 'eth0', 'ghost']);
  assert.equal(out.length, 3);
  assert.match(out[0]!, /free10: refused by policy \(\/p\.json\): "free10" matches none of allowDevices \["free\[0-9\]","eth\[1-9\]"\]/);
});

test('globs: *, ?, classes, ranges, negation, quoting', () => {
  const cases: Array<[string, string, boolean]> = [
    ['veth*', 'veth0', true], ['veth*', 'veth', true], ['veth*', 'xveth', false],
    ['eth[1-9]', 'eth1', true], ['eth[1-9]', 'eth0', false], ['eth[1-9]', 'eth10', false],
    ['eth[!0]', 'eth5', true], ['eth[^0]', 'eth0', false], ['[]x]y', ']y', true], ['a?c', 'abc', true], ['a?c', 'ac', false],
    ['a\\*', 'a*', true], ['a\\*', 'ab', false], ['*.*', 'a.b', true], ['*.*', 'ab', false], ['a.c', 'abc', false], ['(x)', '(x)', true],
  ];
  for (const [g, name, want] of cases) assert.equal(globMatch(g, name), want, `${g} ~ ${name}`);
  for (const bad of ['eth[1-', 'eth[', 'x\\', 'a[9-1]']) assert.throws(() => parseGlob(bad), GlobError, bad);
});

test('property: globs without [ or \\ match like the equivalent anchored regex', () => {
  const glob = fc.stringMatching(/^[a-c*?.+()$^|{}-]{0,8}$/);
  const name = fc.stringMatching(/^[a-c.+()$^|{}-]{0,8}$/);
  fc.assert(fc.property(glob, name, (g, n) => {
    const re = new RegExp(`^${[...g].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\-]/g, '\\$&'))).join('')}$`, 's');
    assert.equal(globMatch(g, n), re.test(n), `${g} ~ ${n}`);
  }), { numRuns: 3000 });
});
