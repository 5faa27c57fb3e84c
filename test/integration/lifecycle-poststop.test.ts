import assert from 'node:assert/strict';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { Sandbox, baseConfig, ipJson, runcState, sh, uniqueName } from './hook-kit.js';
import { cli, snapshot, stateLeft, stopContainer, threeDevices } from './lifecycle-kit.js';

let box = new Sandbox();
afterEach(() => {
  box.cleanup();
  box = new Sandbox();
});

const stopped = (id: string, bundle: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ ociVersion: '1.0.2', id, status: 'stopped', bundle, ...extra });

describe('poststop (teardown=restore, the default)', () => {
  test('every device comes home with its host name, addresses, routes, MTU, MAC, offloads and features', () => {
    const { devs, config } = threeDevices(box, 20);
    const before = snapshot(devs);
    const ctr = box.container();
    const id = uniqueName('c');
    const bundle = box.bundle(config);
    const r = box.hook('createRuntime', runcState(id, ctr.pid, bundle));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(ipJson(ctr.netns, 'link', 'show').length, 4);
    const files = readdirSync(join(box.stateDir, 'containers', id)).sort();
    assert.deepEqual(files, ['devices.json', 'netns'], 'the journal is gone once the hook succeeded');
    assert.equal(statSync(box.stateDir).mode & 0o777, 0o700);
    assert.deepEqual(stateLeft(box.stateDir).filter((s) => !s.startsWith('mount')).sort(), [...devs.map((d) => `claims/${d}`), `containers/${id}`].sort());
    // The container's last process exits: only our pin keeps its netns alive.
    stopContainer(ctr);
    // runc sends no pid at poststop, crun "pid": 0; the cwd is not the bundle.
    const p = box.hook('poststop', stopped(id, bundle));
    assert.equal(p.status, 0, p.stderr);
    assert.deepEqual(snapshot(devs), before);
    assert.deepEqual(stateLeft(box.stateDir), []);
  });

  test('a second poststop, or one for a container that never asked for devices, is a quiet no-op', () => {
    const [dev] = box.veth();
    const ctr = box.container();
    const id = uniqueName('c');
    const bundle = box.bundle(baseConfig({ netDevices: { [dev]: { name: 'eth1' } } }));
    assert.equal(box.hook('createRuntime', runcState(id, ctr.pid, bundle)).status, 0);
    assert.equal(box.hook('poststop', stopped(id, bundle, { pid: 0 })).status, 0);
    const again = box.hook('poststop', stopped(id, bundle, { pid: 0 }));
    assert.equal(again.status, 0, again.stderr);
    assert.equal(again.stderr, '');
    const none = box.hook('poststop', stopped(uniqueName('c'), '/nonexistent'));
    assert.equal(none.status, 0, none.stderr);
    assert.equal(none.stderr, '');
    assert.ok(ipJson(undefined, 'link', 'show').some((l) => l.ifname === dev));
  });

  test('a failed createRuntime leaves no pin or state; the poststop runc still runs exits 0', () => {
    const [dev] = box.veth();
    const missing = uniqueName('nx');
    const ctr = box.container();
    const id = uniqueName('c');
    const bundle = box.bundle(baseConfig({ netDevices: { [dev]: { name: 'eth1', networkConfig: { interface: { mtu: 1400 } } }, [missing]: { name: 'eth2' } } }));
    const r = box.hook('createRuntime', runcState(id, ctr.pid, bundle));
    assert.equal(r.status, 3, r.stderr);
    assert.deepEqual(stateLeft(box.stateDir), [], 'crun runs no poststop after a failed createRuntime: nothing may stay');
    // A failure after the moves began (the kernel refusing the 2nd change, the MTU) is rolled back the same way.
    const bundle2 = box.bundle(baseConfig({ netDevices: { [dev]: { name: 'eth1', networkConfig: { interface: { mtu: 1400 } } } } }));
    const r2 = box.hook('createRuntime', runcState(id, ctr.pid, bundle2), { faults: [{ type: 'change', nth: 2, mode: 'refuse' }] });
    assert.equal(r2.status, 4, r2.stderr);
    assert.deepEqual(stateLeft(box.stateDir), []);
    const p = box.hook('poststop', stopped(id, bundle2));
    assert.equal(p.status, 0, p.stderr);
    assert.ok(ipJson(undefined, 'link', 'show').some((l) => l.ifname === dev), 'the device never left for good');
  });

  test('recover <id> brings home the devices of a running container on request', () => {
    const [dev] = box.veth();
    sh('ip', 'addr', 'add', '10.31.0.1/24', 'dev', dev);
    const before = snapshot([dev]);
    const ctr = box.container();
    const id = uniqueName('c');
    assert.equal(box.hook('createRuntime', runcState(id, ctr.pid, box.bundle(baseConfig({ netDevices: { [dev]: { name: 'eth1', networkConfig: { interface: { mtu: 1280 } } } } })))).status, 0);
    const plain = cli(box.stateDir, ['recover']);
    assert.equal(plain.status, 0);
    assert.equal(plain.stdout, 'nothing to recover\n', 'a set-up container is not touched without being named');
    const rec = cli(box.stateDir, ['recover', id]);
    assert.equal(rec.status, 0, rec.stderr);
    assert.equal(rec.stdout, `${id}: restored: ${dev}\n`);
    assert.deepEqual(snapshot([dev]), before);
    assert.deepEqual(stateLeft(box.stateDir), []);
    const bad = cli(box.stateDir, ['recover', '../etc']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /container id "..\/etc" is not valid/);
  });
});

