/** The three ways in: runtime wrapper (containerd- and podman-style argv), podman hooks.d + annotation, podman --runtime wrapper. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { HOOK_BIN, Sandbox, linkIn, sh, uniqueName } from '../integration/hook-kit.js';
import { REPO, type Runtime, SHOW_NETWORK, busyboxBundle, ensureCrunCgroups, parseIpOutput } from './e2e-kit.js';

const WRAPPER = join(REPO, 'bin', 'oci-netdevices-runtime');
let box = new Sandbox();
afterEach(() => {
  box.cleanup();
  box = new Sandbox();
});

function run(cmd: string, args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function hostDevice(): { dev: string; before: NonNullable<ReturnType<typeof linkIn>> } {
  const [dev] = box.veth();
  sh('ip', 'addr', 'add', '10.178.0.1/24', 'dev', dev);
  return { dev, before: linkIn(undefined, dev)! };
}

function assertHome(dev: string, before: NonNullable<ReturnType<typeof linkIn>>): void {
  const home = linkIn(undefined, dev);
  assert.ok(home, `${dev} back on the host`);
  assert.equal(home.mtu, before.mtu);
  assert.ok(home.addr_info?.some((a) => a.local === '10.178.0.1'), JSON.stringify(home.addr_info));
}

for (const runtime of ['runc', 'crun'] as Runtime[]) {
  describe(`oci-netdevices-runtime wrapping ${runtime}`, () => {
    const env = { OCI_NETDEVICES_RUNTIME: runtime, OCI_NETDEVICES_STATE_DIR: '' };
    test('containerd-style argv: create, start, delete; hooks injected, device in and back home', () => {
      if (runtime === 'crun') ensureCrunCgroups();
      const { dev, before } = hostDevice();
      const out = join(mkdtempSync(join(tmpdir(), 'ond-out-')), 'out');
      box.defer(() => rmSync(join(out, '..'), { recursive: true, force: true }));
      const b = busyboxBundle(box, `(${SHOW_NETWORK}) > /out/net; echo done >> /out/net`, { hooks: [] });
      b.config.linux.netDevices = [{ name: dev, properties: { name: 'eth1', address: '10.179.0.2', mask: '24', mtu: 1450 } }];
      mkdirSync(out, { recursive: true });
      (b.config as unknown as { mounts: unknown[] }).mounts.push({ destination: '/out', type: 'bind', source: out, options: ['rbind', 'rw'] });
      b.write();
      const id = uniqueName('wr');
      const root = mkdtempSync(join(tmpdir(), 'ond-root-'));
      box.defer(() => {
        spawnSync(runtime, ['--root', root, 'delete', '-f', id], { stdio: 'ignore' });
        rmSync(root, { recursive: true, force: true });
      });
      const e = { ...env, OCI_NETDEVICES_STATE_DIR: box.stateDir };
      const c = run(WRAPPER, ['--root', root, '--log', join(b.dir, 'runtime.log'), '--log-format', 'json', 'create', '--bundle', b.dir, '--pid-file', join(b.dir, 'init.pid'), id], e);
      assert.equal(c.status, 0, c.stderr);
      assert.equal(linkIn(undefined, dev), undefined, 'moved at create');
      const s = run(WRAPPER, ['--root', root, 'start', id], e);
      assert.equal(s.status, 0, s.stderr);
      for (let i = 0; i < 200 && spawnSync('grep', ['-q', 'done', join(out, 'net')]).status !== 0; i++) spawnSync('sleep', ['0.05']);
      const inside = parseIpOutput(sh('cat', join(out, 'net'))).get('eth1');
      assert.ok(inside, 'eth1 inside');
      assert.equal(inside.mtu, 1450);
      assert.ok(inside.addrs.includes('10.179.0.2/24'));
      const st = run(WRAPPER, ['--root', root, 'state', id], e);
      assert.equal(st.status, 0, st.stderr);
      assert.match(st.stdout, new RegExp(`"id": "${id}"`));
      const d = run(WRAPPER, ['--root', root, 'delete', '--force', id], e);
      assert.equal(d.status, 0, d.stderr);
      assertHome(dev, before);
    });

    test('podman-style argv: run with --bundle= and --systemd-cgroup-free globals; no devices means no rewrite', () => {
      if (runtime === 'crun') ensureCrunCgroups();
      const b = busyboxBundle(box, 'true', { hooks: [] });
      const before = sh('cat', join(b.dir, 'config.json'));
      const id = uniqueName('wn');
      box.defer(() => spawnSync(runtime, ['delete', '-f', id], { stdio: 'ignore' }));
      const r = run(WRAPPER, ['--log-format', 'json', 'run', `--bundle=${b.dir}`, id], env);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(sh('cat', join(b.dir, 'config.json')), before, 'config.json untouched');
    });
  });
}

function rootfs(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ond-rootfs-'));
  box.defer(() => rmSync(dir, { recursive: true, force: true }));
  for (const d of ['bin', 'proc', 'sys', 'dev', 'etc']) mkdirSync(join(dir, d));
  copyFileSync('/bin/busybox', join(dir, 'bin', 'busybox'));
  for (const a of ['sh', 'ip', 'cat']) symlinkSync('busybox', join(dir, 'bin', a));
  return dir;
}

/** podman parses --annotation as CSV: quote the whole value, double inner quotes. */
const csv = (s: string): string => `"${s.replace(/"/g, '""')}"`;

