/**
 * The resident engine and its native front door (bin/oci-netdevices-hook): what only they can
 * get wrong. (The hook's own behaviour through them is tested by running a representative half of
 * the integration files in front-door mode: test/support/front-door.ts, tier integration-daemon.)
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { FRONT_DOOR_BIN, type RunningDaemon, startTestDaemon } from '../support/front-door.js';
import { HOOK_BIN, Sandbox, baseConfig, ipJson, linkIn, runcState, sh, uniqueName } from './hook-kit.js';
import { manyDevices, snapshot, stateLeft, waitForFile } from './lifecycle-kit.js';

let box = new Sandbox();
const daemons: RunningDaemon[] = [];
afterEach(async () => {
  for (const d of daemons.splice(0)) await d.stop();
  box.cleanup();
  box = new Sandbox();
});

function daemon(o: Parameters<typeof startTestDaemon>[0] = {}): RunningDaemon {
  const d = startTestDaemon(o);
  daemons.push(d);
  return d;
}

interface Done { code: number | null; signal: NodeJS.Signals | null; stderr: string }

/** The front door in the background, as a runtime starts it. */
function frontDoor(socket: string, stage: string, state: unknown, args: string[] = [], env: Record<string, string> = {}): { pid: number; done: Promise<Done>; kill(s: NodeJS.Signals): void } {
  const log = args.includes('--log-file') ? [] : ['--log-file', 'off'];
  const c = spawn(FRONT_DOOR_BIN, [...log, '--state-dir', box.stateDir, ...args, 'hook', stage], { stdio: ['pipe', 'ignore', 'pipe'], env: { ...process.env, OCI_NETDEVICES_DAEMON_SOCKET: socket, ...env } });
  let stderr = '';
  c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  c.stdin.end(typeof state === 'string' ? state : JSON.stringify(state));
  return { pid: c.pid!, done: new Promise((resolve) => c.on('exit', (code, signal) => resolve({ code, signal, stderr }))), kill: (s) => c.kill(s) };
}

function oneDeviceConfig(dev: string, name = 'ctr0'): Record<string, unknown> {
  return baseConfig({ netDevices: { [dev]: { name } } });
}

async function until(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('the daemon serves a createRuntime and a poststop through the front door; its socket is 0600 in a 0700 state directory', async () => {
  const state = box.stateDir;
  const d = daemon({ args: ['--state-dir', state], socket: join(state, 'daemon.sock') });
  const st = statSync(d.socket);
  assert.ok(st.isSocket());
  assert.equal(st.mode & 0o777, 0o600);
  assert.equal(statSync(state).mode & 0o777, 0o700);
  const [dev] = box.veth();
  const ctr = box.container();
  const id = uniqueName('c');
  const bundle = box.bundle(oneDeviceConfig(dev!));
  // No OCI_NETDEVICES_DAEMON_SOCKET: the front door finds daemon.sock in --state-dir, as a runtime's hook would.
  const env = { ...process.env };
  delete env.OCI_NETDEVICES_DAEMON_SOCKET;
  const run = (stage: string, s: unknown): ReturnType<typeof spawnSync> => spawnSync(FRONT_DOOR_BIN, ['--log-file', join(state, 'hook.log'), '--state-dir', state, 'hook', stage], { input: JSON.stringify(s), encoding: 'utf8', env });
  const up = run('createRuntime', runcState(id, ctr.pid, bundle));
  assert.equal(up.status, 0, String(up.stderr));
  assert.ok(linkIn(ctr.netns, 'ctr0'), 'moved and renamed in the container');
  // The daemon's pid in the hook's log: the request was served by the daemon, not by a Node fallback.
  assert.match(readFileSync(join(state, 'hook.log'), 'utf8'), new RegExp(`"pid":${d.pid},`));
  const down = run('poststop', { ociVersion: '1.0.2', id, status: 'stopped', bundle });
  assert.equal(down.status, 0, String(down.stderr));
  assert.ok(linkIn(undefined, dev!), 'home again');
});

test('daemon absent (no socket, or a dead one refusing connections): the front door runs the Node hook, same outcome', async (t) => {
  for (const how of ['no socket', 'connection refused'] as const) {
    const empty = mkdtempSync(join(tmpdir(), 'ond-nosock-'));
    t.after(() => rmSync(empty, { recursive: true, force: true }));
    let socket = join(empty, 'd.sock');
    if (how === 'connection refused') {
      const dead = startTestDaemon();
      socket = dead.socket;
      dead.kill('SIGKILL');
      await dead.exited();
      assert.ok(existsSync(socket), 'a SIGKILLed daemon leaves its socket behind');
    }
    const [dev] = box.veth();
    const ctr = box.container();
    const r = await frontDoor(socket, 'createRuntime', runcState(uniqueName('c'), ctr.pid, box.bundle(oneDeviceConfig(dev!))), ['--teardown', 'kernel']).done;
    assert.equal(r.code, 0, `${how}: ${r.stderr}`);
    assert.ok(linkIn(ctr.netns, 'ctr0'), `${how}: moved by the Node hook`);
    const bad = await frontDoor(socket, 'createRuntime', 'not json').done;
    assert.equal(bad.code, 2, `${how}: the Node hook's own exit code`);
    assert.match(bad.stderr, /^oci-netdevices: container state on stdin is not JSON/);
  }
});

test('the daemon killed mid-apply: the front door fails with one line, the journal is recovered by the next request', async () => {
  const d = daemon();
  const { devs, config } = manyDevices(box, 24);
  const before = snapshot(devs);
  const ctr = box.container();
  const id = uniqueName('c');
  const hook = frontDoor(d.socket, 'createRuntime', runcState(id, ctr.pid, box.bundle(config)));
  await waitForFile(join(box.stateDir, 'containers', id, 'journal.json'));
  d.kill('SIGKILL');
  const r = await hook.done;
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^oci-netdevices: the daemon closed the connection before answering/);
  assert.equal(r.stderr.split('\n').length, 2, 'one line');
  await d.exited();
  assert.ok(existsSync(join(box.stateDir, 'containers', id, 'journal.json')), 'the journal outlives the daemon');
  // The next request, to a new daemon, sweeps the abandoned journal before its own work.
  const next = daemon();
  const [other] = box.veth();
  const ctr2 = box.container();
  const id2 = uniqueName('c');
  const ok = await frontDoor(next.socket, 'createRuntime', runcState(id2, ctr2.pid, box.bundle(oneDeviceConfig(other!))), ['--teardown', 'kernel']).done;
  assert.equal(ok.code, 0, ok.stderr);
  assert.deepEqual(snapshot(devs), before, 'every device of the dead request is home, as it was');
  assert.deepEqual(stateLeft(box.stateDir).filter((f) => f.includes(id)), []);
});