describe('teardown=kernel keeps the spec-strict behaviour', () => {
  const modes: Array<[string, (box: Sandbox, bundle: string) => { args?: string[]; env?: Record<string, string> }]> = [
    ['--teardown kernel', () => ({ args: ['--teardown', 'kernel'] })],
    ['OCI_NETDEVICES_TEARDOWN=kernel', () => ({ env: { OCI_NETDEVICES_TEARDOWN: 'kernel' } })],
    ['"teardown": "kernel" in the policy file', (_b, bundle) => {
      const policy = join(bundle, 'policy.json');
      writeFileSync(policy, JSON.stringify({ teardown: 'kernel' }));
      return { args: ['--policy', policy] };
    }],
  ];
  for (const [name, how] of modes) {
    test(`${name}: no pin; the devices die with the netns; poststop only forgets`, async () => {
      const [dev, peer] = box.veth();
      const ctr = box.container();
      const id = uniqueName('c');
      const bundle = box.bundle(baseConfig({ netDevices: { [dev]: { name: 'eth1' } } }));
      const r = box.hook('createRuntime', runcState(id, ctr.pid, bundle), how(box, bundle));
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(readdirSync(join(box.stateDir, 'containers', id)), ['devices.json'], 'no pin');
      stopContainer(ctr);
      // The veth pair is destroyed asynchronously with the netns.
      for (let i = 0; i < 100 && ipJson(undefined, 'link', 'show').some((l) => l.ifname === peer); i++) await new Promise((res) => setTimeout(res, 20));
      assert.equal(ipJson(undefined, 'link', 'show').some((l) => l.ifname === peer || l.ifname === dev), false, 'the pair died with the netns');
      const p = box.hook('poststop', stopped(id, bundle, { pid: 0 }));
      assert.equal(p.status, 0, p.stderr);
      assert.deepEqual(stateLeft(box.stateDir), []);
    });
  }

  test('an unknown mode is a usage error', () => {
    const ctr = box.container();
    const [dev] = box.veth();
    const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, box.bundle(baseConfig({ netDevices: { [dev]: { name: 'eth1' } } }))), { args: ['--teardown', 'never'] });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--teardown must be "restore" or "kernel"/);
  });
});
