/** Which real runtime the wrapper becomes, and finding it without finding ourselves. */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { chooseRuntime, resolveExecutable } from '../../src/runtime/real-runtime.js';
import { hookArgsFromEnv, wrapperStateDir } from '../../src/runtime/state-probe.js';
import { readWrapperConfig } from '../../src/runtime/wrapper-config.js';

test('env, then the wrapper name, then /etc/oci-netdevices/runtime.json, then runc', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ond-choose-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const none = join(dir, 'absent.json');
  const conf = join(dir, 'runtime.json');
  writeFileSync(conf, '{"runtime": "crun"}');
  assert.equal(chooseRuntime('/usr/bin/oci-netdevices-runtime', {}, readWrapperConfig(none)), 'runc');
  assert.equal(chooseRuntime('/usr/bin/oci-netdevices-runtime', {}, readWrapperConfig(conf)), 'crun');
  assert.equal(chooseRuntime('/usr/local/bin/oci-netdevices-crun', {}, readWrapperConfig(none)), 'crun');
  assert.equal(chooseRuntime('/usr/local/bin/oci-netdevices-youki', {}, readWrapperConfig(conf)), 'youki', 'the name is more specific than the host default');
  assert.equal(chooseRuntime('/x/oci-netdevices-crun', { OCI_NETDEVICES_RUNTIME: '/opt/runc' }, readWrapperConfig(conf)), '/opt/runc');
  assert.equal(chooseRuntime('/x/oci-netdevices-runtime', { OCI_NETDEVICES_RUNTIME: '' }, readWrapperConfig(none)), 'runc', 'empty env is unset');
  writeFileSync(conf, '{}');
  assert.equal(chooseRuntime('/x/oci-netdevices-runtime', {}, readWrapperConfig(conf)), 'runc');
  writeFileSync(conf, '{"runtime": 3}');
  assert.throws(() => chooseRuntime('/x/oci-netdevices-runtime', {}, readWrapperConfig(conf)), /must be a non-empty string/);
  writeFileSync(conf, '{');
  assert.throws(() => chooseRuntime('/x/oci-netdevices-runtime', {}, readWrapperConfig(conf)), /runtime\.json/);
});

test('runtime.json also gives the state dir and log file (podman passes no environment); the environment wins', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ond-choose-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const conf = join(dir, 'runtime.json');
  writeFileSync(conf, '{"stateDir": "/run/x", "logFile": "/var/log/x.log"}');
  const c = readWrapperConfig(conf);
  assert.equal(wrapperStateDir({}, c), '/run/x');
  assert.deepEqual(hookArgsFromEnv({}, c), ['--log-file', '/var/log/x.log', '--state-dir', '/run/x']);
  assert.equal(wrapperStateDir({ OCI_NETDEVICES_STATE_DIR: '/run/env' }, c), '/run/env');
  assert.deepEqual(hookArgsFromEnv({ OCI_NETDEVICES_STATE_DIR: '/run/env', OCI_NETDEVICES_LOG: 'off' }, c), ['--log-file', 'off', '--state-dir', '/run/env']);
  assert.equal(wrapperStateDir({}, {}), '/run/oci-netdevices');
  assert.deepEqual(hookArgsFromEnv({}, {}), []);
  writeFileSync(conf, '{"stateDir": "relative/dir"}');
  assert.throws(() => readWrapperConfig(conf), /"stateDir" must be an absolute path/);
  writeFileSync(conf, '[]');
  assert.throws(() => readWrapperConfig(conf), /must hold a JSON object/);
});

test('PATH lookup skips the wrapper itself (installed as `runc` ahead of the real one)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ond-choose-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const mine = join(dir, 'wrapper');
  const first = join(dir, 'first');
  const second = join(dir, 'second');
  mkdirSync(first);
  mkdirSync(second);
  writeFileSync(mine, '#!/bin/sh\n');
  writeFileSync(join(second, 'runc'), '#!/bin/sh\n');
  writeFileSync(join(second, 'noexec'), '');
  chmodSync(mine, 0o755);
  chmodSync(join(second, 'runc'), 0o755);
  symlinkSync(mine, join(first, 'runc'));
  const env = { PATH: `${first}:relative:${second}` };
  assert.equal(resolveExecutable('runc', env), join(first, 'runc'));
  assert.equal(resolveExecutable('runc', env, mine), join(second, 'runc'));
  assert.equal(resolveExecutable(join(second, 'runc'), env, mine), join(second, 'runc'));
  assert.throws(() => resolveExecutable(join(first, 'runc'), env, mine), /other than this wrapper/);
  assert.throws(() => resolveExecutable('no-such-runtime-xyz', { PATH: second }), /not found in PATH/);
});
