/** Native netDevices support: the features document, and the per-binary cache in the state dir. */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { featuresSayNetDevices, probeFeatures, runtimeFeatures } from '../../src/runtime/features.js';

test('only linux.netDevices.enabled === true means native', () => {
  assert.equal(featuresSayNetDevices('{"linux":{"netDevices":{"enabled":true}}}'), true);
  for (const s of ['{"linux":{"netDevices":{"enabled":false}}}', '{"linux":{"netDevices":{}}}', '{"linux":{}}', '{"ociVersionMax":"1.0.2-dev","hooks":["createRuntime"]}', 'null', '', 'not json', '{"linux":{"netDevices":{"enabled":"true"}}}']) {
    assert.equal(featuresSayNetDevices(s), false, s);
  }
});

function fakeRuntime(dir: string, netDevices: boolean | 'fail'): string {
  const path = join(dir, 'fake-runc');
  const body = netDevices === 'fail' ? 'echo "unknown command features" >&2; exit 1' : `[ "$1" = features ] && echo '{"linux":{"netDevices":{"enabled":${netDevices}}}}'`;
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

test('the answer is cached per binary path, size and mtime; an upgraded binary is asked again', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ond-feat-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const state = join(dir, 'state');
  const rt = fakeRuntime(dir, true);
  let probes = 0;
  const probe = (p: string): string | undefined => {
    probes++;
    return probeFeatures(p);
  };
  assert.equal(runtimeFeatures(rt, state, probe).netDevices, true);
  assert.equal(runtimeFeatures(rt, state, probe).netDevices, true);
  assert.equal(probes, 1, 'second call from the cache');
  assert.equal(statSync(join(state, 'runtime-features')).mode & 0o777, 0o700);
  assert.equal(readdirSync(join(state, 'runtime-features')).length, 1);

  fakeRuntime(dir, false);
  utimesSync(rt, new Date(), new Date(Date.now() + 5000));
  assert.equal(runtimeFeatures(rt, state, probe).netDevices, false);
  assert.equal(probes, 2);
});

test('a runtime without `features` (crun 1.8) is not native; an unwritable cache only costs a spawn', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ond-feat-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assert.equal(runtimeFeatures(fakeRuntime(dir, 'fail'), join(dir, 'state')).netDevices, false);
  writeFileSync(join(dir, 'file'), '');
  assert.equal(runtimeFeatures(fakeRuntime(dir, true), join(dir, 'file', 'state')).netDevices, true);
});
