/**
 * The host view a createRuntime reads (viewHostDevices: a get per device, address and route dumps
 * the kernel filters by device on a strict-checking socket), on the running kernel, in a namespace
 * of our own that plays a busy host: for every device it must say exactly what the whole view says
 * of that device, or a snapshot would miss a route or an address the device had (and teardown would
 * not bring it back), or a policy would miss the host's default route.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type NamespaceView, viewHostDevices, viewNamespace } from '../../src/apply/inspect.js';
import { RTNL, RTNL2 } from '../../src/netlink/constants.js';
import { nexthopDevices } from '../../src/netlink/nexthop.js';
import { openRoute } from '../../src/netlink/open.js';
import type { Route } from '../../src/netlink/route.js';
import { cleanupAfter, createNetns } from '../support/netns.js';

/** What the whole view says of the devices `names`: their links, their addresses, the routes that use them. */
function restricted(whole: NamespaceView, names: readonly string[]): Omit<NamespaceView, 'nexthops'> {
  const links = whole.links.filter((l) => names.includes(l.name));
  const indexes = new Set(links.map((l) => l.index));
  const uses = (r: Route): boolean => [r.oif, ...r.nexthopOifs, ...(r.nhId !== undefined ? nexthopDevices(r.nhId, whole.nexthops) : [])].some((i) => indexes.has(i));
  return { links, addrs: whole.addrs.filter((a) => indexes.has(a.index)), routes: whole.routes.filter(uses) };
}

/**
 * As sets: the per-device reads list each device's entries in the kernel's order, device after
 * device; no reader depends on the order across devices (lookups by name and index, routes
 * restored until none is left: restore.ts).
 */
const canonical = (v: Omit<NamespaceView, 'nexthops'>): Record<string, string[]> => {
  const sorted = (xs: readonly unknown[]): string[] => xs.map((x) => JSON.stringify(x)).sort();
  return { links: sorted(v.links), addrs: sorted(v.addrs), routes: sorted(v.routes) };
};

describe('the host view of just the asked-for devices, on the real kernel', () => {
  test('equals the whole view restricted to them, device by device and together, on a host with bystanders', (t) => {
    const c = cleanupAfter(t);
    const ns = createNetns({ cleanup: c, prefix: 'hdv' });
    const batch = [
      'link add a0 type veth peer name a1',
      'link add b0 type veth peer name b1',
      'link add c0 type veth peer name c1',
      'link add br0 type bridge',
      'link set c1 master br0',
      ...['a0', 'a1', 'b0', 'b1', 'c0', 'c1', 'br0'].map((d) => `link set ${d} up`),
      'addr add 192.0.2.10/24 dev a0',
      'addr add 192.0.2.11/32 dev a0',
      'addr add 2001:db8:a::10/64 dev a0 nodad',
      'addr add 198.51.100.10/24 dev b0',
      'addr add 2001:db8:b::10/64 dev b0 nodad',
      'addr add 203.0.113.10/24 dev c0',
      'route add default via 192.0.2.1 dev a0',
      'route add default via 2001:db8:a::1 dev a0',
      'route add 10.10.0.0/16 via 198.51.100.1 dev b0 table 100',
      'route add 10.20.0.0/16 nexthop via 192.0.2.1 dev a0 nexthop via 198.51.100.1 dev b0',
      'route add 2001:db8:99::/64 nexthop via 2001:db8:a::1 dev a0 nexthop via 2001:db8:b::1 dev b0',
      'nexthop add id 7 via 203.0.113.1 dev c0',
      'route add 10.30.0.0/16 nhid 7',
      ...Array.from({ length: 40 }, (_, i) => `link add x${i} type veth peer name y${i}`),
      ...Array.from({ length: 40 }, (_, i) => `addr add 10.99.${i}.1/24 dev x${i}`),
      ...Array.from({ length: 40 }, (_, i) => `link set x${i} up`),
    ];
    ns.exec(['ip', '-batch', '-'], { input: batch.join('\n') + '\n' });
    const sock = openRoute(ns.path);
    const strict = openRoute(ns.path, { strictCheck: true });
    c.add('sockets', () => {
      sock.close();
      strict.close();
    });
    const whole = viewNamespace(sock, { addrs: true, routes: true });
    assert.ok(whole.links.length > 80);
    assert.equal(whole.nexthops.length, 1, 'a route names nexthop object 7');
    for (const names of [['a0'], ['b0'], ['c0'], ['br0'], ['a1'], ['a0', 'b0'], ['a0', 'b0', 'c0', 'nope'], ['lo']]) {
      const view = viewHostDevices(sock, () => strict, names);
      const expected = restricted(whole, names);
      assert.deepEqual(canonical(view), canonical(expected), `devices ${names.join(', ')}`);
      assert.equal(view.routes.length, expected.routes.length, 'no route listed twice');
      // Non-vacuous: the devices carrying routes really have them in the view.
      if (names.includes('a0')) {
        assert.ok(view.routes.some((r) => r.dstLength === 0 && r.family === 4 && r.table === RTNL.RT_TABLE_MAIN), 'a0 carries the IPv4 default route');
        assert.ok(view.routes.some((r) => r.family === 6 && r.nexthopOifs.length === 2), 'a0 is a hop of the IPv6 multipath route');
        assert.ok(view.routes.some((r) => r.table === RTNL2.RT_TABLE_LOCAL), "a0's local routes");
      }
      if (names.includes('c0')) assert.ok(view.routes.some((r) => r.nhId === 7) && view.nexthops.length === 1, 'c0 is used by the route through nexthop 7');
      if (names.includes('b0')) assert.ok(view.routes.some((r) => r.table === 100), "b0's route in table 100");
    }
    // The multipath routes over a0 and b0 are listed once when both are asked for.
    const both = viewHostDevices(sock, () => strict, ['a0', 'b0']);
    assert.equal(both.routes.filter((r) => r.nexthopOifs.length === 2).length, 2);
    // A non-strict socket ignores the filters: every route of the host would come back.
    assert.ok(viewHostDevices(sock, () => sock, ['b0']).routes.length > restricted(whole, ['b0']).routes.length);
  });
});
