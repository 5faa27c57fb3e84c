/**
 * Issue 11: devices are known by identity, not by name. Each test here is one
 * way acting by name went wrong: a stale claim, a new device under an old
 * name at teardown, `%d` templates against a fixed name, a name the kernel
 * refuses after the move, a host name taken at teardown, a pod's containers
 * sharing a sandbox's netns, a broken record in the state directory.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { type JsonLink, Sandbox, baseConfig, ipJson, linkIn, runcState, sh, uniqueName } from './hook-kit.js';
import { cli, snapshot, stateLeft, stopContainer } from './lifecycle-kit.js';

let box = new Sandbox();
afterEach(() => {
  box.cleanup();
  box = new Sandbox();
});

const stopped = (id: string, bundle: string): Record<string, unknown> => ({ ociVersion: '1.0.2', id, status: 'stopped', bundle });
const names = (netns: string): string[] => ipJson(netns, 'link', 'show').map((l) => l.ifname);
const oneDevice = (dev: string, name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => baseConfig({ netDevices: { [dev]: { name, ...extra } } });

/** A veth on the host named `name` (its peer gets a unique name), removed at cleanup. */
function vethNamed(name: string): string {
  const peer = uniqueName('vp');
  sh('ip', 'link', 'add', name, 'type', 'veth', 'peer', 'name', peer);
  box.defer(() => {
    sh('ip', 'link', 'del', peer);
  });
  return peer;
}

describe('claims by identity', () => {
  test('a stale claim (its device destroyed, a new device took the name) is released; the new device is free', () => {
    const [dev] = box.veth();
    sh('ip', 'addr', 'add', '10.141.0.1/24', 'dev', dev);
    const a = box.container();
    const idA = uniqueName('c');
    assert.equal(box.hook('createRuntime', runcState(idA, a.pid, box.bundle(oneDevice(dev, 'eth1')))).status, 0);
    // A's device is destroyed (its poststop never comes); a new, different device takes the host name.
    sh('ip', '-n', a.netns, 'link', 'del', 'eth1');
    vethNamed(dev);
    const fresh = linkIn(undefined, dev)!;

    const b = box.container();
    const idB = uniqueName('c');
    const r = box.hook('createRuntime', runcState(idB, b.pid, box.bundle(oneDevice(dev, 'eth2'))), { args: ['--log-file', join(box.stateDir, 'hook.log')] });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(names(b.netns).includes('eth2'), 'the new device went to the new container');
    assert.match(sh('cat', join(box.stateDir, 'hook.log')), /released a stale claim/);

    // A's teardown later must not touch B's device (nor the name on the host): nothing of A's exists any more.
    stopContainer(a);
    const p = box.hook('poststop', stopped(idA, '/nonexistent'));
    assert.equal(p.status, 0, p.stderr);
    assert.ok(names(b.netns).includes('eth2'), 'B keeps its device');
    assert.equal(ipJson(b.netns, 'link', 'show').find((l) => l.ifname === 'eth2')!.address, fresh.address);
    assert.equal(linkIn(undefined, dev), undefined, 'nothing was pulled out of B');
  });

  test('a live claim still wins: exactly one container gets the device', () => {
    const [dev] = box.veth();
    const a = box.container();
    const idA = uniqueName('c');
    assert.equal(box.hook('createRuntime', runcState(idA, a.pid, box.bundle(oneDevice(dev, 'eth1')))).status, 0);
    // Another host device takes the name while A holds the first one: A's claim is live (its device is in A).
    vethNamed(dev);
    const b = box.container();
    const r = box.hook('createRuntime', runcState(uniqueName('c'), b.pid, box.bundle(oneDevice(dev, 'eth1'))));
    assert.equal(r.status, 5, r.stderr);
    assert.match(r.stderr, new RegExp(`device "${dev}" is claimed by container ${idA}`));
    assert.deepEqual(names(b.netns), ['lo']);
  });
});

