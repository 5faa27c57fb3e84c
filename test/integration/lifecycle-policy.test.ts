import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { Sandbox, baseConfig, ipJson, runcState, sh, uniqueName } from './hook-kit.js';
import { stateLeft } from './lifecycle-kit.js';

let box = new Sandbox();
afterEach(() => {
  box.cleanup();
  box = new Sandbox();
});

describe('host safety policy (the hook runs in a throwaway netns that plays the host)', () => {
  const cases: Array<[string, (ns: string, dev: string) => void, RegExp, string]> = [
    ['IPv4 default route', (ns, dev) => {
      sh('ip', '-n', ns, 'addr', 'add', '10.199.0.2/24', 'dev', dev);
      sh('ip', '-n', ns, 'link', 'set', dev, 'up');
      sh('ip', '-n', ns, 'route', 'add', 'default', 'via', '10.199.0.1');
    }, /carries the host's default route/, 'allowDefaultRouteDevices'],
    ['IPv6 default route', (ns, dev) => {
      sh('ip', '-n', ns, 'addr', 'add', 'fd00:199::2/64', 'dev', dev, 'nodad');
      sh('ip', '-n', ns, 'link', 'set', dev, 'up');
      sh('ip', '-n', ns, '-6', 'route', 'add', 'default', 'via', 'fd00:199::1', 'dev', dev);
    }, /carries the host's default route/, 'allowDefaultRouteDevices'],
    ['multipath default route (one next hop via the device)', (ns, dev) => {
      // The other next hop is a veth of our own inside the throwaway netns (it dies with it).
      sh('ip', '-n', ns, 'link', 'add', 'mp0', 'type', 'veth', 'peer', 'name', 'mp1');
      sh('ip', '-n', ns, 'addr', 'add', '10.198.0.2/24', 'dev', 'mp0');
      sh('ip', '-n', ns, 'addr', 'add', '10.199.0.2/24', 'dev', dev);
      for (const l of ['mp0', 'mp1', dev]) sh('ip', '-n', ns, 'link', 'set', l, 'up');
      sh('ip', '-n', ns, 'route', 'add', 'default', 'nexthop', 'via', '10.198.0.1', 'dev', 'mp0', 'nexthop', 'via', '10.199.0.1', 'dev', dev);
    }, /carries the host's default route/, 'allowDefaultRouteDevices'],
    ['default route through a nexthop group, nexthop_compat_mode=0 (the route names only nhid)', (ns, dev) => {
      sh('ip', '-n', ns, 'link', 'add', 'nh0', 'type', 'veth', 'peer', 'name', 'nh1');
      sh('ip', '-n', ns, 'addr', 'add', '10.197.0.2/24', 'dev', 'nh0');
      sh('ip', '-n', ns, 'addr', 'add', '10.199.0.2/24', 'dev', dev);
      // A nexthop needs carrier: every link of this throwaway netns up, the device's veth peer included.
      for (const l of ipJson(ns, 'link', 'show')) sh('ip', '-n', ns, 'link', 'set', l.ifname, 'up');
      sh('ip', 'netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv4.nexthop_compat_mode=0');
      sh('ip', '-n', ns, 'nexthop', 'add', 'id', '10', 'via', '10.197.0.1', 'dev', 'nh0');
      sh('ip', '-n', ns, 'nexthop', 'add', 'id', '11', 'via', '10.199.0.1', 'dev', dev);
      sh('ip', '-n', ns, 'nexthop', 'add', 'id', '12', 'group', '10/11');
      sh('ip', '-n', ns, 'route', 'add', 'default', 'nhid', '12');
    }, /carries the host's default route/, 'allowDefaultRouteDevices'],
    ['bridge port', (ns, dev) => {
      sh('ip', '-n', ns, 'link', 'add', 'br0', 'type', 'bridge');
      sh('ip', '-n', ns, 'link', 'set', dev, 'master', 'br0');
    }, /is a port of a bridge \(master ifindex \d+\)/, 'allowBridgePorts'],
  ];
  for (const [name, setup, re, allowKey] of cases) {
    test(`${name}: refused (PolicyError naming device and rule), then allowed by a policy file`, () => {
      const hostNs = box.netns();
      const [dev] = box.veth(hostNs);
      setup(hostNs, dev);
      const ctr = box.container();
      const bundle = box.bundle(baseConfig({ netDevices: { [dev]: { name: 'eth1' } } }));
      const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, bundle), { inNetns: hostNs });
      assert.equal(r.status, 6, r.stderr);
      assert.match(r.stderr, new RegExp(`device "${dev}"\\): refused by policy \\(built-in defaults\\): `));
      assert.match(r.stderr, re);
      assert.match(r.stderr, new RegExp(`list it in ${allowKey}`));
      assert.ok(ipJson(hostNs, 'link', 'show').some((l) => l.ifname === dev), 'still on the host');
      assert.deepEqual(stateLeft(box.stateDir), []);
      const policy = join(bundle, 'policy.json');
      writeFileSync(policy, JSON.stringify({ [allowKey]: [`${dev.slice(0, 2)}[!.:][a-z0-9]*`] }));
      const ok = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, bundle), { inNetns: hostNs, args: ['--policy', policy, '--teardown', 'kernel'] });
      assert.equal(ok.status, 0, ok.stderr);
      assert.ok(ipJson(ctr.netns, 'link', 'show').some((l) => l.ifname === 'eth1'));
    });
  }

  test('lo is refused, even by a policy that allows every device', () => {
    const hostNs = box.netns();
    const ctr = box.container();
    const bundle = box.bundle(baseConfig({ netDevices: { lo: { name: 'lo2' } } }));
    const policy = join(bundle, 'policy.json');
    writeFileSync(policy, JSON.stringify({ allowDevices: ['*'], allowDefaultRouteDevices: ['*'], allowBridgePorts: ['*'] }));
    for (const args of [[], ['--policy', policy]]) {
      const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, bundle), { inNetns: hostNs, args });
      assert.equal(r.status, 6, r.stderr);
      assert.match(r.stderr, /device "lo"\): refused by policy .*"lo" is the host's loopback device/);
    }
  });

  test('allowDevices restricts what may be given at all (globs with classes); a bad policy file is a clear error', () => {
    const ctr = box.container();
    const [dev] = box.veth();
    const bundle = box.bundle(baseConfig({ netDevices: { [dev]: { name: 'eth1' } } }));
    const policy = join(bundle, 'policy.json');
    writeFileSync(policy, JSON.stringify({ allowDevices: ['eth[1-9]', 'nomatch*'] }));
    const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, bundle), { args: ['--policy', policy] });
    assert.equal(r.status, 6, r.stderr);
    assert.match(r.stderr, new RegExp(`"${dev}" matches none of allowDevices \\["eth\\[1-9\\]","nomatch\\*"\\]`));
    // The env names the policy file too.
    writeFileSync(policy, JSON.stringify({ allowDevices: [`${dev.slice(0, 2)}?*`] }));
    const ok = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, bundle), { env: { OCI_NETDEVICES_POLICY: policy }, args: ['--teardown', 'kernel'] });
    assert.equal(ok.status, 0, ok.stderr);
    writeFileSync(policy, JSON.stringify({ allowDevices: 'everything' }));
    const bad = box.hook('createRuntime', runcState(uniqueName('c'), box.container().pid, bundle), { args: ['--policy', policy] });
    assert.equal(bad.status, 6, bad.stderr);
    assert.match(bad.stderr, /policy file .* is invalid: \/allowDevices must be array/);
  });
});
