/** Which real runtime the wrapper becomes, and finding it without finding ourselves. */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { chooseRuntime, resolveExecutable } from '../../src/runtime/real-runtime.js';

test('env, then the wrapper name, then /etc/oci-netdevices/runtime.json, then runc', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ond-choose-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const none = join(dir, 'absent.json');
  const conf = join(dir, 'runtime.json');
  writeFileSync(conf, '{"runtime": "crun"}');
  assert.equal(chooseRuntime('/usr/bin/oci-netdevices-runtime', {}, none), 'runc');
  assert.equal(chooseRuntime('/usr/bin/oci-netdevices-runtime', {}, conf), 'crun');
  assert.equal(chooseRuntime('/usr/local/bin/oci-netdevices-crun', {}, none), 'crun');
  assert.equal(chooseRuntime('/usr/local/bin/oci-netdevices-youki', {}, conf), 'youki', 'the name is more specific than the host default');
  assert.equal(chooseRuntime('/x/oci-netdevices-crun', { OCI_NETDEVICES_RUNTIME: '/opt/runc' }, conf), '/opt/runc');
  assert.equal(chooseRuntime('/x/oci-netdevices-runtime', { OCI_NETDEVICES_RUNTIME: '' }, none), 'runc', 'empty env is unset');
  writeFileSync(conf, '{}');
  assert.equal(chooseRuntime('/x/oci-netdevices-runtime', {}, conf), 'runc');
  writeFileSync(conf, '{"runtime": 3}');
  assert.throws(() => chooseRuntime('/x/oci-netdevices-runtime', {}, conf), /must be a non-empty string/);
  writeFileSync(conf, '{');
  assert.throws(() => chooseRuntime('/x/oci-netdevices-runtime', {}, conf), /runtime\.json/);
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
