'use strict';
// Loads a dist/ script (a bundle, the generated validators) as CommonJS, as require() would, but through
// V8's code cache: <file>.v8cache, written by the build (src/build/code-cache.ts) after a warm-up, holds
// the bytecode of the functions a hook start runs, so a cold start neither parses the 270 KB bundle and
// the 220 KB of validators nor compiles those functions (~10 ms).
// A missing or stale cache, or one V8 rejects (another Node, other flags), costs only the plain compile.
const { closeSync, fstatSync, openSync, readFileSync } = require('node:fs');
const { dirname } = require('node:path');
// The module class itself: require('node:module') would also load Node's ESM loader and source maps (0.3 ms).
const Module = module.constructor;
const vm = require('node:vm');

const MAGIC = 'ond-v8cache';

/** The cache's first line names the bundle it was made from: V8 itself checks only the source's length. */
function cacheHeader(size, mtimeMs) {
  return `${MAGIC} ${size} ${mtimeMs}\n`;
}

function readCache(file, size, mtimeMs) {
  let data;
  try {
    data = readFileSync(`${file}.v8cache`);
  } catch {
    return undefined;
  }
  const header = Buffer.from(cacheHeader(size, mtimeMs));
  return data.length > header.length && data.subarray(0, header.length).equals(header) ? data.subarray(header.length) : undefined;
}

/** Every script compiled here, by path: the build writes each one's cache after its warm-up. */
const compiled = new Map();

function compile(file) {
  const fd = openSync(file, 'r');
  let source;
  let st;
  try {
    st = fstatSync(fd);
    source = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  const cachedData = readCache(file, st.size, st.mtimeMs);
  const script = new vm.Script(Module.wrap(source), { filename: file, ...(cachedData !== undefined ? { cachedData } : {}) });
  const c = { script, header: cacheHeader(st.size, st.mtimeMs) };
  compiled.set(file, c);
  return c;
}

function run(compiled, file) {
  const m = { exports: {}, id: file, filename: file, loaded: false, children: [], paths: [] };
  compiled.script.runInThisContext()(m.exports, Module.createRequire(file), m, file, dirname(file));
  m.loaded = true;
  return m.exports;
}

module.exports = { compile, run, compiled, load: (file) => run(compile(file), file) };
