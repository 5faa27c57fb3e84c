/**
 * The state directory is trusted only when it is ours and tight, and a container id with state
 * belongs to that state: a planted journal in a loosened directory makes every command refuse
 * (exit 2) and touch nothing; a second createRuntime with a live id is refused and the first
 * container's devices still come home at its poststop.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, afterEach, beforeEach, test } from 'node:test';
import { spawn, spawnSync } from 'node:child_process';
import { HOOK_BIN, Sandbox, baseConfig, ipJson, linkIn, runcState, uniqueName } from './hook-kit.js';

let box: Sandbox;
beforeEach(() => {
  box = new Sandbox();
});
afterEach(() => box.cleanup());

function oneLine(r: { stderr: string }): string {
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr: ${r.stderr}`);
  return lines[0]!;
}

/** A well-formed journal of a "dead" hook that, if believed, would unmount and delete `pin` and configure `dev`. */
function plantJournal(stateDir: string, id: string, dev: string, pin: string): string {
  const dir = join(stateDir, 'containers', id);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'journal.json');
  const dead = spawnSync('true').pid!;
  writeFileSync(file, JSON.stringify({
    version: 1, id, teardown: 'restore', hookPid: dead, hookStart: '1', netnsPin: pin,
    devices: [{
      hostName: dev, containerName: 'eth0',
      original: { name: dev, index: 1, up: true, mtu: 1500, mac: '02:00:00:00:00:01', addresses: [{ family: 4, bytes: 'CgAAAQ==', prefixLength: 24, text: '10.0.0.1/24', scope: 0, flags: 128 }], routes: [], features: {}, privateFlags: {} },
    }],
  }), { mode: 0o600 });
  return file;
}

/** A file of root's outside the state directory, and a planted journal of a "dead" hook whose pin is that file. */
function plantedVictim(t: TestContext, dev: string): { pin: string; id: string; journal: string } {
  const victims = mkdtempSync(join(tmpdir(), 'ond-victim-'));
  t.after(() => rmSync(victims, { recursive: true, force: true }));
  const pin = join(victims, 'important');
  writeFileSync(pin, 'root-owned data');
  const id = uniqueName('evil');
  return { pin, id, journal: plantJournal(box.stateDir, id, dev, pin) };
}

const snapshot = (dev: string): string => JSON.stringify(ipJson(undefined, '-d', 'addr', 'show', dev));

for (const loosen of ['the state directory', 'the containers directory', 'the journal file'] as const) {
  test(`a planted journal, ${loosen} group/other-writable: recover, createRuntime and poststop refuse (exit 2) and touch nothing`, (t) => {
    const [dev] = box.veth();
    const [other] = box.veth();
    const ctr = box.container();
    const state = box.stateDir;
    const { pin, id, journal } = plantedVictim(t, dev);
    chmodSync(loosen === 'the state directory' ? state : loosen === 'the containers directory' ? join(state, 'containers') : journal, loosen === 'the journal file' ? 0o666 : 0o777);
    const before = snapshot(dev);
    const otherBefore = snapshot(other);

    const recover = spawnSync(HOOK_BIN, ['--log-file', 'off', '--state-dir', state, 'recover', '--all'], { encoding: 'utf8' });
    assert.equal(recover.status, 2, `${recover.stdout}${recover.stderr}`);
    assert.match(`${recover.stdout}${recover.stderr}`, /writable by (its group|others).*refusing/);

    const bundle = box.bundle(baseConfig({ netDevices: { [other]: { name: 'ctr0' } } }));
    const create = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, bundle));
    assert.equal(create.status, 2, create.stderr);
    assert.match(oneLine(create), /^oci-netdevices: .*writable by (its group|others).*refusing/);

    const post = box.hook('poststop', { ociVersion: '1.0.2', id, status: 'stopped', bundle });
    assert.equal(post.status, 2, post.stderr);
    assert.match(oneLine(post), /refusing/);

    assert.equal(readFileSync(pin, 'utf8'), 'root-owned data', 'the pin target is untouched');
    assert.ok(existsSync(journal), 'the planted journal stays for an admin to see');
    assert.equal(snapshot(dev), before, 'the device is untouched');
    assert.equal(snapshot(other), otherBefore, 'nothing moved for the new container');
    assert.deepEqual(ipJson(ctr.netns, 'link', 'show').map((l) => l.ifname), ['lo']);
  });
}