function podman(runtime: string, extra: string[], rootfsDir: string, script: string): ReturnType<typeof run> {
  return run('podman', ['--storage-driver', 'vfs', '--runtime', runtime, 'run', '--rm', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', '--network', 'none', ...extra, '--rootfs', rootfsDir, '/bin/sh', '-c', script]);
}

describe('podman', () => {
  for (const runtime of ['runc', 'crun'] as Runtime[]) {
    test(`hooks.d + annotation with --runtime ${runtime}: configured inside, home after --rm`, () => {
      if (runtime === 'crun') ensureCrunCgroups();
      const { dev, before } = hostDevice();
      const hooksDir = mkdtempSync(join(tmpdir(), 'ond-hooksd-'));
      box.defer(() => rmSync(hooksDir, { recursive: true, force: true }));
      const inst = run(HOOK_BIN, ['--state-dir', box.stateDir, '--log-file', join(hooksDir, 'log'), 'install-hook', '--dir', hooksDir]);
      assert.equal(inst.status, 0, inst.stderr);
      const ann = `oci-netdevices.io/devices=${JSON.stringify({ [dev]: { name: 'eth1', networkConfig: { interface: { addresses: ['10.180.0.2/24'], mtu: 1400 } } } })}`;
      const r = podman(runtime, ['--hooks-dir', hooksDir, '--annotation', csv(ann)], rootfs(), SHOW_NETWORK);
      assert.equal(r.status, 0, r.stderr);
      const eth1 = parseIpOutput(r.stdout).get('eth1');
      assert.ok(eth1, r.stdout);
      assert.equal(eth1.mtu, 1400);
      assert.ok(eth1.addrs.includes('10.180.0.2/24'));
      assertHome(dev, before);
    });
  }

  test('podman --runtime oci-netdevices-runtime with the NRI annotation (YAML)', () => {
    const { dev, before } = hostDevice();
    const yaml = `- name: ${dev}\n  new_name: net1\n  address: 10.181.0.2\n  prefix: 24\n  mtu: 1300\n`;
    const r = podman(WRAPPER, ['--annotation', csv(`netdevices.nri.containerd.io=${yaml}`), '--env', `X=1`], rootfs(), SHOW_NETWORK);
    assert.equal(r.status, 0, r.stderr);
    const net1 = parseIpOutput(r.stdout).get('net1');
    assert.ok(net1, r.stdout);
    assert.equal(net1.mtu, 1300);
    assert.ok(net1.addrs.includes('10.181.0.2/24'));
    assertHome(dev, before);
  });
});

describe('status: what the container really got', () => {
  interface Status { containerId: string; devices: Array<{ driver: string; device: string; conditions: Array<{ type: string; status: string; reason: string; message: string; lastTransitionTime: string }>; networkData?: { interfaceName: string; hardwareAddress?: string; ips: string[] } }> }
  const status = (id: string): Status => JSON.parse(run(HOOK_BIN, ['--state-dir', box.stateDir, 'status', id, '-o', 'json']).stdout) as Status;

  test('after success (crun, created but not deleted): Ready and NetworkReady with networkData read back', () => {
    ensureCrunCgroups();
    const [dev] = box.veth();
    const b = busyboxBundle(box, 'sleep 5', { stateDir: box.stateDir });
    b.config.linux.netDevices = { [dev]: { name: 'eth7', networkConfig: { interface: { addresses: ['10.182.0.2/24', '2001:db8:7::2/64'], hardwareAddr: '02:aa:bb:cc:dd:07' } } } };
    b.write();
    const id = uniqueName('st');
    box.defer(() => spawnSync('crun', ['delete', '-f', id], { stdio: 'ignore' }));
    const c = run('crun', ['create', '--bundle', b.dir, id]);
    assert.equal(c.status, 0, c.stderr);
    const s = status(id);
    assert.equal(s.containerId, id);
    const d = s.devices[0]!;
    assert.equal(d.driver, 'oci-netdevices.io');
    assert.equal(d.device, dev);
    assert.deepEqual(d.conditions.map((x) => [x.type, x.status, x.reason]), [['Ready', 'True', 'NetworkDeviceReady'], ['NetworkReady', 'True', 'NetworkReady']]);
    assert.match(d.conditions[0]!.lastTransitionTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(d.networkData, { interfaceName: 'eth7', hardwareAddress: '02:aa:bb:cc:dd:07', ips: ['10.182.0.2/24', '2001:db8:7::2/64'] });
    const yaml = run(HOOK_BIN, ['--state-dir', box.stateDir, 'status', id, '-o', 'yaml']).stdout;
    assert.match(yaml, /interfaceName: eth7/);
    const del = run('crun', ['delete', '-f', id]);
    assert.equal(del.status, 0, del.stderr);
    assert.equal(run(HOOK_BIN, ['--state-dir', box.stateDir, 'status', id]).status, 1, 'status removed at teardown');
  });

  test('after a failed step (crun runs no poststop): Ready False naming the step', () => {
    ensureCrunCgroups();
    const [lower] = box.veth();
    const mv = uniqueName('mv');
    sh('ip', 'link', 'add', 'link', lower, 'name', mv, 'type', 'macvlan', 'mode', 'bridge');
    box.defer(() => spawnSync('ip', ['link', 'del', mv]));
    const b = busyboxBundle(box, 'true', { stateDir: box.stateDir });
    b.config.linux.netDevices = [{ name: mv, properties: { name: 'eth1', mtu: 9000 } }];
    b.write();
    const id = uniqueName('sf');
    box.defer(() => spawnSync('crun', ['delete', '-f', id], { stdio: 'ignore' }));
    const r = run('crun', ['run', '--bundle', b.dir, id]);
    assert.notEqual(r.status, 0);
    const d = status(id).devices[0]!;
    assert.equal(d.conditions[0]!.status, 'False');
    assert.equal(d.conditions[0]!.reason, 'ConfigurationFailed');
    assert.match(d.conditions[0]!.message, /set MTU.*EINVAL/);
    assert.equal(d.networkData, undefined);
    assert.ok(linkIn(undefined, mv), 'the device is back on the host');
  });
});
