/**
 * The build's code cache for the hook bundle (src/build/code-cache.ts) comes from a warm-up that ran
 * a whole device move, in namespaces of its own: built as root, as here, it must. A warm-up that
 * silently fell back to validation only would leave some 4 ms of compiling on every cold hook's
 * device path.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');
const ENTRY = join(ROOT, 'dist', 'bundle', 'entry.js');

const links = (): string => execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).split('\n').map((l) => l.split(':')[1]?.trim()).sort().join(',');

test('built as root, the hook bundle\'s code cache is warmed by a whole device move, and the warm-up leaves the host as it was', () => {
  assert.equal(process.getuid?.(), 0, 'the integration tier runs as root');
  const before = links();
  const mounts = readFileSync('/proc/mounts', 'utf8');
  execFileSync(process.execPath, [join(ROOT, 'dist', 'src', 'build', 'code-cache.js')], { stdio: ['ignore', 'ignore', 'pipe'] });
  assert.equal(readFileSync(`${ENTRY}.v8cache.warm-up`, 'utf8'), 'device\n');
  assert.equal(links(), before, 'no link made or moved on the host');
  assert.equal(readFileSync('/proc/mounts', 'utf8'), mounts, 'no mount left');
  // The cache is one V8 takes: the hook's bundle compiles from it.
  const loader = createRequire(import.meta.url)(join(ROOT, 'bin', 'load-bundle.cjs')) as { compile(f: string): { script: { cachedDataRejected?: boolean } } };
  assert.equal(loader.compile(ENTRY).script.cachedDataRejected, false);
});
