import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { linkGet } from '../../src/netlink/link.js';
import { openRoute } from '../../src/netlink/open.js';
import { Sandbox, baseConfig, ipJson, linkIn, runcState, uniqueName } from './hook-kit.js';

let box = new Sandbox();
afterEach(() => {
  box.cleanup();
  box = new Sandbox();
});

interface JsonRoute {
  dst: string;
  gateway?: string;
  dev: string;
  scope?: string;
  prefsrc?: string;
  protocol?: string;
}

function dranetExample(host: string): Record<string, unknown> {
  return {
    [host]: {
      name: 'dranet0',
      networkConfig: {
        interface: {
          name: 'dranet0',
          addresses: ['169.254.169.14/24', '2001:db8::14/64'],
          mtu: 4321,
          hardwareAddr: '00:11:22:33:44:55',
          gsoMaxSize: 65536,
          groMaxSize: 65536,
          gsoIPv4MaxSize: 32768,
          groIPv4MaxSize: 16384,
        },
        routes: [
          { destination: '169.254.170.0/24', gateway: '169.254.169.1' },
          { destination: '169.254.169.1/32', scope: 253 },
          { destination: '2001:db8:1::/48', gateway: '2001:db8::1', source: '2001:db8::14' },
        ],
      },
    },
  };
}

describe('networkConfig is applied and reads back from the kernel', () => {
  test('addresses, MTU, MAC, GSO/GRO sizes (IPv4 ones too) and routes', () => {
    const [dev] = box.veth();
    const ctr = box.container();
    const bundle = box.bundle(baseConfig({ netDevices: dranetExample(dev) }));
    const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, bundle));
    assert.equal(r.status, 0, r.stderr);

    const link = ipJson<Array<Record<string, unknown>>>(ctr.netns, '-d', 'link', 'show', 'dranet0')[0]!;
    assert.equal(link.mtu, 4321);
    assert.equal(link.address, '00:11:22:33:44:55');
    assert.equal(link.gso_max_size, 65536);
    assert.equal(link.gro_max_size, 65536);
    // iproute2 6.1 cannot show the IPv4 sizes: read them with our own decoder.
    const sock = openRoute(`/run/netns/${ctr.netns}`);
    try {
      const l = sock.run(linkGet({ name: 'dranet0' }));
      assert.equal(l.gsoIPv4MaxSize, 32768, 'the IPv4 GSO size survives the IPv6 one set in the same message');
      assert.equal(l.groIPv4MaxSize, 16384);
    } finally {
      sock.close();
    }
    const addrs = (linkIn(ctr.netns, 'dranet0')?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
    assert.ok(addrs.includes('169.254.169.14/24'), addrs.join(','));
    assert.ok(addrs.includes('2001:db8::14/64'), addrs.join(','));

    const v4 = ipJson<JsonRoute[]>(ctr.netns, 'route', 'show', 'dev', 'dranet0');
    assert.ok(v4.some((x) => x.dst === '169.254.170.0/24' && x.gateway === '169.254.169.1'), JSON.stringify(v4));
    assert.ok(v4.some((x) => x.dst === '169.254.169.1' && x.scope === 'link' && x.gateway === undefined), JSON.stringify(v4));
    const v6 = ipJson<JsonRoute[]>(ctr.netns, '-6', 'route', 'show', 'dev', 'dranet0');
    assert.ok(v6.some((x) => x.dst === '2001:db8:1::/48' && x.gateway === '2001:db8::1' && x.prefsrc === '2001:db8::14'), JSON.stringify(v6));
  });

  test('txQueueLen (our extension) is set in the container and the host\'s comes home at poststop', () => {
    const [dev] = box.veth();
    const hostBefore = ipJson<Array<Record<string, unknown>>>(undefined, '-d', 'link', 'show', dev)[0]!;
    assert.notEqual(hostBefore.txqlen, 2345);
    const ctr = box.container();
    const id = uniqueName('c');
    const bundle = box.bundle(baseConfig({ netDevices: { [dev]: { name: 'txq0', networkConfig: { interface: { txQueueLen: 2345 } } } } }));
    const r = box.hook('createRuntime', runcState(id, ctr.pid, bundle));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(ipJson<Array<Record<string, unknown>>>(ctr.netns, '-d', 'link', 'show', 'txq0')[0]!.txqlen, 2345);
    const p = box.hook('poststop', { id, bundle, status: 'stopped' });
    assert.equal(p.status, 0, p.stderr);
    assert.equal(ipJson<Array<Record<string, unknown>>>(undefined, '-d', 'link', 'show', dev)[0]!.txqlen, hostBefore.txqlen, 'home with the host\'s queue length');
  });

  test('an unreachable gateway fails the route step and leaves the host exactly as before', () => {
    const [dev] = box.veth();
    const before = ipJson(undefined, '-d', 'addr', 'show', dev);
    const ctr = box.container();
    const cfg = dranetExample(dev);
    const nc = (cfg[dev] as { networkConfig: { routes: unknown[] } }).networkConfig;
    // 10.99.0.1 is on no subnet of the device: the kernel answers ENETUNREACH.
    nc.routes = [{ destination: '10.98.0.0/16', gateway: '10.99.0.1' }];
    const bundle = box.bundle(baseConfig({ netDevices: { [dev]: { name: 'dranet0', networkConfig: { ...nc, interface: { addresses: ['169.254.169.14/24', '10.97.0.2/24'], mtu: 4321, hardwareAddr: '02:11:22:33:44:56' } } } } }));
    const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, bundle));
    assert.equal(r.status, 4, r.stderr);
    assert.match(r.stderr, /add route/);
    assert.match(r.stderr, new RegExp(dev));
    const after = ipJson(undefined, '-d', 'addr', 'show', dev);
    const norm = (v: typeof before): unknown => v.map((l) => ({ ...l, addr_info: l.addr_info?.filter((a) => a.scope !== 'link') }));
    assert.deepEqual(norm(after), norm(before), 'host device back with its name, MTU, MAC and offload sizes');
    assert.deepEqual(ipJson(ctr.netns, 'link', 'show').map((l) => l.ifname), ['lo']);
  });
});
