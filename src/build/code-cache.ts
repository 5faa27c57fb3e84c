/**
 * Build step (npm run bundle, after bundle.ts): V8 code caches for the bundles the launchers load
 * (bin/load-bundle.cjs). entry.js's cache is written after a warm-up hook start, and then holds the
 * bytecode of every function that start ran (functions it did not run are compiled when first
 * called, some 4 ms of a cold hook's device path):
 * - as root, with unshare(1) and ip(8): a whole createRuntime moving a device, inside a network
 *   namespace of its own that plays the host (a veth made there, moved into a second namespace held
 *   by a sleeping process; both namespaces, and the veth, are gone when the warm-up ends);
 * - otherwise, or when that fails: as far as validation goes (a createRuntime with this process's
 *   own pid, which the hook refuses, the host's netns, before any lock, state or kernel change).
 * runtime-entry.js's cache holds what compiling it makes. The validators
 * (dist/src/config/generated/validators.cjs), loaded by the warm-up through the same loader, get
 * theirs. Each bundle runs in a child of its own.
 *
 * node dist/src/build/code-cache.js                 writes both caches
 * node dist/src/build/code-cache.js --one F [B [ok]] (the child) compiles F, warms up with bundle B
 *   (state on stdin) if given, writes F.v8cache; `ok`: the warm-up hook must succeed (else exit 3)
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

async function one(file: string, bundle: string | undefined, mustSucceed: boolean): Promise<void> {
  rmSync(`${file}.v8cache`, { force: true });
  if (bundle !== undefined) rmSync(`${VALIDATORS}.v8cache`, { force: true });
  const loader = createRequire(import.meta.url)(join(root, 'bin', 'load-bundle.cjs')) as Loader;
  const compiled = loader.compile(file);
  const exports = loader.run(compiled, file);
  if (bundle !== undefined) await exports.run!([process.argv[0]!, join(root, 'bin', 'oci-netdevices'), '--log-file', 'off', '--state-dir', join(bundle, 'state'), '--teardown', 'kernel', 'hook', 'createRuntime']);
  if (mustSucceed && (process.exitCode ?? 0) !== 0) process.exit(3);
  for (const [path, c] of loader.compiled) writeFileSync(`${path}.v8cache`, Buffer.concat([Buffer.from(c.header), c.script.createCachedData()]));
  if (bundle !== undefined && !loader.compiled.has(VALIDATORS)) throw new Error('the warm-up did not load the validators: their cache would be missing');
}

/**
 * Runs `node <this> --one <entry> <bundle> ok` inside a fresh network namespace (argv: node, this
 * file, entry, bundle) that plays the host: a veth warm0 there, a sleeping process in a second
 * namespace as the container, its pid in the state on the child's stdin.
 */
const DEVICE_WARM_UP = [
  'ip link add warm0 type veth peer name warm0p || exit 1',
  'unshare --net sleep 60 & pid=$!',
  // unshare execs sleep once its namespace is made: wait for that before naming the pid.
  'i=0; while [ "$(readlink /proc/$pid/ns/net)" = "$(readlink /proc/self/ns/net)" ]; do i=$((i+1)); [ $i -lt 500 ] || { kill $pid; exit 1; }; sleep 0.01; done',
  `printf '{"ociVersion":"1.0.2","id":"code-cache","status":"creating","pid":%s,"bundle":"%s"}' "$pid" "$4" | "$1" "$2" --one "$3" "$4" ok`,
  'rc=$?; kill $pid; exit $rc',
].join('\n');

if (process.argv[2] === '--one') {
  await one(process.argv[3]!, process.argv[4], process.argv[5] === 'ok');
  process.exit(0);
} else {
  const bundle = mkdtempSync(join(tmpdir(), 'ond-code-cache-'));
  try {
    writeFileSync(join(bundle, 'config.json'), JSON.stringify({ ociVersion: '1.0.2', linux: { namespaces: [{ type: 'network' }], netDevices: [{ name: 'warm0', properties: { name: 'eth0', address: '10.0.0.2', mask: '24', mtu: 1400 } }] } }));
    // This process's pid is in the host's netns: the warm-up hook refuses it at validation.
    const state = JSON.stringify({ ociVersion: '1.0.2', id: 'code-cache', status: 'creating', pid: process.pid, bundle });
    // The launchers start Node without NODE_OPTIONS: V8 rejects a cache made under other flags.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NODE_')));
    const self = fileURLToPath(import.meta.url);
    const entry = join(bundleDir, 'entry.js');
    const device = process.getuid?.() === 0 ? spawnSync('unshare', ['--net', 'sh', '-c', DEVICE_WARM_UP, 'sh', process.execPath, self, entry, bundle], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', env }) : undefined;
    if (device?.status !== 0) {
      if (device !== undefined) console.error(`code cache: the device warm-up did not run (${device.error?.message ?? (device.stderr.trim() || `exit ${device.status}`)}); warming up as far as validation`);
      rmSync(join(bundle, 'state'), { recursive: true, force: true });
      const r = spawnSync(process.execPath, [self, '--one', entry, bundle], { stdio: ['pipe', 'ignore', 'pipe'], encoding: 'utf8', input: state, env });
      if (r.status !== 0) throw new Error(`code cache for entry.js: ${r.stderr}`);
    }
    // Which warm-up made the cache (test/integration/code-cache-warm-up.test.ts holds a root build to `device`).
    writeFileSync(`${entry}.v8cache.warm-up`, `${device?.status === 0 ? 'device' : 'validation'}\n`);
    const r = spawnSync(process.execPath, [self, '--one', join(bundleDir, 'runtime-entry.js')], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', env });
    if (r.status !== 0) throw new Error(`code cache for runtime-entry.js: ${r.stderr}`);
  } finally {
    rmSync(bundle, { recursive: true, force: true });
  }
}
