import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, chmodSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseRuntimeArgs } from '../../src/runtime/argv.js';
import { ANNOTATION_KEY_REGEX, hooksDFiles } from '../../src/runtime/hooks-d.js';
import { injectHooks } from '../../src/runtime/inject-hooks.js';
import { chooseRuntime } from '../../src/runtime/real-runtime.js';

test('argv forms used by containerd, podman, CRI-O and people', () => {
  // containerd's runc shim
  assert.deepEqual(parseRuntimeArgs(['--root', '/run/containerd/runc/k8s.io', '--log', '/run/x/log.json', '--log-format', 'json', 'create', '--bundle', '/b1', '--pid-file', '/b1/init.pid', 'cid1']),
    { subcommandAt: 6, subcommand: 'create', bundle: '/b1', id: 'cid1' });
  // podman (conmon) calling runc
  assert.deepEqual(parseRuntimeArgs(['--root', '/run/runc', '--systemd-cgroup', 'create', '--bundle', '/b2', '--pid-file', '/p', '--console-socket', '/s', 'cid2']),
    { subcommandAt: 3, subcommand: 'create', bundle: '/b2', id: 'cid2' });
  // crun style '=' options and -b
  assert.deepEqual(parseRuntimeArgs(['--root=/run/crun', '--cgroup-manager=cgroupfs', 'run', '-b', '/b3', '--detach', 'cid3']),
    { subcommandAt: 2, subcommand: 'run', bundle: '/b3', id: 'cid3' });
  assert.deepEqual(parseRuntimeArgs(['run', '--bundle=/b4', 'cid4']), { subcommandAt: 0, subcommand: 'run', bundle: '/b4', id: 'cid4' });
  assert.deepEqual(parseRuntimeArgs(['run', 'cid5']), { subcommandAt: 0, subcommand: 'run', id: 'cid5' });
  assert.deepEqual(parseRuntimeArgs(['--debug', 'delete', '--force', 'cid6']), { subcommandAt: 1, subcommand: 'delete', id: 'cid6' });
  assert.deepEqual(parseRuntimeArgs(['state', 'cid7']), { subcommandAt: 0, subcommand: 'state', id: 'cid7' });
  assert.deepEqual(parseRuntimeArgs(['--version']), { subcommandAt: -1 });
});

test('which runtime the wrapper becomes', () => {
  assert.equal(chooseRuntime('/usr/bin/oci-netdevices-runtime', {}), 'runc');
  assert.equal(chooseRuntime('/usr/local/bin/oci-netdevices-crun', {}), 'crun');
  assert.equal(chooseRuntime('/x/oci-netdevices-runtime', { OCI_NETDEVICES_RUNTIME: '/opt/crun' }), '/opt/crun');
});

function bundleWith(config: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'ond-unit-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  chmodSync(join(dir, 'config.json'), 0o640);
  return dir;
}

test('hooks are injected only when devices are asked for, unknown fields and mode kept, never twice', () => {
  const none = bundleWith({ ociVersion: '1.0.2', linux: {} });
  const before = readFileSync(join(none, 'config.json'), 'utf8');
  assert.equal(injectHooks(none, '/opt/ond/bin/oci-netdevices'), false);
  assert.equal(readFileSync(join(none, 'config.json'), 'utf8'), before, 'untouched');

  const dir = bundleWith({ ociVersion: '1.0.2', future: { keep: [1, 2] }, hooks: { createRuntime: [{ path: '/other', args: ['other'] }] }, linux: { netDevices: { eth9: {} } } });
  assert.equal(injectHooks(dir, '/opt/ond/bin/oci-netdevices', ['--state-dir', '/s']), true);
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown> & { hooks: Record<string, Array<{ path: string; args: string[] }>> };
  assert.deepEqual(cfg.future, { keep: [1, 2] });
  assert.deepEqual(cfg.hooks.createRuntime!.map((h) => h.path), ['/other', '/opt/ond/bin/oci-netdevices']);
  assert.deepEqual(cfg.hooks.createRuntime![1]!.args, ['oci-netdevices', '--state-dir', '/s', 'hook', 'createRuntime']);
  assert.deepEqual(cfg.hooks.poststop!.map((h) => h.args.at(-1)), ['poststop']);
  assert.equal(statSync(join(dir, 'config.json')).mode & 0o777, 0o640);
  assert.equal(injectHooks(dir, '/opt/ond/bin/oci-netdevices', ['--state-dir', '/s']), false, 'idempotent');

  const viaAnnotation = bundleWith({ annotations: { 'netdevices.nri.containerd.io': '- name: eth9\n' }, linux: {} });
  assert.equal(injectHooks(viaAnnotation, '/h'), true);
  for (const d of [none, dir, viaAnnotation]) rmSync(d, { recursive: true });
});

test('hooks.d files: one per stage, anchored annotation regex for our keys only', () => {
  const files = hooksDFiles('/opt/ond/bin/oci-netdevices');
  assert.deepEqual(files.map((f) => f.content.stages), [['createRuntime'], ['poststop']]);
  assert.ok(files.every((f) => f.content.version === '1.0.0' && f.content.hook.path === '/opt/ond/bin/oci-netdevices'));
  const re = new RegExp(ANNOTATION_KEY_REGEX);
  for (const k of ['oci-netdevices.io/devices', 'netdevices.nri.containerd.io', 'netdevices.nri.containerd.io/pod', 'netdevice.noderesource.dev/pod']) assert.ok(re.test(k), k);
  for (const k of ['xoci-netdevices.io/devices', 'oci-netdevices.io/devicesx', 'netdevicesXnri.containerd.io', 'io.kubernetes.cri.sandbox-id']) assert.ok(!re.test(k), k);
});