test('a journal in a tight state directory whose pin points elsewhere is refused: nothing unmounted or deleted', (t) => {
  const [dev] = box.veth();
  const state = box.stateDir;
  const { pin, id, journal } = plantedVictim(t, dev);
  const before = snapshot(dev);
  const r = spawnSync(HOOK_BIN, ['--log-file', 'off', '--state-dir', state, 'recover', id], { encoding: 'utf8' });
  assert.equal(r.status, 2, `${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /its netns pin .* is not the container's own .*refusing to act on it/);
  assert.equal(readFileSync(pin, 'utf8'), 'root-owned data');
  assert.ok(existsSync(journal));
  assert.equal(snapshot(dev), before);
});

test('two createRuntime calls with one id: the second is refused (exit 2), the first keeps its state and its devices come home at poststop', () => {
  const [dev1] = box.veth();
  const [dev2] = box.veth();
  const ctr1 = box.container();
  const ctr2 = box.container();
  const id = uniqueName('same');
  const b1 = box.bundle(baseConfig({ netDevices: { [dev1]: { name: 'ctr0' } } }));
  const b2 = box.bundle(baseConfig({ netDevices: { [dev2]: { name: 'ctr0' } } }));
  const first = box.hook('createRuntime', runcState(id, ctr1.pid, b1));
  assert.equal(first.status, 0, first.stderr);
  const pin = join(box.stateDir, 'containers', id, 'netns');
  const pinIno = statSync(pin).ino;
  const status = readFileSync(join(box.stateDir, 'status', `${id}.json`), 'utf8');

  const second = box.hook('createRuntime', runcState(id, ctr2.pid, b2));
  assert.equal(second.status, 2, second.stderr);
  assert.match(oneLine(second), new RegExp(`^oci-netdevices: container id "${id}" already has state in .*: refusing to start a second one`));
  assert.ok(linkIn(undefined, dev2), 'the second container got nothing');
  assert.deepEqual(ipJson(ctr2.netns, 'link', 'show').map((l) => l.ifname), ['lo']);
  assert.equal(statSync(pin).ino, pinIno, "the first container's pin is still mounted");
  assert.equal(readFileSync(join(box.stateDir, 'status', `${id}.json`), 'utf8'), status, "the first container's status report stays");
  assert.ok(linkIn(ctr1.netns, 'ctr0'), 'the first container keeps its device');

  const post = box.hook('poststop', { ociVersion: '1.0.2', id, status: 'stopped', bundle: b1 });
  assert.equal(post.status, 0, post.stderr);
  assert.ok(linkIn(undefined, dev1), "the first container's device came home");
  assert.equal(existsSync(join(box.stateDir, 'containers', id)), false);
});

test('poststop and a device lock held by a stopped process: bounded wait, then exit 5 naming the holder; devices come home once it is gone', async () => {
  const [dev] = box.veth();
  const ctr = box.container();
  const id = uniqueName('lk');
  const bundle = box.bundle(baseConfig({ netDevices: { [dev]: { name: 'ctr0' } } }));
  const created = box.hook('createRuntime', runcState(id, ctr.pid, bundle));
  assert.equal(created.status, 0, created.stderr);
  const lockFile = join(box.stateDir, 'locks', `${dev}.lock`);
  // flock(1) takes the lock and becomes sleep holding it (--no-fork); then it is stopped, as by a debugger or SIGSTOP.
  const holder = spawn('flock', ['--exclusive', '--no-fork', lockFile, 'sleep', '600'], { stdio: 'ignore' });
  box.defer(() => {
    holder.kill('SIGCONT');
    holder.kill('SIGKILL');
  });
  for (let i = 0; i < 200 && !readFileSync('/proc/locks', 'utf8').includes(`:${statSync(lockFile).ino} `); i++) await new Promise((r) => setTimeout(r, 10));
  holder.kill('SIGSTOP');

  const t0 = Date.now();
  const post = box.hook('poststop', { ociVersion: '1.0.2', id, status: 'stopped', bundle }, { args: ['--timeout', '1'] });
  const took = Date.now() - t0;
  assert.equal(post.status, 5, post.stderr);
  assert.ok(took < 5000, `bounded: returned after ${took} ms`);
  assert.match(oneLine(post), new RegExp(`device "${dev}": its lock .* is held by pid ${holder.pid} \\(sleep, stopped\\), which names no container; waited 1 s for its lock`));
  assert.ok(linkIn(ctr.netns, 'ctr0'), 'nothing was done without the lock');

  holder.kill('SIGCONT');
  holder.kill('SIGKILL');
  await new Promise((r) => holder.once('exit', r));
  const again = box.hook('poststop', { ociVersion: '1.0.2', id, status: 'stopped', bundle });
  assert.equal(again.status, 0, again.stderr);
  assert.ok(linkIn(undefined, dev), 'the device came home');
});
