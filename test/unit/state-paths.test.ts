import assert from 'node:assert/strict';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { UsageError } from '../../src/errors.js';
import { readFileNoFollow } from '../../src/state/atomic-file.js';
import { StateDir, ensureDir, isContainerId, isIfname, resolveStateDir } from '../../src/state/state-dir.js';

const scratch = mkdtempSync(join(tmpdir(), 'ond-state-paths-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;
const fresh = (): string => join(scratch, `s${n++}`);

test('the state directory comes from the flag (its env variable is folded in by the CLI), else /run/oci-netdevices; absolute only', () => {
  assert.equal(resolveStateDir(undefined), '/run/oci-netdevices');
  assert.equal(resolveStateDir('/flag'), '/flag');
  for (const bad of ['relative', './x', '/a/../b', '']) assert.throws(() => resolveStateDir(bad), UsageError, bad);
});

test('container ids are checked before they become paths', () => {
  const dir = new StateDir(fresh());
  for (const good of ['abc', 'a'.repeat(128), 'A-b_c.d+e', '0123abcdef']) {
    assert.equal(isContainerId(good), true, good);
    assert.equal(dir.containerDir(good, false), join(dir.root, 'containers', good));
  }
  for (const bad of ['', '.', '..', '../x', 'a/b', '/abs', 'a..b', '-lead', '.hidden', 'a'.repeat(129), 'a b', 'a\nb', 'a\0b', 'é']) {
    assert.equal(isContainerId(bad), false, JSON.stringify(bad));
    assert.throws(() => dir.containerDir(bad, true), UsageError, JSON.stringify(bad));
    assert.throws(() => dir.containerFile(bad, 'journal.json', true), UsageError, JSON.stringify(bad));
  }
});

test('interface names are checked before they name lock and claim files', () => {
  const dir = new StateDir(fresh());
  assert.equal(dir.deviceFile('locks', 'eth0'), join(dir.root, 'locks', 'eth0.lock'));
  assert.equal(dir.deviceFile('claims', 'veth-1.a'), join(dir.root, 'claims', 'veth-1.a'));
  for (const bad of ['', '.', '..', 'a/b', 'a:b', 'a b', 'a'.repeat(16), 'é'.repeat(8)]) {
    assert.equal(isIfname(bad), false, JSON.stringify(bad));
    assert.throws(() => dir.deviceFile('locks', bad), UsageError, JSON.stringify(bad));
  }
});

test('directories are made 0700; a group/other-writable one is refused, not tightened (what was planted stays untrusted)', () => {
  const root = fresh();
  const dir = new StateDir(root);
  dir.containerDir('c1', true);
  for (const p of [root, join(root, 'containers'), join(root, 'containers', 'c1')]) assert.equal(statSync(p).mode & 0o777, 0o700, p);
  const readable = fresh();
  mkdirSync(readable, { mode: 0o755 });
  chmodSync(readable, 0o755);
  ensureDir(readable);
  assert.equal(statSync(readable).mode & 0o777, 0o755, 'readable by others is fine');
  for (const mode of [0o775, 0o757, 0o1777]) {
    const wide = fresh();
    mkdirSync(wide);
    chmodSync(wide, mode);
    assert.throws(() => ensureDir(wide), /writable by (its group|others).*refusing to use it/);
    assert.equal(statSync(wide).mode & 0o7777, mode, 'left as it was');
    assert.throws(() => new StateDir(wide).containerDir('c1', false), /refusing to use it/, 'reading through it is refused too');
  }
});

test('a symlink or a file where a state directory belongs is refused, never followed', () => {
  const target = fresh();
  mkdirSync(target);
  const root = fresh();
  mkdirSync(root, { mode: 0o700 });
  symlinkSync(target, join(root, 'containers'));
  assert.throws(() => new StateDir(root).containerDir('c1', true), /must be a directory, not a symlink/);
  assert.equal(lstatSync(join(target)).isDirectory(), true);
  assert.throws(() => statSync(join(target, 'c1')), /ENOENT/, 'nothing was created through the symlink');

  const root2 = fresh();
  mkdirSync(root2, { mode: 0o700 });
  symlinkSync(target, join(root2, 'locks'));
  assert.throws(() => new StateDir(root2).deviceFile('locks', 'eth1'), /symlink/);

  const root3 = fresh();
  writeFileSync(root3, 'not a dir');
  assert.throws(() => new StateDir(root3).containersDir(), /must be a directory/);

  const linkRoot = fresh();
  symlinkSync(target, linkRoot);
  assert.throws(() => new StateDir(linkRoot).containersDir(), /symlink/);
});

test('state files are read without following symlinks', () => {
  const d = fresh();
  mkdirSync(d);
  writeFileSync(join(d, 'real'), 'secret');
  symlinkSync(join(d, 'real'), join(d, 'link'));
  assert.equal(readFileNoFollow(join(d, 'real')), 'secret');
  assert.throws(() => readFileNoFollow(join(d, 'link')), /is a symlink: refusing to follow it/);
  assert.equal(readFileNoFollow(join(d, 'absent')), undefined);
});
