/**
 * bin/load-bundle.cjs: a bundle loads as CommonJS through V8's code cache when the cache was made
 * from that very file, and compiles plainly when there is none or it names another file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';

interface Compiled { script: { createCachedData(): Buffer; cachedDataRejected?: boolean }; header: string }
const loader = createRequire(import.meta.url)(resolve(fileURLToPath(import.meta.url), '../../../../bin/load-bundle.cjs')) as {
  compile(file: string): Compiled;
  run(c: Compiled, file: string): Record<string, unknown>;
  load(file: string): Record<string, unknown>;
};

const dir = mkdtempSync(join(tmpdir(), 'ond-load-bundle-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function writeCache(file: string): void {
  const c = loader.compile(file);
  loader.run(c, file);
  writeFileSync(`${file}.v8cache`, Buffer.concat([Buffer.from(c.header), c.script.createCachedData()]));
}

test('a bundle loads as CommonJS: exports, module, require relative to it, __filename', () => {
  const file = join(dir, 'a.js');
  writeFileSync(join(dir, 'dep.js'), 'module.exports = 41;');
  writeFileSync(file, "exports.answer = require('./dep.js') + 1; module.exports.self = __filename;");
  assert.deepEqual({ ...loader.load(file) }, { answer: 42, self: file });
});

test('the cache made from the file is used; without one the file compiles plainly', () => {
  const file = join(dir, 'b.js');
  writeFileSync(file, 'exports.f = function f(x) { return x * 2; }; exports.f(1);');
  assert.equal(loader.compile(file).script.cachedDataRejected, undefined, 'no cache: none offered to V8');
  writeCache(file);
  const c = loader.compile(file);
  assert.equal(c.script.cachedDataRejected, false, 'the cache was offered and taken');
  assert.equal((loader.run(c, file).f as (x: number) => number)(21), 42);
});

test('a cache made from another version of the file is not offered, even at the same length', () => {
  const file = join(dir, 'c.js');
  writeFileSync(file, 'exports.v = 1;');
  writeCache(file);
  // V8 itself would take it: it checks only the source's length. The header names size and mtime.
  writeFileSync(file, 'exports.v = 2;');
  utimesSync(file, new Date(), new Date(Date.now() + 5000));
  const c = loader.compile(file);
  assert.equal(c.script.cachedDataRejected, undefined);
  assert.equal(loader.run(c, file).v, 2);
});

test('the build wrote a cache for each launcher bundle and the validators, and V8 takes it', () => {
  for (const name of ['bundle/entry.js', 'bundle/runtime-entry.js', 'src/config/generated/validators.cjs']) {
    const file = resolve(fileURLToPath(import.meta.url), '../../..', name);
    assert.equal(loader.compile(file).script.cachedDataRejected, false, name);
  }
});
