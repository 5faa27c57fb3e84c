/**
 * The native wrapper (native/front/runtime.c) against the Node wrapper's rules: every call it
 * execs itself is one the Node wrapper would pass through unchanged (same real runtime, same argv),
 * and every call Node has work for reaches Node. OCI_NETDEVICES_WRAPPER_EXPLAIN=1 makes it print
 * its decision instead of acting on it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { requestsDevices } from '../../src/config/extract.js';
import { parseRuntimeArgs, takeRuntimeFlag } from '../../src/runtime/argv.js';
import { hasStateFor } from '../../src/runtime/state-probe.js';

const WRAPPER = resolve(fileURLToPath(import.meta.url), '../../../../bin/oci-netdevices-runtime');
const scratch = mkdtempSync(join(tmpdir(), 'ond-native-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const fake = join(scratch, 'fake-runc');
writeFileSync(fake, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
const stateDir = join(scratch, 'state');
mkdirSync(join(stateDir, 'containers', 'kept'), { recursive: true });
mkdirSync(join(stateDir, 'status'), { recursive: true });
writeFileSync(join(stateDir, 'status', 'failed.json'), '{}');

function bundle(name: string, config: unknown, raw?: string): string {
  const dir = join(scratch, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), raw ?? JSON.stringify(config));
  return dir;
}

function explain(args: string[], env: Record<string, string> = {}, bin = WRAPPER): string {
  const r = spawnSync(bin, args, { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', OCI_NETDEVICES_RUNTIME: fake, OCI_NETDEVICES_STATE_DIR: stateDir, OCI_NETDEVICES_WRAPPER_EXPLAIN: '1', ...env } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

/** What the Node wrapper does with these arguments: 'node' when it has work, else the argv it execs. */
function nodeRule(args: string[]): string {
  const { args: rest, runtime } = takeRuntimeFlag(args);
  const real = runtime ?? fake;
  const call = parseRuntimeArgs(rest);
  if (call.subcommand === 'create' || call.subcommand === 'run') {
    const dir = resolve(call.bundle ?? '.', call.config ?? 'config.json');
    const config = JSON.parse(spawnSync('cat', [dir], { encoding: 'utf8' }).stdout) as unknown;
    if (requestsDevices(config)) return 'node';
  }
  if (call.subcommand === 'delete' && call.id !== undefined && hasStateFor(stateDir, call.id)) return 'node';
  return `native ${[real, ...rest].join(' ')}`;
}

const none = bundle('none', { ociVersion: '1.0.2', linux: { namespaces: [{ type: 'network' }] }, annotations: { 'other.io/x': 'y' } });
const empty = bundle('empty', { linux: { netDevices: {} } });
const map = bundle('map', { linux: { netDevices: { eth9: { name: 'x' } } } });
const annotated = bundle('ann', { annotations: { 'oci-netdevices.io/cni': '[{}]' } });
const nri = bundle('nri', { annotations: { 'netdevice.noderesource.dev': '- name: x' } });
const crunCfg = join(scratch, 'crun');
mkdirSync(crunCfg, { recursive: true });
writeFileSync(join(crunCfg, 'other.json'), JSON.stringify({ linux: { netdevices: [{ name: 'x' }] } }));
writeFileSync(join(crunCfg, 'config.json'), JSON.stringify({ linux: {} }));

test('the native wrapper decides as the Node wrapper for every subcommand, flag dialect and config', () => {
  const cases: string[][] = [
    ['state', 'c1'],
    ['--root', '/r', '--log-format', 'json', 'kill', 'c1', '9'],
    ['--root=/r', 'exec', 'c1', 'sh', '-c', 'create netDevices'],
    ['features'],
    ['--version'],
    [],
    ['--', 'start', 'c1'],
    ['create', '--bundle', none, 'c1'],
    ['run', `--bundle=${none}`, '--no-new-keyring', 'c1'],
    ['create', '-b', map, 'c1'],
    ['create', `-b${map}`, 'c1'],
    ['run', '-d', '-b', annotated, 'c1'],
    ['create', '--bundle', nri, '--pid-file', '/p', 'c1'],
    ['create', '-b', crunCfg, '-f', 'other.json', 'c1'],
    ['create', '-b', crunCfg, '--config=config.json', 'c1'],
    ['--root', '/r', 'delete', '--force', 'kept'],
    ['delete', 'failed'],
    ['delete', 'unknown'],
    ['delete', '-f', '--', 'kept'],
    ['delete', '../kept'],
    ['--oci-netdevices-runtime', fake, '--root', '/r', 'list'],
    ['--oci-netdevices-runtime=/bin/true', 'state', 'c1'],
  ];
  for (const c of cases) assert.equal(explain(c).replace(/^node .*/, 'node'), nodeRule(c), `argv: ${c.join(' ')}`);
});

test('in doubt the native wrapper hands over: an empty request, a \\u escape, a runtime not found; Node then decides', () => {
  // Node passes these through; the native side cannot be sure without a JSON parser, so Node decides.
  assert.match(explain(['create', '-b', empty, 'c1']), /^node /);
  assert.equal(nodeRule(['create', '-b', empty, 'c1']), `native ${fake} create -b ${empty} c1`);
  const escaped = bundle('esc', undefined, '{"linux":{"net\\u0044evices":{"eth9":{"name":"x"}}}}');
  assert.match(explain(['create', '-b', escaped, 'c1']), /^node /);
  assert.equal(nodeRule(['create', '-b', escaped, 'c1']), 'node', 'JSON.parse reads the escape as netDevices');
  assert.match(explain(['create', '-b', join(scratch, 'missing'), 'c1']), /^node /);
  assert.match(explain(['state', 'c1'], { OCI_NETDEVICES_RUNTIME: 'no-such-runtime-anywhere' }), /^node runtime not found/);
});

test('the runtime is chosen by the same rules: flag, environment, invoked name oci-netdevices-<runtime>, runc', () => {
  const link = join(scratch, 'oci-netdevices-fake-runc');
  symlinkSync(WRAPPER, link);
  const env = { OCI_NETDEVICES_RUNTIME: '', PATH: `${scratch}:${process.env.PATH ?? ''}` };
  assert.equal(explain(['state', 'c1'], env, link), `native ${fake} state c1`);
  assert.match(explain(['state', 'c1'], env), /^native \/\S+\/runc state c1$/);
  // The wrapper installed as `runc` first in PATH never execs itself.
  const asRunc = join(scratch, 'runc');
  symlinkSync(WRAPPER, asRunc);
  const out = explain(['state', 'c1'], env, asRunc);
  assert.match(out, /^native \/\S+\/runc state c1$/);
  assert.ok(!out.startsWith(`native ${asRunc} `), out);
});
