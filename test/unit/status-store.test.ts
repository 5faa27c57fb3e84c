/** Status files in the state dir: atomic write, read one or all, remove; ids checked; 0700 dir. */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { StateDir } from '../../src/state/state-dir.js';
import type { DeviceStatus } from '../../src/status/device-status.js';
import { readStatus, removeStatus, writeStatus } from '../../src/status/status-store.js';

const entry = (device: string): DeviceStatus => ({
  driver: 'oci-netdevices.io', pool: 'node1', device,
  conditions: [{ type: 'Ready', status: 'True', reason: 'NetworkDeviceReady', message: 'm', lastTransitionTime: '2025-01-01T00:00:00Z' }],
});

test('write, read one, read all (sorted), remove; nothing else left in the dir', (t) => {
  const root = join(mkdtempSync(join(tmpdir(), 'ond-status-')), 'state');
  t.after(() => rmSync(join(root, '..'), { recursive: true, force: true }));
  const dir = new StateDir(root);
  assert.deepEqual(readStatus(dir), [], 'no state dir yet: empty, and not created by a read');
  writeStatus(dir, 'c2', [entry('b')]);
  writeStatus(dir, 'c1', [entry('a')]);
  writeStatus(dir, 'c1', [entry('a'), entry('c')]);
  assert.equal(statSync(join(root, 'status')).mode & 0o777, 0o700);
  assert.equal(statSync(join(root, 'status', 'c1.json')).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(join(root, 'status')).sort(), ['c1.json', 'c2.json']);
  assert.deepEqual(readStatus(dir, 'c1'), [{ containerId: 'c1', devices: [entry('a'), entry('c')] }]);
  assert.deepEqual(readStatus(dir).map((s) => s.containerId), ['c1', 'c2']);
  assert.deepEqual(readStatus(dir, 'nope'), []);
  writeFileSync(join(root, 'status', 'junk.txt'), '');
  assert.deepEqual(readStatus(dir).map((s) => s.containerId), ['c1', 'c2']);
  removeStatus(dir, 'c1');
  removeStatus(dir, 'c1');
  assert.deepEqual(readStatus(dir).map((s) => s.containerId), ['c2']);
});

test('container ids become file names only when valid', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'ond-status-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dir = new StateDir(root);
  for (const bad of ['../x', '', '.hidden', 'a/b']) {
    assert.throws(() => writeStatus(dir, bad, []), /not valid/, bad);
    assert.throws(() => readStatus(dir, bad), /not valid/, bad);
  }
});
