import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DeviceBusyError } from '../../src/errors.js';
import { DeviceLocks, dropClaim, readClaim, writeClaim } from '../../src/state/device-lock.js';
import { StateDir } from '../../src/state/state-dir.js';

const scratch = mkdtempSync(join(tmpdir(), 'ond-lock-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

test('a held device lock refuses a second holder, naming the holding container; released, it can be taken', () => {
  const dir = new StateDir(join(scratch, 'a'));
  const first = DeviceLocks.acquire(dir, ['veth2', 'veth1'], 'ctr-one');
  assert.equal(readFileSync(dir.deviceFile('locks', 'veth1'), 'utf8'), 'ctr-one');
  // flock locks belong to the open file: a second open in this process contends like another process.
  assert.throws(() => DeviceLocks.acquire(dir, ['veth0', 'veth1'], 'ctr-two'), (e: unknown) => e instanceof DeviceBusyError && /device "veth1" is claimed by container ctr-one/.test(e.message));
  // All or nothing: veth0 (taken before veth1 in sorted order) was released again.
  DeviceLocks.acquire(dir, ['veth0'], 'ctr-three').release();
  first.release();
  assert.equal(readFileSync(dir.deviceFile('locks', 'veth1'), 'utf8'), '', 'a released lock names nobody');
  DeviceLocks.acquire(dir, ['veth1'], 'ctr-two').release();
});

test('a claim keeps the device for its container until dropped by that container', () => {
  const dir = new StateDir(join(scratch, 'b'));
  writeClaim(dir, 'veth9', 'owner');
  assert.equal(readClaim(dir, 'veth9'), 'owner');
  assert.throws(() => DeviceLocks.acquire(dir, ['veth9'], 'other'), /device "veth9" is claimed by container owner/);
  DeviceLocks.acquire(dir, ['veth9'], 'owner').release();
  dropClaim(dir, 'veth9', 'other');
  assert.equal(readClaim(dir, 'veth9'), 'owner', 'only the owner drops its claim');
  dropClaim(dir, 'veth9', 'owner');
  assert.equal(readClaim(dir, 'veth9'), undefined);
  DeviceLocks.acquire(dir, ['veth9'], 'other').release();
});

test('a waiting acquire of a lock this process holds refuses at once (HeldInProcessError) instead of blocking forever', async () => {
  const { HeldInProcessError } = await import('../../src/state/device-lock.js');
  const dir = new StateDir(join(scratch, 'c'));
  const held = DeviceLocks.acquire(dir, ['veth5'], 'ctr-one');
  assert.throws(() => DeviceLocks.acquire(dir, ['veth4', 'veth5'], 'ctr-one', { wait: true }), (e: unknown) => e instanceof HeldInProcessError && e.device === 'veth5');
  // veth4, taken first in sorted order, was let go again: another holder gets it.
  DeviceLocks.acquire(dir, ['veth4'], 'ctr-two').release();
  held.release();
  DeviceLocks.acquire(dir, ['veth4', 'veth5'], 'ctr-one', { wait: true }).release();
});
