/** native readDirFiles: the regular files of one directory in one call (src/apply/host-extras.ts reads net.ipv6.conf.<dev> with it). */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { native } from '../../src/native/binding.js';

const dir = mkdtempSync(join(tmpdir(), 'ond-readdir-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('regular files with their contents, cut at maxBytes; directories and symlinks left out', () => {
  writeFileSync(join(dir, 'a'), '1\n');
  writeFileSync(join(dir, 'long'), 'x'.repeat(100));
  mkdirSync(join(dir, 'sub'));
  symlinkSync(join(dir, 'a'), join(dir, 'link'));
  const got = new Map(native().readDirFiles(dir, 10));
  assert.deepEqual([...got.keys()].sort(), ['a', 'long']);
  assert.equal(got.get('a'), '1\n');
  assert.equal(got.get('long'), 'x'.repeat(10));
});

test('a file that cannot be read is left out: /proc/sys/net/ipv6/conf/lo/stable_secret reads EIO until set', () => {
  const files = new Map(native().readDirFiles('/proc/sys/net/ipv6/conf/lo', 4096));
  assert.match(files.get('mtu') ?? '', /^\d+\n$/);
  assert.equal(files.has('stable_secret'), false, 'stable_secret reads EIO until set');
});

test('a directory that cannot be opened throws with the errno shape', () => {
  assert.throws(() => native().readDirFiles(join(dir, 'missing'), 16), (e: NodeJS.ErrnoException) => e.code === 'ENOENT' && e.syscall === 'open' && e.path === join(dir, 'missing'));
});
