/**
 * Every wait is bounded: a FIFO, a directory or a device as config.json makes the hook, `validate`
 * and the wrapper return at once with a clear line (open(2) of a FIFO would otherwise block forever).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN_DIR = resolve(fileURLToPath(import.meta.url), '../../../../bin');
const HOOK = join(BIN_DIR, 'oci-netdevices');
const WRAPPER = join(BIN_DIR, 'oci-netdevices-runtime');

const KINDS = {
  fifo: { make: (p: string) => assert.equal(spawnSync('mkfifo', [p]).status, 0), says: /is a FIFO, not a regular file/ },
  directory: { make: (p: string) => mkdirSync(p), says: /is a directory, not a regular file/ },
  device: { make: (p: string) => symlinkSync('/dev/zero', p), says: /is a character device, not a regular file/ },
} as const;

function bundleWith(kind: keyof typeof KINDS): { dir: string; config: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'ond-bounded-'));
  const config = join(dir, 'config.json');
  KINDS[kind].make(config);
  return { dir, config, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs and times a command; a hung one is killed after 10 s (and then fails the time check). */
function timed(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): { status: number | null; stderr: string; stdout: string; ms: number } {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000, killSignal: 'SIGKILL', ...opts });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout, ms: Date.now() - t0 };
}

function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line: ${stderr}`);
  return lines[0]!;
}

for (const kind of Object.keys(KINDS) as Array<keyof typeof KINDS>) {
  test(`config.json that is a ${kind}: the hook exits 2 within a second, one clear line`, (t) => {
    const b = bundleWith(kind);
    t.after(() => b.remove());
    const state = JSON.stringify({ ociVersion: '1.0.2', id: `bounded-${kind}`, status: 'creating', pid: process.pid, bundle: b.dir });
    const r = timed(HOOK, ['--log-file', 'off', 'hook', 'createRuntime'], { input: state });
    assert.ok(r.ms < 1000, `returned after ${r.ms} ms`);
    assert.equal(r.status, 2, r.stderr);
    assert.match(oneLine(r.stderr), KINDS[kind].says);
  });

  test(`config.json that is a ${kind}: validate returns within a second, one clear line`, (t) => {
    const b = bundleWith(kind);
    t.after(() => b.remove());
    const r = timed(HOOK, ['validate', b.config]);
    assert.ok(r.ms < 1000, `returned after ${r.ms} ms`);
    assert.equal(r.status, 2, r.stderr);
    // validate reads pipes (/dev/stdin): a FIFO nobody writes to is read to its (immediate) end.
    assert.match(oneLine(r.stderr), kind === 'fifo' ? /config .*config\.json is empty/ : KINDS[kind].says);
  });

  test(`config.json that is a ${kind}: the wrapper's create returns within a second, one clear line`, (t) => {
    const b = bundleWith(kind);
    t.after(() => b.remove());
    const fake = join(b.dir, 'fake-runc');
    writeFileSync(fake, '#!/bin/sh\necho "fake runtime ran" >&2\nexit 0\n');
    chmodSync(fake, 0o755);
    const r = timed(WRAPPER, ['create', '--bundle', b.dir, `bounded-${kind}`], { env: { ...process.env, OCI_NETDEVICES_RUNTIME: fake, OCI_NETDEVICES_STATE_DIR: join(b.dir, 'state') } });
    assert.ok(r.ms < 1000, `returned after ${r.ms} ms`);
    assert.equal(r.status, 2, r.stderr);
    assert.match(oneLine(r.stderr), KINDS[kind].says);
  });
}

test('the container state on stdin is bounded like config.json', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ond-bounded-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // 9 MB of stdin, over the 8 MB bound: refused without reading it all into memory.
  const r = timed('sh', ['-c', `head -c ${9 * 1024 * 1024} /dev/zero | "$0" --log-file off hook createRuntime`, HOOK]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(oneLine(r.stderr), /container state on stdin is over the limit of 8388608 bytes/);
});