test('the front door SIGKILLed mid-apply (a runtime hook timeout): the daemon rolls back as for SIGTERM and keeps serving', async () => {
  const d = daemon();
  const { devs, config } = manyDevices(box, 24);
  const before = snapshot(devs);
  const ctr = box.container();
  const id = uniqueName('c');
  const hook = frontDoor(d.socket, 'createRuntime', runcState(id, ctr.pid, box.bundle(config)), ['--log-file', join(box.stateDir, 'hook.log')]);
  await waitForFile(join(box.stateDir, 'containers', id, 'journal.json'));
  hook.kill('SIGKILL');
  assert.equal((await hook.done).signal, 'SIGKILL');
  await until('the rollback', () => stateLeft(box.stateDir).length === 0).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}: left ${stateLeft(box.stateDir).join(' ')}; log: ${readFileSync(join(box.stateDir, 'hook.log'), 'utf8').split('\n').slice(-4).join('\n')}; daemon: ${d.output()}`);
  });
  assert.deepEqual(snapshot(devs), before);
  assert.deepEqual(ipJson(ctr.netns, 'link', 'show').map((l) => l.ifname), ['lo']);
  await until('the failure in the log', () => /interrupted by SIGTERM \(the front door went away/.test(readFileSync(join(box.stateDir, 'hook.log'), 'utf8')));
  const [dev] = box.veth();
  const ctr2 = box.container();
  const r = await frontDoor(d.socket, 'createRuntime', runcState(uniqueName('c'), ctr2.pid, box.bundle(oneDeviceConfig(dev!))), ['--teardown', 'kernel']).done;
  assert.equal(r.code, 0, r.stderr);
});

test('a client that is not root is refused by SO_PEERCRED even when it can reach the socket', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ond-open-'));
  chmodSync(dir, 0o755);
  const d = daemon({ socket: join(dir, 'd.sock') });
  chmodSync(d.socket, 0o666); // a misconfiguration: the kernel's word on the peer still stands
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', FRONT_DOOR_BIN, '--log-file', 'off', '--state-dir', '/nonexistent', 'hook', 'poststop'], {
    input: JSON.stringify({ ociVersion: '1.0.2', id: 'x', status: 'stopped', bundle: '/' }),
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', OCI_NETDEVICES_DAEMON_SOCKET: d.socket },
  });
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr, 'oci-netdevices: daemon: refused: the client is uid 65534, only root may call the daemon\n');
  await until('the refusal in the daemon log', () => readFileSync(d.logFile, 'utf8').includes('refused a client that is not root'));
  rmSync(dir, { recursive: true, force: true });
});

test('50 concurrent container starts for distinct devices all succeed; their 50 poststops bring every device home', async () => {
  const d = daemon();
  const n = 50;
  const devs = Array.from({ length: n }, () => box.veth()[0]!);
  const ctrs = devs.map(() => box.container());
  const ids = devs.map(() => uniqueName('c'));
  const bundles = devs.map((dev) => box.bundle(oneDeviceConfig(dev)));
  const ups = await Promise.all(devs.map((_, i) => frontDoor(d.socket, 'createRuntime', runcState(ids[i]!, ctrs[i]!.pid, bundles[i]!)).done));
  ups.forEach((r, i) => assert.equal(r.code, 0, `container ${i}: ${r.stderr}`));
  ctrs.forEach((c, i) => assert.ok(linkIn(c.netns, 'ctr0'), `container ${i} has its device`));
  const downs = await Promise.all(ids.map((id, i) => frontDoor(d.socket, 'poststop', { ociVersion: '1.0.2', id, status: 'stopped', bundle: bundles[i] }).done));
  downs.forEach((r, i) => assert.equal(r.code, 0, `poststop ${i}: ${r.stderr}`));
  for (const dev of devs) assert.ok(linkIn(undefined, dev), `${dev} home`);
  assert.deepEqual(stateLeft(box.stateDir), []);
});

test('two concurrent starts asking for the same device: exactly one wins, the other fails naming the winner', async () => {
  const d = daemon();
  const [dev] = box.veth();
  const a = box.container();
  const b = box.container();
  const ida = uniqueName('a');
  const idb = uniqueName('b');
  const [ra, rb] = await Promise.all([
    frontDoor(d.socket, 'createRuntime', runcState(ida, a.pid, box.bundle(oneDeviceConfig(dev!)))).done,
    frontDoor(d.socket, 'createRuntime', runcState(idb, b.pid, box.bundle(oneDeviceConfig(dev!)))).done,
  ]);
  const wins = [ra, rb].filter((r) => r.code === 0);
  assert.equal(wins.length, 1, `one winner: ${ra.code} ${ra.stderr} / ${rb.code} ${rb.stderr}`);
  const [winner, loser, loserCode] = ra.code === 0 ? [a, idb, rb] : [b, ida, ra];
  assert.ok(linkIn(winner.netns, 'ctr0'), 'the device is in the winner');
  assert.notEqual(loserCode.code, 0, loser);
  assert.match(loserCode.stderr, /^oci-netdevices: .*device ".*" .*(claimed|not found|no such)/i);
  assert.equal(loserCode.stderr.split('\n').length, 2, 'one line');
});

test('a front door in another network namespace is sent to the Node hook (the daemon works in its own)', async () => {
  const d = daemon();
  const ns = box.netns();
  const [dev] = box.veth(ns);
  const ctr = box.container();
  const r = spawnSync('ip', ['netns', 'exec', ns, FRONT_DOOR_BIN, '--log-file', join(box.stateDir, 'ns.log'), '--state-dir', box.stateDir, '--teardown', 'kernel', 'hook', 'createRuntime'], {
    input: JSON.stringify(runcState(uniqueName('c'), ctr.pid, box.bundle(oneDeviceConfig(dev!)))),
    encoding: 'utf8',
    env: { ...process.env, OCI_NETDEVICES_DAEMON_SOCKET: d.socket },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.ok(linkIn(ctr.netns, 'ctr0'), 'moved from that namespace, where the Node hook ran');
  assert.doesNotMatch(readFileSync(join(box.stateDir, 'ns.log'), 'utf8'), new RegExp(`"pid":${d.pid},`));
  sh('true');
});

test('the daemon is not a hook: `hook --help` and unknown stages through the front door get the Node CLI\'s answer', () => {
  const d = daemon();
  const help = spawnSync(FRONT_DOOR_BIN, ['hook', '--help'], { input: '', encoding: 'utf8', env: { ...process.env, OCI_NETDEVICES_DAEMON_SOCKET: d.socket } });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /createRuntime/);
  const node = spawnSync(HOOK_BIN, ['hook', 'bogus'], { input: '{}', encoding: 'utf8' });
  const front = spawnSync(FRONT_DOOR_BIN, ['hook', 'bogus'], { input: '{}', encoding: 'utf8', env: { ...process.env, OCI_NETDEVICES_DAEMON_SOCKET: d.socket } });
  assert.equal(front.status, node.status);
  assert.equal(front.stderr, node.stderr);
});

test('SIGTERM to the daemon: it stops taking requests (the socket goes) and exits 0 once idle', async () => {
  const d = daemon();
  d.kill('SIGTERM');
  await d.exited();
  assert.equal(d.child.exitCode, 0, d.output());
  assert.equal(existsSync(d.socket), false);
});