describe('teardown by identity', () => {
  test('the container\'s device was destroyed and a new device took its host name: poststop leaves the new one alone', () => {
    const [dev] = box.veth();
    sh('ip', 'addr', 'add', '10.142.0.1/24', 'dev', dev);
    sh('ip', 'link', 'set', dev, 'up');
    sh('ip', 'route', 'add', '10.143.0.0/24', 'via', '10.142.0.254', 'dev', dev);
    const a = box.container();
    const id = uniqueName('c');
    const bundle = box.bundle(oneDevice(dev, 'eth1', { networkConfig: { interface: { mtu: 1300 } } }));
    assert.equal(box.hook('createRuntime', runcState(id, a.pid, bundle)).status, 0);
    sh('ip', '-n', a.netns, 'link', 'del', 'eth1');
    vethNamed(dev);
    const before = snapshot([dev]);
    stopContainer(a);
    const p = box.hook('poststop', stopped(id, bundle));
    assert.equal(p.status, 0, p.stderr);
    assert.deepEqual(snapshot([dev]), before, 'the new device got nothing of the old one (address, route, up, MTU)');
    assert.deepEqual(stateLeft(box.stateDir), []);
  });

  test('host name taken at teardown: the device comes home as ond<ifindex>, configured, and says so', () => {
    const [dev] = box.veth();
    sh('ip', 'addr', 'add', '10.144.0.1/24', 'dev', dev);
    sh('ip', 'link', 'set', dev, 'up');
    const hostIndex = linkIn(undefined, dev)!.ifindex;
    const a = box.container();
    const id = uniqueName('c');
    const bundle = box.bundle(oneDevice(dev, 'eth1'));
    assert.equal(box.hook('createRuntime', runcState(id, a.pid, bundle)).status, 0);
    vethNamed(dev);
    const squatter = snapshot([dev]);
    stopContainer(a);
    const p = box.hook('poststop', stopped(id, bundle));
    assert.equal(p.status, 0, p.stderr);
    const aside = `ond${hostIndex}`;
    assert.match(p.stderr, new RegExp(`${dev} came home as ${aside}: the name ${dev} is taken on the host`));
    box.defer(() => sh('ip', 'link', 'del', aside));
    const home = linkIn(undefined, aside);
    assert.ok(home, `${aside} on the host`);
    assert.ok(home.flags.includes('UP'));
    assert.ok(home.addr_info!.some((x) => x.local === '10.144.0.1' && x.prefixlen === 24), JSON.stringify(home.addr_info));
    assert.deepEqual(snapshot([dev]), squatter, 'the device that took the name is untouched');
    assert.deepEqual(stateLeft(box.stateDir), []);
  });
});

describe('names known before anything moves', () => {
  test('eth%d next to a fixed eth0: the template gets eth1, the fixed name eth0, in either order', () => {
    const [a] = box.veth();
    const [c] = box.veth();
    sh('ip', 'addr', 'add', '10.145.0.1/24', 'dev', c);
    const ctr = box.container();
    const id = uniqueName('c');
    const config = baseConfig({ netDevices: [{ name: a, properties: { name: 'eth%d' } }, { name: c, properties: { name: 'eth0', address: '10.146.0.2', mask: '24' } }] });
    const bundle = box.bundle(config);
    const r = box.hook('createRuntime', runcState(id, ctr.pid, bundle));
    assert.equal(r.status, 0, r.stderr);
    const links = ipJson(ctr.netns, 'addr', 'show');
    const eth0 = links.find((l) => l.ifname === 'eth0')!;
    assert.ok(eth0.addr_info!.some((x) => x.local === '10.146.0.2'), 'eth0 is C, with C\'s address');
    assert.ok(eth0.addr_info!.some((x) => x.local === '10.145.0.1'), 'C\'s own host address came with it');
    assert.ok(links.some((l) => l.ifname === 'eth1'), 'A got the next free number');
    assert.equal(box.hook('poststop', stopped(id, bundle)).status, 0);
    assert.ok(linkIn(undefined, a) && linkIn(undefined, c), 'both home under their own names');
    assert.ok(linkIn(undefined, c)!.addr_info!.some((x) => x.local === '10.145.0.1'));
    assert.equal(linkIn(undefined, a)!.addr_info?.some((x) => x.local === '10.145.0.1') ?? false, false);
  });

  test('a container name with the byte 0xA0 (the kernel\'s isspace) is refused before anything moves', () => {
    const [dev] = box.veth();
    const before = snapshot([dev]);
    const ctr = box.container();
    const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, box.bundle(oneDevice(dev, 'e\u00a0x'))));
    assert.equal(r.status, 3, r.stderr);
    assert.match(r.stderr, /0xa0/);
    assert.deepEqual(snapshot([dev]), before);
    assert.deepEqual(names(ctr.netns), ['lo']);
    const v = cli(box.stateDir, ['validate', join(box.bundle(oneDevice(dev, 'e\u00a0x')), 'config.json')]);
    assert.notEqual(v.status, 0, `validate agrees: ${v.stdout}${v.stderr}`);
  });
});

