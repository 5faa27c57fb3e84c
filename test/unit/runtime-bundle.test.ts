/** create/run config rewrite: only when devices are asked for, atomic, lossless, mode kept, idempotent; native hand-off. */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { addOurHooks } from '../../src/runtime/inject-hooks.js';
import { parseLossless } from '../../src/runtime/lossless-json.js';
import { arrayFormToAnnotation } from '../../src/runtime/native-handoff.js';
import { prepareBundle } from '../../src/runtime/prepare-bundle.js';

const HOOK = '/opt/ond/bin/oci-netdevices';

function bundleWith(t: { after(fn: () => void): void }, text: string, mode = 0o640): string {
  const dir = mkdtempSync(join(tmpdir(), 'ond-unit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'config.json'), text);
  chmodSync(join(dir, 'config.json'), mode);
  return join(dir, 'config.json');
}

type Hooks = Record<string, Array<{ path: string; args: string[] }>>;
const read = (path: string): Record<string, unknown> & { hooks: Hooks } => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown> & { hooks: Hooks };

test('no devices asked for: nothing written, not even a temp file', (t) => {
  for (const cfg of [{ ociVersion: '1.0.2', linux: {} }, { linux: { netDevices: [] } }, { linux: { netDevices: {} } }, { annotations: { 'oci-netdevices.io/devices': '  ' } }, { annotations: { other: 'x' } }]) {
    const text = `${JSON.stringify(cfg, null, 3)}\n`;
    const path = bundleWith(t, text);
    const before = statSync(path);
    assert.equal(prepareBundle(path, { hookBin: HOOK }), 'untouched', JSON.stringify(cfg));
    assert.equal(readFileSync(path, 'utf8'), text);
    assert.equal(statSync(path).ino, before.ino, 'same inode: not replaced');
    assert.deepEqual(readdirSync(join(path, '..')), ['config.json']);
  }
});

test('devices asked for: hooks appended after existing ones, unknown fields kept, mode kept, new inode (rename)', (t) => {
  const cfg = {
    ociVersion: '1.0.2', future: { keep: [1, 2, { deep: null }] }, process: { args: ['sh'], 'x-vendor': true },
    hooks: { createRuntime: [{ path: '/other', args: ['other'], timeout: 5 }], prestart: [{ path: '/p' }], futureStage: [{ path: '/f' }] },
    linux: { netDevices: { eth9: { name: 'net0', futureField: 1 } }, unknownLinux: 'x' },
  };
  const path = bundleWith(t, JSON.stringify(cfg), 0o604);
  const ino = statSync(path).ino;
  assert.equal(prepareBundle(path, { hookBin: HOOK, hookArgs: ['--state-dir', '/s'] }), 'rewritten');
  const out = read(path);
  assert.deepEqual(out.future, cfg.future);
  assert.deepEqual(out.process, cfg.process);
  assert.deepEqual(out.linux, cfg.linux);
  assert.deepEqual(out.hooks.prestart, cfg.hooks.prestart);
  assert.deepEqual(out.hooks.futureStage, cfg.hooks.futureStage);
  assert.deepEqual(out.hooks.createRuntime, [cfg.hooks.createRuntime[0], { path: HOOK, args: ['oci-netdevices', '--state-dir', '/s', 'hook', 'createRuntime'] }]);
  assert.deepEqual(out.hooks.poststop, [{ path: HOOK, args: ['oci-netdevices', '--state-dir', '/s', 'hook', 'poststop'] }]);
  assert.equal(statSync(path).mode & 0o7777, 0o604);
  assert.notEqual(statSync(path).ino, ino);
  assert.deepEqual(readdirSync(join(path, '..')), ['config.json'], 'no temp file left');
  // A second create of the same bundle: nothing to add, nothing written.
  const again = statSync(path).ino;
  assert.equal(prepareBundle(path, { hookBin: HOOK, hookArgs: ['--state-dir', '/s'] }), 'untouched');
  assert.equal(statSync(path).ino, again);
});

test('our hook already present under other flags counts as present; only the missing stage is added', () => {
  const cfg: Record<string, unknown> = { hooks: { createRuntime: [{ path: HOOK, args: ['oci-netdevices', '--log-file', '/l', 'hook', 'createRuntime'] }] } };
  assert.equal(addOurHooks(cfg, HOOK), true);
  const hooks = cfg.hooks as Hooks;
  assert.equal(hooks.createRuntime!.length, 1);
  assert.deepEqual(hooks.poststop!.map((h) => h.args), [['oci-netdevices', 'hook', 'poststop']]);
  assert.equal(addOurHooks(cfg, HOOK), false);
  // Another binary with the same args is not ours.
  const other: Record<string, unknown> = { hooks: { createRuntime: [{ path: '/elsewhere/oci-netdevices', args: ['oci-netdevices', 'hook', 'createRuntime'] }] } };
  assert.equal(addOurHooks(other, HOOK), true);
  assert.equal((other.hooks as Hooks).createRuntime!.length, 2);
});

test('requests through annotations (ours, NRI) and the netdevices alias get hooks too', (t) => {
  for (const cfg of [
    { annotations: { 'netdevices.nri.containerd.io': '- name: eth9\n' } },
    { annotations: { 'oci-netdevices.io/devices': '{"eth9":{}}' } },
    { linux: { netdevices: [{ name: 'eth9' }] } },
    { linux: { netDevices: 'garbage is a request: the hook reports it' } },
  ]) {
    const path = bundleWith(t, JSON.stringify(cfg));
    assert.equal(prepareBundle(path, { hookBin: HOOK }), 'rewritten', JSON.stringify(cfg));
    assert.equal(read(path).hooks.createRuntime!.length, 1);
  }
});

test('integers beyond 2^53 (rlimits RLIM_INFINITY, int64 limits) survive the rewrite digit for digit', (t) => {
  const text = '{"process":{"rlimits":[{"type":"RLIMIT_NOFILE","hard":18446744073709551615,"soft":18446744073709551615}],"s":"18446744073709551615 \\" 99999999999999999999"},'
    + '"linux":{"resources":{"memory":{"limit":9223372036854775807,"swap":-9223372036854775808},"cpu":{"shares":1024,"quota":-1,"period":1.5e3}},"netDevices":{"eth9":{}}}}';
  const path = bundleWith(t, text);
  assert.equal(prepareBundle(path, { hookBin: HOOK }), 'rewritten');
  const out = readFileSync(path, 'utf8');
  assert.match(out, /"hard":18446744073709551615,"soft":18446744073709551615/);
  assert.match(out, /"limit":9223372036854775807,"swap":-9223372036854775808/);
  assert.match(out, /"s":"18446744073709551615 \\" 99999999999999999999"/, 'strings untouched');
  assert.match(out, /"shares":1024,"quota":-1,"period":1500/);
});

test('lossless JSON: plain documents round-trip as JSON.stringify would', () => {
  for (const v of [{ a: 1, b: [true, null, 'x"y\\'], c: { d: -0.5, e: 1e21 } }, [], 'str', 12]) {
    const j = parseLossless(JSON.stringify(v));
    assert.deepEqual(j.value, v);
    assert.equal(j.stringify(j.value), JSON.stringify(v));
  }
  assert.throws(() => parseLossless('{"a":'), SyntaxError);
});

test('malformed config.json and a missing one are left for the real runtime to report', (t) => {
  const path = bundleWith(t, '{"linux": {"netDevices": ');
  assert.throws(() => prepareBundle(path, { hookBin: HOOK }), SyntaxError);
  assert.throws(() => prepareBundle(join(path, '..', 'missing.json'), { hookBin: HOOK }), { code: 'ENOENT' });
});

test('native runtime: the array form goes to our annotation, the map form stays for the runtime; asked only for the array form', (t) => {
  let asked = 0;
  const native = (): boolean => {
    asked++;
    return true;
  };
  const arr = [{ name: 'eth9', properties: { name: 'net0', address: '10.1.0.2', mask: '24' } }];
  const p1 = bundleWith(t, JSON.stringify({ annotations: { keep: 'me' }, linux: { netDevices: arr, other: 1 } }));
  assert.equal(prepareBundle(p1, { hookBin: HOOK, runtimeMovesDevices: native }), 'rewritten');
  const o1 = read(p1) as unknown as { annotations: Record<string, string>; linux: Record<string, unknown> };
  assert.deepEqual(o1.linux, { other: 1 });
  assert.deepEqual(JSON.parse(o1.annotations['oci-netdevices.io/devices']!), arr);
  assert.equal(o1.annotations.keep, 'me');
  assert.equal(asked, 1);

  const map = { eth9: { name: 'net0' } };
  const p2 = bundleWith(t, JSON.stringify({ linux: { netDevices: map } }));
  assert.equal(prepareBundle(p2, { hookBin: HOOK, runtimeMovesDevices: native }), 'rewritten');
  assert.deepEqual((read(p2) as unknown as { linux: Record<string, unknown> }).linux.netDevices, map);
  assert.equal(asked, 1, 'map form: the runtime is not asked');

  // Not native: the array form stays where it is (old runtimes ignore the field).
  const p3 = bundleWith(t, JSON.stringify({ linux: { netDevices: arr } }));
  assert.equal(prepareBundle(p3, { hookBin: HOOK, runtimeMovesDevices: () => false }), 'rewritten');
  assert.deepEqual((read(p3) as unknown as { linux: Record<string, unknown> }).linux.netDevices, arr);
});

test('native hand-off refuses to merge into an annotation that is already set', () => {
  assert.throws(() => arrayFormToAnnotation({ annotations: { 'oci-netdevices.io/devices': '[]' }, linux: { netDevices: [{ name: 'a' }] } }), /use one of them/);
  assert.throws(() => arrayFormToAnnotation({ linux: { netDevices: [{ name: 'a' }], netdevices: [{ name: 'b' }] } }), /both/);
  assert.equal(arrayFormToAnnotation({ linux: { netDevices: { a: {} } } }), false);
});

test('the front door is the hook written; an entry naming the Node hook (written before it existed) counts as ours', async () => {
  const { hookBins } = await import('../../src/runtime/inject-hooks.js');
  const bins = hookBins('/opt/ond');
  assert.deepEqual(bins, { frontDoor: '/opt/ond/bin/oci-netdevices-hook', node: '/opt/ond/bin/oci-netdevices' });
  const fresh: Record<string, unknown> = {};
  assert.equal(addOurHooks(fresh, bins.frontDoor, [], [bins.node]), true);
  assert.deepEqual((fresh.hooks as Hooks).createRuntime!.map((h) => h.path), [bins.frontDoor]);
  const old: Record<string, unknown> = { hooks: { createRuntime: [{ path: bins.node, args: ['oci-netdevices', 'hook', 'createRuntime'] }], poststop: [{ path: bins.node, args: ['oci-netdevices', 'hook', 'poststop'] }] } };
  assert.equal(addOurHooks(old, bins.frontDoor, [], [bins.node]), false, 'never twice');
  const other: Record<string, unknown> = { hooks: { createRuntime: [{ path: '/usr/bin/other', args: ['other', 'hook', 'createRuntime'] }] } };
  assert.equal(addOurHooks(other, bins.frontDoor, [], [bins.node]), true);
  assert.deepEqual((other.hooks as Hooks).createRuntime!.map((h) => h.path), ['/usr/bin/other', bins.frontDoor]);
});
