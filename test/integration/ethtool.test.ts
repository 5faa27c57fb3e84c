import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { Sandbox, baseConfig, ipJson, runcState, sh, uniqueName } from './hook-kit.js';

let box = new Sandbox();
afterEach(() => {
  box.cleanup();
  box = new Sandbox();
});

/** `ethtool -k` as a map name -> {on, fixed}. */
function features(dev: string, netns?: string): Map<string, { on: boolean; fixed: boolean }> {
  const out = netns === undefined ? sh('ethtool', '-k', dev) : sh('ip', 'netns', 'exec', netns, 'ethtool', '-k', dev);
  const m = new Map<string, { on: boolean; fixed: boolean }>();
  for (const line of out.split('\n')) {
    const r = /^\s*([a-z0-9_-]+): (on|off)( \[fixed\])?/.exec(line);
    if (r !== null) m.set(r[1]!, { on: r[2] === 'on', fixed: r[3] !== undefined });
  }
  return m;
}

function hostSnapshot(dev: string): unknown {
  const link = ipJson<Array<Record<string, unknown>>>(undefined, '-d', 'link', 'show', dev);
  return { link, features: [...features(dev)] };
}

describe('ethtool features through netlink', () => {
  test('aliases and kernel names toggle the device, read back with ethtool -k', () => {
    const [dev] = box.veth();
    const before = features(dev);
    assert.equal(before.get('tcp-segmentation-offload')?.on, true);
    assert.equal(before.get('generic-receive-offload')?.on, false);
    const ctr = box.container();
    const bundle = box.bundle(baseConfig({ netDevices: { [dev]: { name: 'eth1', networkConfig: { ethtool: { features: { 'tcp-segmentation-offload': false, gro: true, 'rx-checksum': false } } } } } }));
    const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, bundle));
    assert.equal(r.status, 0, r.stderr);
    const after = features('eth1', ctr.netns);
    assert.equal(after.get('tcp-segmentation-offload')?.on, false);
    assert.equal(after.get('tx-tcp-segmentation')?.on, false);
    assert.equal(after.get('tx-tcp6-segmentation')?.on, false);
    assert.equal(after.get('generic-receive-offload')?.on, true);
    assert.equal(after.get('rx-checksumming')?.on, false);
  });

  const refusals: Array<[string, Record<string, unknown>, RegExp]> = [
    ['unknown feature lists the real names', { features: { 'no-such-offload': true } }, /unknown feature "no-such-offload".*tx-tcp-segmentation.*tcp-segmentation-offload/],
    ['fixed feature (lro on veth)', { features: { 'large-receive-offload': true } }, /features\["large-receive-offload"\].*"large-receive-offload" is fixed on the device \(rx-lro off \[fixed\]\); it cannot be turned on/],
    ['private flag on a device without any', { privateFlags: { 'some-flag': true } }, /privateFlags\["some-flag"\].*no private flags.*(EOPNOTSUPP|ENOTSUP)/],
  ];
  for (const [name, ethtool, re] of refusals) {
    test(`${name}: refused before anything moves, host unchanged`, () => {
      const [dev] = box.veth();
      sh('ip', 'addr', 'add', '10.210.0.1/24', 'dev', dev);
      const before = hostSnapshot(dev);
      const ctr = box.container();
      const bundle = box.bundle(baseConfig({ netDevices: { [dev]: { name: 'eth1', networkConfig: { interface: { mtu: 1300 }, ethtool: { ...ethtool, features: { gro: true, ...(ethtool.features as object | undefined) } } } } } }));
      const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, bundle));
      assert.equal(r.status, 3, r.stderr);
      assert.match(r.stderr, re);
      assert.match(r.stderr, new RegExp(`device "${dev}"`));
      assert.deepEqual(hostSnapshot(dev), before);
    });
  }

  test('a failure after the ethtool step restores the features before the device goes home', () => {
    const [dev] = box.veth();
    const before = hostSnapshot(dev);
    const ctr = box.container();
    const bundle = box.bundle(baseConfig({
      netDevices: { [dev]: { name: 'eth1', networkConfig: { interface: { addresses: ['10.211.0.2/24'] }, ethtool: { features: { tso: false, gro: true } }, routes: [{ destination: '10.212.0.0/16', gateway: '10.213.0.1' }] } } },
    }));
    // The gateway is on no subnet of the device: the route step, after ethtool, fails.
    const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, bundle));
    assert.equal(r.status, 4, r.stderr);
    assert.match(r.stderr, /add route/);
    assert.deepEqual(hostSnapshot(dev), before);
  });
});