describe('one broken record never blocks a start', () => {
  test('corrupt records (torn JSON, wrong shape, a journal that cannot be cleaned up) are logged and skipped; the next container starts', () => {
    // A dead hook's journal whose pin is a directory (it can never be unmounted or removed as a file).
    const bogus = uniqueName('c');
    const dir = join(box.stateDir, 'containers', bogus);
    const pin = join(dir, 'pin-dir');
    mkdirSync(pin, { recursive: true });
    const original = { name: uniqueName('gh'), index: 99999, up: false, mtu: 1500, addresses: [], routes: [], features: {}, privateFlags: {} };
    writeFileSync(join(dir, 'journal.json'), JSON.stringify({ version: 1, id: bogus, teardown: 'restore', netnsPin: pin, hookPid: 1, hookStart: '0', devices: [{ hostName: original.name, containerName: 'eth1', original }] }));
    // A journal that is not JSON at all (a torn write).
    const garbage = uniqueName('c');
    mkdirSync(join(box.stateDir, 'containers', garbage), { recursive: true });
    writeFileSync(join(box.stateDir, 'containers', garbage, 'journal.json'), '{"version": 1, "id": ');
    // JSON of the wrong shape (devices is not a list).
    const shape = uniqueName('c');
    mkdirSync(join(box.stateDir, 'containers', shape), { recursive: true });
    writeFileSync(join(box.stateDir, 'containers', shape, 'journal.json'), JSON.stringify({ version: 1, id: shape, teardown: 'restore', hookPid: 1, hookStart: '0', devices: 'eth1' }));
    // A finished hook's leftover journal next to a corrupt devices.json.
    const torn = uniqueName('c');
    mkdirSync(join(box.stateDir, 'containers', torn), { recursive: true });
    writeFileSync(join(box.stateDir, 'containers', torn, 'journal.json'), JSON.stringify({ version: 1, id: torn, teardown: 'restore', hookPid: 1, hookStart: '0', devices: [] }));
    writeFileSync(join(box.stateDir, 'containers', torn, 'devices.json'), '\u0000\u0000garbage');

    const [dev] = box.veth();
    const ctr = box.container();
    const log = join(box.stateDir, 'hook.log');
    const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, box.bundle(oneDevice(dev, 'eth1'))), { args: ['--log-file', log] });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(names(ctr.netns).includes('eth1'));
    const text = sh('cat', log);
    for (const broken of [bogus, garbage, shape, torn]) {
      assert.ok(text.split('\n').some((l) => l.includes('could not recover an abandoned container; skipped') && l.includes(`"recovered":"${broken}"`)), `${broken} logged and skipped: ${text}`);
    }
    assert.ok(readdirSync(join(box.stateDir, 'containers')).includes(bogus), 'the broken record is kept for a human');
  });
});

/** Another process of a pod: joins the netns `netns` (as an app container joins its sandbox's). */
function joinNetns(netns: string): number {
  const child = spawn('ip', ['netns', 'exec', netns, 'sleep', '600'], { stdio: 'ignore', detached: true });
  box.defer(() => child.kill('SIGKILL'));
  const pid = child.pid!;
  for (let i = 0; i < 200 && !existsSync(`/proc/${pid}/exe`); i++) spawnSync('sleep', ['0.01']);
  for (let i = 0; i < 200; i++) {
    try {
      if (readlinkSync(`/proc/${pid}/exe`).includes('sleep')) break;
    } catch {
      /* not yet */
    }
    spawnSync('sleep', ['0.01']);
  }
  return pid;
}

