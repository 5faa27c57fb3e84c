/**
 * viewHostDevices (src/apply/inspect.ts): a createRuntime reads just the devices it was asked
 * for from the host, and what it reads is what the whole view would say of them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PER_DEVICE_READS, viewHostDevices, viewNamespace } from '../../src/apply/inspect.js';
import { NL, RTNL, RTNL3 } from '../../src/netlink/constants.js';
import { routeAdd } from '../../src/netlink/route.js';
import { NetlinkSocket } from '../../src/netlink/socket.js';
import { E, FakeRtnlKernel } from './fake-rtnl-kernel.js';

const v4 = (a: number, b: number, c: number, d: number): Uint8Array => Uint8Array.of(a, b, c, d);

/** A host with `extra` bystander links besides eth1 (7) and eth2 (8), each with an address and a route. */
function busyHost(extra = 20): { kernel: FakeRtnlKernel; sock: NetlinkSocket; strict: NetlinkSocket } {
  const kernel = new FakeRtnlKernel({
    links: [
      { index: 1, name: 'lo', mtu: 65536, up: true },
      { index: 7, name: 'eth1', mac: '02:00:00:00:00:07', kind: 'veth', altnames: ['enp7s0'] },
      { index: 8, name: 'eth2', mac: '02:00:00:00:00:08', kind: 'veth' },
    ],
  });
  for (let i = 0; i < extra; i++) {
    const l = kernel.addLink({ index: 100 + i, name: `veth${i}`, kind: 'veth' });
    kernel.addAddr({ family: 4, bytes: v4(10, 1, i, 1), prefixLength: 24, index: l.index });
    kernel.addRoute({ family: 4, dst: v4(10, 2, i, 0), dstLength: 24, scope: RTNL.RT_SCOPE_LINK, oif: l.index, nexthopOifs: [] });
  }
  kernel.addAddr({ family: 4, bytes: v4(192, 0, 2, 7), prefixLength: 24, index: 7 });
  kernel.addAddr({ family: 4, bytes: v4(198, 51, 100, 8), prefixLength: 24, index: 8 });
  kernel.addRoute({ family: 4, dst: v4(0, 0, 0, 0), dstLength: 0, scope: RTNL.RT_SCOPE_UNIVERSE, oif: 7, gateway: v4(192, 0, 2, 1), nexthopOifs: [] });
  const sock = new NetlinkSocket(kernel);
  // A multipath route over both devices and a bystander.
  sock.run(routeAdd({ family: 4, dst: v4(203, 0, 113, 0), dstLength: 24, scope: 0, oif: 0, nexthops: [{ oif: 7, flags: RTNL3.RTNH_F_ONLINK, hops: 0, gateway: v4(192, 0, 2, 9) }, { oif: 8, flags: RTNL3.RTNH_F_ONLINK, hops: 0, gateway: v4(198, 51, 100, 9) }, { oif: 100, flags: RTNL3.RTNH_F_ONLINK, hops: 0, gateway: v4(10, 1, 0, 9) }] }, 'multipath'));
  return { kernel, sock, strict: new NetlinkSocket(kernel.inNetns('host', { strictCheck: true })) };
}

const dumpsSince = (k: FakeRtnlKernel, from: number, type: number): number => k.requests.slice(from).filter((r) => r.message.type === type && (r.message.flags & NL.NLM_F_DUMP) === NL.NLM_F_DUMP).length;
const uses = (index: number) => (r: { oif: number; nexthopOifs: number[] }): boolean => r.oif === index || r.nexthopOifs.includes(index);

test('the named devices only: no link dump, and addresses and routes filtered by the kernel to each device', () => {
  const { kernel, sock, strict } = busyHost();
  const whole = viewNamespace(sock, { addrs: true, routes: true });
  const from = kernel.requests.length;
  const view = viewHostDevices(sock, () => strict, ['eth1', 'eth2']);
  assert.equal(dumpsSince(kernel, from, RTNL.RTM_GETLINK), 0, 'links are read by name, not dumped');
  assert.deepEqual(view.links, whole.links.filter((l) => l.name === 'eth1' || l.name === 'eth2'));
  assert.deepEqual(view.addrs, whole.addrs.filter((a) => a.index === 7 || a.index === 8));
  const expected = whole.routes.filter((r) => uses(7)(r) || uses(8)(r));
  // Routes are not filtered after the kernel: exactly these came back (the bystanders' 20 did not).
  assert.deepEqual(view.routes, expected, 'the multipath route over both devices is listed once');
  assert.equal(expected.length, 2);
  assert.equal(kernel.requests.length - from, 2 /* gets */ + 2 * 2 /* an address and a route dump each */);
});

test('a name no link has is absent; so is an altname (devices are named by their name); other errors throw', () => {
  const { kernel, sock, strict } = busyHost(2);
  const view = viewHostDevices(sock, () => strict, ['nope', 'enp7s0', 'eth2', 'eth2']);
  assert.deepEqual(view.links.map((l) => l.name), ['eth2']);
  assert.deepEqual(view.addrs.map((a) => a.index), [8]);
  kernel.fail(E.EPERM, undefined, { type: RTNL.RTM_GETLINK, times: 1 });
  assert.throws(() => viewHostDevices(sock, () => strict, ['eth1']), (e: unknown) => (e as { code?: string }).code === 'EPERM');
});

test('a device gone between its get and its dumps is absent, as if the get had not found it', () => {
  const { kernel, sock, strict } = busyHost(2);
  kernel.fail(E.ENODEV, undefined, { type: RTNL.RTM_GETROUTE, times: 1 });
  const view = viewHostDevices(sock, () => strict, ['eth1', 'eth2']);
  assert.deepEqual(view.links.map((l) => l.name), ['eth2']);
  assert.deepEqual(view.addrs.map((a) => a.index), [8]);
});

test('a socket that does not check strictly gets whole dumps: the same devices and addresses, routes a superset', () => {
  const { sock } = busyHost(5);
  const view = viewHostDevices(sock, () => sock, ['eth1']);
  assert.deepEqual(view.links.map((l) => l.name), ['eth1']);
  assert.deepEqual(view.addrs.map((a) => a.index), [7]);
  assert.ok(view.routes.filter(uses(7)).length === 2 && view.routes.length > 2);
});

test(`past ${PER_DEVICE_READS} devices the whole view is read (one dump each instead of ${2 * PER_DEVICE_READS + 2} or more)`, () => {
  const { kernel, sock, strict } = busyHost(PER_DEVICE_READS + 1);
  const names = Array.from({ length: PER_DEVICE_READS + 1 }, (_, i) => `veth${i}`);
  const from = kernel.requests.length;
  const view = viewHostDevices(sock, () => strict, names);
  assert.equal(dumpsSince(kernel, from, RTNL.RTM_GETLINK), 1);
  assert.deepEqual(view, viewNamespace(sock, { addrs: true, routes: true }));
});

test('the fake kernel runs one dump at a time per socket, like the real one: a second dump in a batch is EBUSY', () => {
  const { strict } = busyHost(1);
  const [a, b] = strict.runBatch<unknown>([{ describe: 'a', message: { type: RTNL.RTM_GETADDR, flags: NL.NLM_F_DUMP, header: new Uint8Array(8), attrs: [] }, parse: () => 1 }, { describe: 'b', message: { type: RTNL.RTM_GETADDR, flags: NL.NLM_F_DUMP, header: new Uint8Array(8), attrs: [] }, parse: () => 2 }]);
  assert.equal(a!.ok, true);
  assert.ok(!b!.ok && b!.error.code === 'EBUSY');
});
