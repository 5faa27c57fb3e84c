/**
 * Build step (npm run bundle, after bundle.ts): V8 code caches for the bundles the launchers load
 * (bin/load-bundle.cjs). entry.js's cache is written after a warm-up that runs a hook start as far
 * as validation goes: a createRuntime asking for a device, with this process's own pid, which the
 * hook refuses (the host's network namespace) before any lock, state or kernel change. The cache
 * then holds the bytecode of every function that start ran. runtime-entry.js's holds what
 * compiling it makes. The validators (dist/src/config/generated/validators.cjs), loaded by the
 * warm-up through the same loader, get theirs. Each bundle runs in a child of its own.
 *
 * node dist/src/build/code-cache.js            writes both caches
 * node dist/src/build/code-cache.js --one F [B] (the child) compiles F, warms up with bundle B if given, writes F.v8cache
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validatorsPath } from '../config/schema-check.js';
import { packageRoot } from '../package-root.js';

interface Compiled { script: { createCachedData(): Buffer }; header: string }
interface Loader {
  compile(file: string): Compiled;
  run(c: Compiled, file: string): { run?(argv: string[]): Promise<void> };
  /** Every script the loader compiled in this process (the bundle, and what the warm-up loaded through it: the validators). */
  compiled: Map<string, Compiled>;
}

const root = packageRoot();
const bundleDir = join(root, 'dist', 'bundle');

const VALIDATORS = validatorsPath();

async function one(file: string, bundle: string | undefined): Promise<void> {
  rmSync(`${file}.v8cache`, { force: true });
  if (bundle !== undefined) rmSync(`${VALIDATORS}.v8cache`, { force: true });
  const loader = createRequire(import.meta.url)(join(root, 'bin', 'load-bundle.cjs')) as Loader;
  const compiled = loader.compile(file);
  const exports = loader.run(compiled, file);
  if (bundle !== undefined) await exports.run!([process.argv[0]!, join(root, 'bin', 'oci-netdevices'), '--log-file', 'off', '--state-dir', join(bundle, 'state'), 'hook', 'createRuntime']);
  for (const [path, c] of loader.compiled) writeFileSync(`${path}.v8cache`, Buffer.concat([Buffer.from(c.header), c.script.createCachedData()]));
  if (bundle !== undefined && !loader.compiled.has(VALIDATORS)) throw new Error('the warm-up did not load the validators: their cache would be missing');
}

if (process.argv[2] === '--one') {
  await one(process.argv[3]!, process.argv[4]);
  process.exit(0);
} else {
  const bundle = mkdtempSync(join(tmpdir(), 'ond-code-cache-'));
  try {
    writeFileSync(join(bundle, 'config.json'), JSON.stringify({ ociVersion: '1.0.2', linux: { namespaces: [{ type: 'network' }], netDevices: [{ name: 'warm0', properties: { name: 'eth0', address: '10.0.0.2', mask: '24', mtu: 1400 } }] } }));
    // This process's pid is in the host's netns: the warm-up hook refuses it at validation.
    const state = JSON.stringify({ ociVersion: '1.0.2', id: 'code-cache', status: 'creating', pid: process.pid, bundle });
    // The launchers start Node without NODE_OPTIONS: V8 rejects a cache made under other flags.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NODE_')));
    for (const [name, warm] of [['entry.js', true], ['runtime-entry.js', false]] as const) {
      const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--one', join(bundleDir, name), ...(warm ? [bundle] : [])], { stdio: ['pipe', 'ignore', 'pipe'], encoding: 'utf8', input: state, env });
      if (r.status !== 0) throw new Error(`code cache for ${name}: ${r.stderr}`);
    }
  } finally {
    rmSync(bundle, { recursive: true, force: true });
  }
}
