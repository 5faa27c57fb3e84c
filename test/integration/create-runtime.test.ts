import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import { Sandbox, baseConfig, crunState, ipJson, linkIn, runcState, sh, uniqueName } from './hook-kit.js';

let box: Sandbox;
beforeEach(() => {
  box = new Sandbox();
});
afterEach(() => box.cleanup());
after(() => box?.cleanup());

function addrsOf(netns: string | undefined, name: string): string[] {
  return (linkIn(netns, name)?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
}

function assertOneLineFailure(r: { status: number | null; stdout: string; stderr: string }, code: number, ...needles: string[]): void {
  assert.equal(r.status, code, `exit status; stderr: ${r.stderr}`);
  assert.equal(r.stdout, '', 'stdout stays quiet');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got: ${r.stderr}`);
  for (const n of needles) assert.ok(lines[0]!.includes(n), `stderr mentions ${n}: ${lines[0]}`);
}

describe('createRuntime moves and configures host interfaces', () => {
  test('map form: rename, runc state', () => {
    const [dev, peer] = box.veth();
    const ctr = box.container();
    const bundle = box.bundle(baseConfig({ netDevices: { [dev]: { name: 'ctr0' } } }));
    const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, bundle));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(linkIn(undefined, dev), undefined, 'gone from the host');
    const moved = linkIn(ctr.netns, 'ctr0');
    assert.ok(moved, 'present in the container under its new name');
    assert.ok(moved.flags.includes('UP'));
    assert.ok(linkIn(undefined, peer), 'peer stays on the host');
  });

  test('array form: address with dotted mask and MTU, crun state', () => {
    const [dev] = box.veth();
    const ctr = box.container();
    const bundle = box.bundle(baseConfig({ netDevices: [{ name: dev, properties: { name: 'eth1', address: '192.168.77.2', mask: '255.255.255.0', mtu: 1400 } }] }));
    const r = box.hook('createRuntime', crunState(uniqueName('c'), ctr.pid, bundle));
    assert.equal(r.status, 0, r.stderr);
    const link = linkIn(ctr.netns, 'eth1');
    assert.ok(link);
    assert.equal(link.mtu, 1400);
    assert.deepEqual(addrsOf(ctr.netns, 'eth1').filter((a) => !a.startsWith('fe80')), ['192.168.77.2/24']);
  });

  test('the proposal spelling linux.netdevices and an IPv6 address with prefix length', () => {
    const [dev] = box.veth();
    const ctr = box.container();
    const bundle = box.bundle(baseConfig({ netdevices: [{ name: dev, properties: { name: 'net6', address: '2001:db8::7', mask: '64' } }] }));
    const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, bundle));
    assert.equal(r.status, 0, r.stderr);
    assert.ok(addrsOf(ctr.netns, 'net6').includes('2001:db8::7/64'));
  });

  test('%d template in the container-side name', () => {
    const [a] = box.veth();
    const [b] = box.veth();
    const ctr = box.container();
    const bundle = box.bundle(baseConfig({ netDevices: { [a]: { name: 'eth%d' }, [b]: { name: 'eth%d' } } }));
    const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, bundle));
    assert.equal(r.status, 0, r.stderr);
    const names = ipJson(ctr.netns, 'link', 'show').map((l) => l.ifname).sort();
    assert.deepEqual(names, ['eth0', 'eth1', 'lo']);
  });

  test('permanent global addresses travel with the device; link-scope ones do not', () => {
    const [dev] = box.veth();
    sh('ip', 'addr', 'add', '10.201.0.5/24', 'dev', dev);
    sh('ip', 'addr', 'add', '10.202.0.5/24', 'dev', dev, 'scope', 'link');
    const ctr = box.container();
    const bundle = box.bundle(baseConfig({ netDevices: { [dev]: { name: 'keep0' } } }));
    const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, bundle));
    assert.equal(r.status, 0, r.stderr);
    const got = addrsOf(ctr.netns, 'keep0');
    assert.ok(got.includes('10.201.0.5/24'), `global address carried: ${got.join(',')}`);
    assert.ok(!got.includes('10.202.0.5/24'), 'link-scope address not carried');
  });

  test('configures in place a device the runtime already moved (runc >= 1.4 / crun >= 1.22)', () => {
    const [dev] = box.veth();
    const ctr = box.container();
    sh('ip', 'link', 'set', dev, 'netns', ctr.netns, 'name', 'native0');
    const bundle = box.bundle(baseConfig({ netDevices: [{ name: dev, properties: { name: 'native0', address: '10.203.0.2', mask: '24', mtu: 1300 } }] }));
    const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, bundle));
    assert.equal(r.status, 0, r.stderr);
    const link = linkIn(ctr.netns, 'native0');
    assert.ok(link);
    assert.equal(link.mtu, 1300);
    assert.ok(addrsOf(ctr.netns, 'native0').includes('10.203.0.2/24'));
  });
});

describe('createRuntime refuses bad requests and leaves the host as it was', () => {
  test('missing host device', () => {
    const ctr = box.container();
    const missing = uniqueName('nx');
    const bundle = box.bundle(baseConfig({ netDevices: { [missing]: { name: 'eth1' } } }));
    const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, bundle));
    assertOneLineFailure(r, 3, missing, 'does not exist');
  });

  test('name already taken in the container netns', () => {
    const [dev] = box.veth();
    const ctr = box.container();
    const [inside] = box.veth(ctr.netns);
    const before = linkIn(undefined, dev);
    const bundle = box.bundle(baseConfig({ netDevices: { [dev]: { name: inside } } }));
    const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, bundle));
    assertOneLineFailure(r, 3, dev, 'already used');
    assert.deepEqual(linkIn(undefined, dev), before, 'host device untouched');
  });

  test('a container sharing the host network namespace', () => {
    const [dev] = box.veth();
    const sleeper = sh('sh', '-c', 'sleep 600 >/dev/null 2>&1 & echo $!').trim();
    box.defer(() => sh('kill', sleeper));
    const bundle = box.bundle(baseConfig({ netDevices: { [dev]: {} } }));
    const r = box.hook('createRuntime', runcState(uniqueName('c'), Number(sleeper), bundle));
    assertOneLineFailure(r, 3, 'linux.namespaces', 'network namespace');
    assert.ok(linkIn(undefined, dev), 'device still on the host');
  });

  test('no network namespace in config.json', () => {
    const [dev] = box.veth();
    const ctr = box.container();
    const bundle = box.bundle({ linux: { netDevices: { [dev]: {} } } });
    const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, bundle));
    assertOneLineFailure(r, 3, 'linux.namespaces');
  });

  test('invalid config names the field and the device, touches nothing', () => {
    const [dev] = box.veth();
    const ctr = box.container();
    const bundle = box.bundle(baseConfig({ netDevices: [{ name: dev, properties: { address: '10.0.0.1', mask: '255.0.255.0' } }] }));
    const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, bundle));
    assertOneLineFailure(r, 3, 'linux.netDevices[0].properties.mask', dev, 'contiguous');
    assert.ok(linkIn(undefined, dev));
  });

  test('a step the kernel refuses rolls everything back (macvlan MTU above its lower device)', () => {
    const [lower] = box.veth();
    const mv = uniqueName('mv');
    sh('ip', 'link', 'add', 'link', lower, 'name', mv, 'type', 'macvlan', 'mode', 'bridge');
    box.defer(() => sh('ip', 'link', 'del', mv));
    sh('ip', 'addr', 'add', '10.204.0.9/24', 'dev', mv);
    sh('ip', 'link', 'set', mv, 'up');
    const before = ipJson(undefined, 'addr', 'show', mv);
    const ctr = box.container();
    const bundle = box.bundle(baseConfig({ netDevices: [{ name: mv, properties: { name: 'eth1', address: '10.205.0.2', mask: '24', mtu: 9000 } }] }));
    const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, bundle));
    assertOneLineFailure(r, 4, mv, 'set MTU', 'EINVAL');
    const afterLink = ipJson(undefined, 'addr', 'show', mv);
    const strip = (l: typeof before): unknown => l.map((x) => ({ ...x, addr_info: x.addr_info?.filter((a) => a.scope !== 'link') }));
    assert.deepEqual(strip(afterLink), strip(before), 'back on the host as it was');
    assert.deepEqual(ipJson(ctr.netns, 'link', 'show').map((l) => l.ifname), ['lo'], 'nothing left in the container');
  });

  test('a config without devices is a no-op: no log opened, no state written, for both stages', () => {
    const ctr = box.container();
    const bundle = box.bundle(baseConfig({ netDevices: [] }));
    const log = join(bundle, 'logs', 'hook.log');
    const id = uniqueName('c');
    for (const stage of ['createRuntime', 'poststop']) {
      const r = box.hook(stage, runcState(id, ctr.pid, bundle), { args: ['--log-file', log] });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, '');
      assert.equal(r.stdout, '');
    }
    assert.equal(existsSync(log), false, 'the logger is not even opened');
    assert.equal(existsSync(join(box.stateDir, 'containers', id)), false);
    assert.equal(existsSync(join(box.stateDir, 'status', `${id}.json`)), false);
  });

  test('malformed state on stdin', () => {
    const r = box.hook('createRuntime', { id: '../etc', bundle: '/tmp', pid: 1 });
    assertOneLineFailure(r, 2, 'id');
  });
});