describe('pods: the sandbox moves the devices, its app containers share them', () => {
  /** What containerd's CRI writes into every container of a pod: the pod's annotations, plus the sandbox id. */
  const podConfig = (dev: string, sandbox: string | undefined, type: 'sandbox' | 'container'): Record<string, unknown> => ({
    ...baseConfig({}),
    annotations: {
      'netdevices.nri.containerd.io': `- name: ${dev}\n  new_name: net1\n  address: 10.147.0.2\n  prefix: 24\n`,
      ...(sandbox !== undefined ? { 'io.kubernetes.cri.sandbox-id': sandbox, 'io.kubernetes.cri.container-type': type } : {}),
    },
  });

  for (const how of ['by io.kubernetes.cri.sandbox-id', 'by the same netns inode alone'] as const) {
    test(`a fake pod (${how}): two app containers start without moving anything; only the sandbox's teardown brings the device home`, () => {
      const [dev] = box.veth();
      sh('ip', 'addr', 'add', '10.148.0.1/24', 'dev', dev);
      sh('ip', 'link', 'set', dev, 'up');
      const before = snapshot([dev]);
      const sandbox = box.container();
      const sid = uniqueName('s');
      const tag = how.includes('sandbox-id') ? sid : undefined;
      const sb = box.bundle(podConfig(dev, tag, 'sandbox'));
      assert.equal(box.hook('createRuntime', runcState(sid, sandbox.pid, sb)).status, 0);
      const net1 = (): JsonLink | undefined => linkIn(sandbox.netns, 'net1');
      const moved = net1();
      assert.ok(moved?.addr_info?.some((a) => a.local === '10.147.0.2'), 'the sandbox got the device');

      const apps = [uniqueName('a'), uniqueName('a')];
      const appBundle = box.bundle(podConfig(dev, tag, 'container'));
      const log = join(box.stateDir, 'hook.log');
      for (const app of apps) {
        const r = box.hook('createRuntime', runcState(app, joinNetns(sandbox.netns), appBundle), { args: ['--log-file', log] });
        assert.equal(r.status, 0, `app container ${app}: ${r.stderr}`);
        assert.deepEqual(net1(), moved, 'the device is untouched: same ifindex, addresses, state');
      }
      const seen = sh('cat', log).split('\n').filter((l) => l.includes('device already in this network namespace'));
      assert.equal(seen.length, 2, 'each app container saw the device and moved nothing');
      for (const l of seen) assert.ok(l.includes(`"movedBy":"${sid}"`) && l.includes(`"sandbox":${tag !== undefined}`), l);
      assert.deepEqual(names(sandbox.netns), ['lo', 'net1']);

      for (const app of apps) {
        const p = box.hook('poststop', stopped(app, appBundle));
        assert.equal(p.status, 0, p.stderr);
        assert.deepEqual(net1(), moved, `${app}'s teardown leaves the device to the sandbox`);
        assert.equal(linkIn(undefined, dev), undefined);
      }
      stopContainer(sandbox);
      const p = box.hook('poststop', stopped(sid, sb));
      assert.equal(p.status, 0, p.stderr);
      assert.deepEqual(snapshot([dev]), before, 'the sandbox\'s teardown brings it home as it was');
      assert.deepEqual(stateLeft(box.stateDir), []);
      assert.deepEqual(readdirSync(join(box.stateDir, 'status')), [], 'no status left for any of the three');
    });
  }

  test('an app container of the pod that is not in the sandbox\'s netns is refused, naming the sandbox', () => {
    const [dev] = box.veth();
    const sandbox = box.container();
    const sid = uniqueName('s');
    assert.equal(box.hook('createRuntime', runcState(sid, sandbox.pid, box.bundle(podConfig(dev, sid, 'sandbox')))).status, 0);
    const elsewhere = box.container();
    const r = box.hook('createRuntime', runcState(uniqueName('a'), elsewhere.pid, box.bundle(podConfig(dev, sid, 'container'))));
    assert.equal(r.status, 5, r.stderr);
    assert.match(r.stderr, new RegExp(`claimed by container ${sid} \\(this pod's sandbox, but the device is not in this container's network namespace\\)`));
    assert.deepEqual(names(elsewhere.netns), ['lo']);
    assert.ok(linkIn(sandbox.netns, 'net1'), 'the sandbox keeps it');
  });
});
