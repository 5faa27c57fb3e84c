/** hooks.d 1.0.0 files for podman / CRI-O: shape, anchored key regex, one file per stage, atomic write. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ANNOTATION_KEY_REGEX, hooksDFiles, writeHooksD } from '../../src/install/hooks-d.js';

test('one file per stage, each with its own args; version, absolute path, when.annotations with one anchored key regex', () => {
  const files = hooksDFiles('/opt/ond/bin/oci-netdevices', ['--state-dir', '/s']);
  assert.deepEqual(files.map((f) => f.name), ['oci-netdevices-createruntime.json', 'oci-netdevices-poststop.json']);
  assert.deepEqual(files[0]!.content, {
    version: '1.0.0',
    hook: { path: '/opt/ond/bin/oci-netdevices', args: ['oci-netdevices', '--state-dir', '/s', 'hook', 'createRuntime'] },
    when: { annotations: { '^(oci-netdevices\\.io/devices|netdevices\\.nri\\.containerd\\.io|netdevices\\.nri\\.containerd\\.io/pod|netdevice\\.noderesource\\.dev|netdevice\\.noderesource\\.dev/pod|oci-netdevices\\.io/cni)$': '.+' } },
    stages: ['createRuntime'],
  });
  assert.deepEqual(files[1]!.content.stages, ['poststop']);
  assert.deepEqual(files[1]!.content.hook.args.slice(-2), ['hook', 'poststop']);
  assert.equal(Object.keys(files[0]!.content.when.annotations).length, 1, 'several entries would be ANDed by podman');
});

test('the key regex matches exactly our keys (podman matches unanchored, Go RE2 syntax)', () => {
  const re = new RegExp(ANNOTATION_KEY_REGEX);
  for (const k of ['oci-netdevices.io/devices', 'netdevices.nri.containerd.io', 'netdevices.nri.containerd.io/pod', 'netdevice.noderesource.dev', 'netdevice.noderesource.dev/pod']) assert.ok(re.test(k), k);
  for (const k of ['xoci-netdevices.io/devices', 'oci-netdevices.io/devicesx', 'oci-netdevicesXio/devices', 'netdevices.nri.containerd.io/pods', 'netdevices.noderesource.dev', 'io.kubernetes.cri.sandbox-id', '']) assert.ok(!re.test(k), k);
  assert.doesNotMatch(ANNOTATION_KEY_REGEX, /\(\?/, 'no lookarounds or flags: RE2 has none');
});

test('writeHooksD: files 0644, valid JSON, no temp files left, rewrites in place', (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'ond-hooksd-')), 'hooks.d');
  t.after(() => rmSync(join(dir, '..'), { recursive: true, force: true }));
  const files = hooksDFiles('/h');
  const paths = writeHooksD(dir, files);
  writeHooksD(dir, files);
  assert.deepEqual(readdirSync(dir).sort(), ['oci-netdevices-createruntime.json', 'oci-netdevices-poststop.json']);
  for (const [i, p] of paths.entries()) {
    assert.equal(statSync(p).mode & 0o777, 0o644);
    assert.deepEqual(JSON.parse(readFileSync(p, 'utf8')), files[i]!.content);
  }
});
