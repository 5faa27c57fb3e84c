/**
 * oci-netdevices-runtime in front of real runc and crun, driven with the
 * argv containerd's shim and podman/conmon use: hooks injected only when
 * devices are asked for, the device configured as seen from inside, status
 * written, and the device home after delete.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type Bundle, HOOK_BIN, REPO_ROOT, SHOW_NETWORK, createBundle, hookArgs, parseIpOutput } from '../support/bundle.js';
import { type Cleanup, addrStrings, cleanupAfter, createVethPair, execResult, linkExists, linkInfo, randomName, waitFor } from '../support/netns.js';
import { type Runtime, RUNTIMES, deleteContainer, ensureCrunCgroups } from '../support/runtimes.js';
import { FRONT_DOOR_BIN, startTestDaemon } from '../support/front-door.js';

const WRAPPER = join(REPO_ROOT, 'bin', 'oci-netdevices-runtime');

interface Run {
  code: number | null;
  out: string;
}

/**
 * Runs argv with stdout+stderr to a file, not a pipe: after `create` the
 * container's init keeps its stdio open until it runs, so a pipe never closes.
 */
function runToFile(argv: readonly string[], env: NodeJS.ProcessEnv, dir: string): Run {
  const file = join(dir, `out-${randomName('r')}`);
  const fd = openSync(file, 'w');
  try {
    const r = spawnSync(argv[0]!, argv.slice(1), { env, stdio: ['ignore', fd, fd], timeout: 60_000 });
    return { code: r.status, out: readFileSync(file, 'utf8') };
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
}

interface Setup {
  c: Cleanup;
  work: string;
  state: string;
  root: string;
  env: NodeJS.ProcessEnv;
}

function setup(t: { after(fn: () => void): void }, runtime: Runtime): Setup {
  if (runtime === 'crun') ensureCrunCgroups();
  const c = cleanupAfter(t);
  const work = mkdtempSync(join(tmpdir(), 'ond-wrap-'));
  c.add(`dir ${work}`, () => rmSync(work, { recursive: true, force: true }));
  const state = join(work, 'state');
  const root = join(work, 'root');
  return { c, work, state, root, env: { ...process.env, OCI_NETDEVICES_RUNTIME: runtime, OCI_NETDEVICES_STATE_DIR: state, OCI_NETDEVICES_LOG: join(work, 'hook.log') } };
}

/** A host veth end with an address, to check it comes home as it was. */
function hostDevice(c: Cleanup): { dev: string; mtu: number; mac: string } {
  const v = createVethPair({ cleanup: c, prefix: 'owr' });
  execResult(['ip', 'addr', 'add', '10.178.0.1/24', 'dev', v.name]);
  const l = linkInfo(v.name)!;
  return { dev: v.name, mtu: l.mtu, mac: l.address! };
}

function assertHome(dev: string, mtu: number): void {
  assert.ok(linkExists(dev), `${dev} back on the host`);
  assert.equal(linkInfo(dev)!.mtu, mtu);
  assert.ok(addrStrings(dev).includes('10.178.0.1/24'), addrStrings(dev).join(','));
}

/** A bundle whose process writes its network view to <out>/net, bind-mounted from the host. */
function outputBundle(s: Setup, script: string): { b: Bundle; out: string } {
  const out = join(s.work, 'out');
  mkdirSync(out, { recursive: true });
  const b = createBundle({ cleanup: s.c, script: `(${script}) > /out/net 2>&1; echo done >> /out/net` });
  (b.config.mounts as unknown[]).push({ destination: '/out', type: 'bind', source: out, options: ['rbind', 'rw'] });
  b.write();
  return { b, out };
}

interface StatusDoc {
  containerId: string;
  devices: Array<{ driver: string; pool: string; device: string; conditions: Array<{ type: string; status: string; reason: string; message: string; lastTransitionTime: string }>; networkData?: { interfaceName: string; ips: string[]; hardwareAddress?: string } }>;
}

function status(state: string, id: string): StatusDoc | undefined {
  const r = execResult([HOOK_BIN, '--state-dir', state, 'status', id, '-o', 'json']);
  return r.code === 0 ? (JSON.parse(r.stdout) as StatusDoc) : undefined;
}

for (const runtime of RUNTIMES) {
  describe(`oci-netdevices-runtime wrapping ${runtime}`, () => {
    test('containerd-style argv: create, start, state, delete; configured inside, status written, home after delete', async (t) => {
      const s = setup(t, runtime);
      const { dev, mtu, mac } = hostDevice(s.c);
      const { b, out } = outputBundle(s, SHOW_NETWORK);
      b.setNetDevices([{ name: dev, properties: { name: 'eth1', address: '10.179.0.2', mask: '24', mtu: 1450 } }]);
      const id = randomName('owc');
      s.c.add(`container ${id}`, () => deleteContainer(runtime, id, s.root));
      const g = ['--root', s.root, '--log', join(s.work, 'runtime.log'), '--log-format', 'json'];
      const cr = runToFile([WRAPPER, ...g, 'create', '--bundle', b.dir, '--pid-file', join(s.work, 'init.pid'), id], s.env, s.work);
      assert.equal(cr.code, 0, cr.out);
      assert.equal(linkExists(dev), false, 'moved at create');
      const cfg = JSON.parse(readFileSync(b.configPath, 'utf8')) as { hooks: Record<string, Array<{ path: string; args: string[] }>> };
      assert.deepEqual(cfg.hooks.createRuntime, [{ path: FRONT_DOOR_BIN, args: hookArgs('createRuntime', { logFile: join(s.work, 'hook.log'), stateDir: s.state }) }]);
      assert.deepEqual(cfg.hooks.poststop!.map((h) => h.args.at(-1)), ['poststop']);

      const st = status(s.state, id);
      assert.ok(st, 'status after create');
      assert.deepEqual(st.devices[0]!.conditions.map((x) => [x.type, x.status, x.reason]), [['Ready', 'True', 'NetworkDeviceReady'], ['NetworkReady', 'True', 'NetworkReady']]);
      const nd = st.devices[0]!.networkData!;
      assert.equal(nd.interfaceName, 'eth1');
      assert.equal(nd.hardwareAddress, mac, 'read back from the kernel: a veth keeps its MAC');
      // Read back, not echoed: the host address the device carried in is listed too.
      assert.deepEqual(nd.ips.sort(), ['10.178.0.1/24', '10.179.0.2/24']);

      const started = runToFile([WRAPPER, ...g, 'start', id], s.env, s.work);
      assert.equal(started.code, 0, started.out);
      await waitFor('the container output', () => readFileSync(join(out, 'net'), { encoding: 'utf8', flag: 'a+' }).includes('done'), { timeoutMs: 20_000 });
      const eth1 = parseIpOutput(readFileSync(join(out, 'net'), 'utf8')).get('eth1');
      assert.ok(eth1, readFileSync(join(out, 'net'), 'utf8'));
      assert.equal(eth1.mtu, 1450);
      assert.ok(eth1.up);
      assert.ok(eth1.addrs.includes('10.179.0.2/24'));

      const state = runToFile([WRAPPER, ...g, 'state', id], s.env, s.work);
      assert.equal(state.code, 0, state.out);
      assert.equal((JSON.parse(state.out) as { id: string }).id, id);
      const del = runToFile([WRAPPER, ...g, 'delete', '--force', id], s.env, s.work);
      assert.equal(del.code, 0, del.out);
      await waitFor(`${dev} home`, () => linkExists(dev));
      assertHome(dev, mtu);
      assert.equal(status(s.state, id), undefined, 'status removed at teardown');
    });

    test('podman-style argv (--root, --log-format, run --bundle=): NRI annotation, foreground run, home when it exits', (t) => {
      const s = setup(t, runtime);
      const { dev, mtu } = hostDevice(s.c);
      const b = createBundle({ cleanup: s.c, annotations: { 'netdevices.nri.containerd.io': `- name: ${dev}\n  new_name: net1\n  address: 10.181.0.2\n  prefix: 24\n` } });
      const id = randomName('owp');
      s.c.add(`container ${id}`, () => deleteContainer(runtime, id, s.root));
      const r = runToFile([WRAPPER, '--root', s.root, '--log-format', 'json', 'run', `--bundle=${b.dir}`, '--no-new-keyring', id], s.env, s.work);
      assert.equal(r.code, 0, r.out);
      const net1 = parseIpOutput(r.out).get('net1');
      assert.ok(net1?.addrs.includes('10.181.0.2/24'), r.out);
      assertHome(dev, mtu);
    });

    test('no devices asked for: config.json byte for byte untouched; exit codes are the runtime\'s', (t) => {
      const s = setup(t, runtime);
      const b = createBundle({ cleanup: s.c, script: 'exit 3' });
      const before = readFileSync(b.configPath, 'utf8');
      const id = randomName('own');
      s.c.add(`container ${id}`, () => deleteContainer(runtime, id, s.root));
      const r = runToFile([WRAPPER, '--root', s.root, 'run', '-b', b.dir, id], s.env, s.work);
      assert.equal(r.code, 3, r.out);
      assert.equal(readFileSync(b.configPath, 'utf8'), before);
      const missing = runToFile([WRAPPER, '--root', s.root, 'state', randomName('nx')], s.env, s.work);
      const direct = runToFile([runtime, '--root', s.root, 'state', randomName('nx')], s.env, s.work);
      assert.equal(missing.code, direct.code);
      assert.notEqual(missing.code, 0);
    });

    test('delete of a running container without -f: the runtime refuses, the devices stay inside; delete -f then brings them home', async (t) => {
      const s = setup(t, runtime);
      const { dev, mtu } = hostDevice(s.c);
      const b = createBundle({ cleanup: s.c, script: 'sleep 60' });
      b.setNetDevices([{ name: dev, properties: { name: 'eth3' } }]);
      const id = randomName('owr');
      s.c.add(`container ${id}`, () => deleteContainer(runtime, id, s.root));
      const pidFile = join(s.work, 'init.pid');
      const g = ['--root', s.root];
      const cr = runToFile([WRAPPER, ...g, 'create', '--bundle', b.dir, '--pid-file', pidFile, id], s.env, s.work);
      assert.equal(cr.code, 0, cr.out);
      const started = runToFile([WRAPPER, ...g, 'start', id], s.env, s.work);
      assert.equal(started.code, 0, started.out);
      const pid = readFileSync(pidFile, 'utf8').trim();
      const inside = (): string => execResult(['nsenter', '-t', pid, '-n', 'ip', '-o', 'link', 'show']).stdout;

      const refused = runToFile([WRAPPER, ...g, 'delete', id], s.env, s.work);
      assert.notEqual(refused.code, 0, `the real ${runtime} refuses to delete a running container: ${refused.out}`);
      assert.equal((JSON.parse(runToFile([runtime, ...g, 'state', id], s.env, s.work).out) as { status: string }).status, 'running');
      assert.match(inside(), /: eth3[:@]/, 'the device is still in the running container');
      assert.equal(linkExists(dev), false, 'nothing was brought home');
      assert.match(refused.out, new RegExp(`the devices of ${id} stay in the container: its delete failed and it is running`));
      assert.ok(status(s.state, id), 'its state is kept');

      const del = runToFile([WRAPPER, ...g, 'delete', '-f', id], s.env, s.work);
      assert.equal(del.code, 0, del.out);
      await waitFor(`${dev} home`, () => linkExists(dev));
      assertHome(dev, mtu);
      assert.equal(status(s.state, id), undefined);
    });

    test('delete brings devices home even when the runtime ran no poststop hook of ours', async (t) => {
      const s = setup(t, runtime);
      const { dev, mtu } = hostDevice(s.c);
      // Bundle with only our createRuntime hook (as if poststop had been lost), run by the bare runtime.
      const b = createBundle({ cleanup: s.c, script: 'sleep 30', netDevices: { [dev]: { name: 'eth5' } }, hook: { stages: ['createRuntime'], stateDir: s.state, logFile: join(s.work, 'hook.log') } });
      const id = randomName('owd');
      s.c.add(`container ${id}`, () => deleteContainer(runtime, id, s.root));
      const cr = runToFile([runtime, '--root', s.root, 'create', '--bundle', b.dir, id], s.env, s.work);
      assert.equal(cr.code, 0, cr.out);
      assert.equal(linkExists(dev), false);
      const del = runToFile([WRAPPER, '--root', s.root, 'delete', '-f', id], s.env, s.work);
      assert.equal(del.code, 0, del.out);
      await waitFor(`${dev} home`, () => linkExists(dev));
      assertHome(dev, mtu);
      assert.equal(status(s.state, id), undefined);
    });
  });
}

test('status after a failed step (crun runs no poststop): ConfigurationFailed with the error line; wrapper delete clears it', (t) => {
  const s = setup(t, 'crun');
  const lower = createVethPair({ cleanup: s.c, prefix: 'owl' });
  const mv = randomName('owm');
  execResult(['ip', 'link', 'add', 'link', lower.name, 'name', mv, 'type', 'macvlan', 'mode', 'bridge']);
  s.c.add(`macvlan ${mv}`, () => {
    if (linkExists(mv)) execResult(['ip', 'link', 'del', mv]);
  });
  const b = createBundle({ cleanup: s.c, script: 'true', netDevices: [{ name: mv, properties: { name: 'eth1', mtu: 9000 } }] });
  const id = randomName('owf');
  s.c.add(`container ${id}`, () => deleteContainer('crun', id, s.root));
  const r = runToFile([WRAPPER, '--root', s.root, 'run', '--bundle', b.dir, id], s.env, s.work);
  assert.notEqual(r.code, 0);
  const st = status(s.state, id);
  assert.ok(st, 'status written on failure');
  const [ready, network] = st.devices[0]!.conditions;
  assert.deepEqual([ready!.type, ready!.status, ready!.reason], ['Ready', 'False', 'ConfigurationFailed']);
  assert.match(ready!.message, /MTU.*EINVAL|EINVAL.*MTU/i);
  assert.equal(network!.status, 'False');
  assert.equal(st.devices[0]!.networkData, undefined);
  assert.ok(linkExists(mv), 'rolled back: the device is on the host');
  const yaml = execResult([HOOK_BIN, '--state-dir', s.state, 'status', id, '-o', 'yaml']);
  assert.match(yaml.stdout, /reason: ConfigurationFailed/);
  const del = runToFile([WRAPPER, '--root', s.root, 'delete', '-f', id], s.env, s.work);
  assert.equal(del.code, 0, del.out);
  assert.equal(status(s.state, id), undefined, 'status removed by the wrapper delete');
});

test('the wrapper execs: same pid, exit code, argv; a symlink named oci-netdevices-crun picks crun', (t) => {
  const c = cleanupAfter(t);
  const dir = mkdtempSync(join(tmpdir(), 'ond-wrap-'));
  c.add(`dir ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  // A stand-in runtime that reports its pid, argv and exit code.
  const fake = join(dir, 'fake-runtime');
  writeFileSync(fake, '#!/bin/sh\necho "pid=$$ argv0=$0 args=$*"\nexit 7\n', { mode: 0o755 });
  const child = spawnSync(WRAPPER, ['--root', '/r', 'list', '-q'], { env: { ...process.env, OCI_NETDEVICES_RUNTIME: fake }, encoding: 'utf8' });
  assert.equal(child.status, 7);
  assert.equal(child.stdout.trim(), `pid=${child.pid} argv0=${fake} args=--root /r list -q`);

  const link = join(dir, 'oci-netdevices-crun');
  symlinkSync(WRAPPER, link);
  const env = { ...process.env };
  delete env.OCI_NETDEVICES_RUNTIME;
  assert.match(spawnSync(link, ['--version'], { env, encoding: 'utf8' }).stdout, /crun version/);
  assert.match(spawnSync(WRAPPER, ['--version'], { env, encoding: 'utf8' }).stdout, /runc version/);
  // The global flag (podman --runtime-flag oci-netdevices-runtime=crun) wins and is not passed on.
  const flagged = spawnSync(WRAPPER, ['--oci-netdevices-runtime=crun', '--version'], { env, encoding: 'utf8' });
  assert.equal(flagged.status, 0, flagged.stderr);
  assert.match(flagged.stdout, /crun version/);
  const passed = spawnSync(WRAPPER, ['--oci-netdevices-runtime', fake, '--root', '/r', 'list'], { env, encoding: 'utf8' });
  assert.equal(passed.stdout.trim(), `pid=${passed.pid} argv0=${fake} args=--root /r list`);
});

for (const runtime of RUNTIMES) {
  test(`${runtime} through the wrapper with the daemon listening in the state directory: the hooks are served by it, devices home after delete`, async (t) => {
    const s = setup(t, runtime);
    mkdirSync(s.state, { recursive: true, mode: 0o700 });
    const d = startTestDaemon({ args: ['--state-dir', s.state], socket: join(s.state, 'daemon.sock') });
    s.c.add(`daemon ${d.pid}`, () => d.kill('SIGKILL'));
    const { dev, mtu } = hostDevice(s.c);
    const b = createBundle({ cleanup: s.c, netDevices: [{ name: dev, properties: { name: 'eth1', address: '10.183.0.2', mask: '24' } }] });
    const id = randomName('owe');
    s.c.add(`container ${id}`, () => deleteContainer(runtime, id, s.root));
    const r = runToFile([WRAPPER, '--root', s.root, 'run', '--bundle', b.dir, id], s.env, s.work);
    assert.equal(r.code, 0, r.out);
    assert.ok(parseIpOutput(r.out).get('eth1')?.addrs.includes('10.183.0.2/24'), r.out);
    const del = runToFile([WRAPPER, '--root', s.root, 'delete', '-f', id], s.env, s.work);
    assert.equal(del.code, 0, del.out);
    await waitFor(`${dev} home`, () => linkExists(dev));
    assertHome(dev, mtu);
    // The hook log names the process that ran each stage: the daemon.
    const log = readFileSync(join(s.work, 'hook.log'), 'utf8');
    assert.match(log, new RegExp(`"pid":${d.pid},"container":"${id}","stage":"createRuntime"`));
    await d.stop();
  });
}
