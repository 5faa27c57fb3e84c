/**
 * Our executables start Node with an environment we choose: the caller's NODE_OPTIONS,
 * NODE_EXTRA_CA_CERTS, NODE_PATH... do not reach it (bin/node-env.sh), and the wrapper still
 * hands them, unchanged, to the real runtime.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN_DIR = resolve(fileURLToPath(import.meta.url), '../../../../bin');
const HOOK = join(BIN_DIR, 'oci-netdevices');
const WRAPPER = join(BIN_DIR, 'oci-netdevices-runtime');
const FRONT_DOOR = join(BIN_DIR, 'oci-netdevices-hook');

const port = (): number => 20000 + Math.floor(Math.random() * 20000);

/** True when something accepts a TCP connection on 127.0.0.1:port. */
function listening(p: number): Promise<boolean> {
  return new Promise((done) => {
    const s = createConnection({ host: '127.0.0.1', port: p });
    s.once('connect', () => {
      s.destroy();
      done(true);
    });
    s.once('error', () => done(false));
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** read(2)'s syscall number, where /proc/<pid>/syscall can tell a process blocked reading fd 0. */
const READ_NR: Partial<Record<string, number>> = { x64: 0, arm64: 63 };

/** Polls /proc/<pid>/syscall until the process sits in read(0, ...) (up to 10 s; a fixed pause where the number is unknown). */
async function waitUntilReadingStdin(pid: number): Promise<void> {
  const nr = READ_NR[process.arch];
  if (nr === undefined) return sleep(2000);
  for (let i = 0; i < 200; i++) {
    let line = '';
    try {
      line = readFileSync(`/proc/${pid}/syscall`, 'utf8');
    } catch {
      /* not yet, or not readable */
    }
    const exe = (() => {
      try {
        return readlinkSync(`/proc/${pid}/exe`);
      } catch {
        return '';
      }
    })();
    if (exe.endsWith('/node') && line.startsWith(`${nr} 0x0 `)) return;
    await sleep(50);
  }
}

/** Starts `argv` with its stdin left open (a hook waits there for the state), returns it and its stderr. */
function startWaiting(argv: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; stderr: () => string; exit: Promise<number | null> } {
  const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  return { child, stderr: () => err, exit };
}

test('NODE_OPTIONS=--inspect: the hook opens no debugger port and prints nothing of it (plain node does)', async () => {
  const p = port();
  const env = { ...process.env, NODE_OPTIONS: `--inspect=127.0.0.1:${p}` };
  // Control: the same environment given to node directly does open the port, so the check below can fail.
  const control = startWaiting([process.execPath, '-e', 'process.stdin.resume()'], env);
  let controlOpen = false;
  for (let i = 0; i < 100 && !controlOpen; i++) {
    await sleep(50);
    controlOpen = await listening(p);
  }
  assert.equal(controlOpen, true, 'control: node itself listens with this NODE_OPTIONS');
  control.child.kill('SIGKILL');
  await control.exit;

  const hook = startWaiting([HOOK, '--log-file', 'off', 'hook', 'createRuntime'], env);
  // Until the hook's JavaScript waits on stdin (Node opens the inspector before that), then a little more.
  await waitUntilReadingStdin(hook.child.pid!);
  await sleep(200);
  const open = await listening(p);
  hook.child.stdin!.end('not json');
  const code = await hook.exit;
  assert.equal(open, false, 'the hook must not listen on the inspector port');
  assert.equal(code, 2);
  assert.deepEqual(hook.stderr().trim().split('\n'), [hook.stderr().trim()], 'one line');
  assert.match(hook.stderr(), /^oci-netdevices: container state on stdin is not JSON/);
  assert.doesNotMatch(hook.stderr(), /Debugger|inspector/i);
});

test("NODE_OPTIONS='--require x', NODE_PATH and NODE_EXTRA_CA_CERTS of the caller do not break the hook", (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ond-env-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'config.json'), '{}');
  const env = { ...process.env, NODE_OPTIONS: '--require ./does-not-exist-x', NODE_PATH: '/nonexistent', NODE_EXTRA_CA_CERTS: join(dir, 'no-such-ca.pem') };
  const control = spawnSync(process.execPath, ['-e', '0'], { env, encoding: 'utf8', cwd: dir });
  assert.notEqual(control.status, 0, 'control: node itself dies of this NODE_OPTIONS');
  const r = spawnSync(HOOK, ['--log-file', 'off', 'hook', 'createRuntime'], { env, cwd: dir, encoding: 'utf8', input: JSON.stringify({ ociVersion: '1.0.2', id: 'env1', status: 'creating', pid: process.pid, bundle: dir }) });
  assert.equal(r.stderr, '');
  assert.equal(r.status, 0, 'a config asking for nothing: nothing done, exit 0');
  const v = spawnSync(HOOK, ['validate', join(dir, 'config.json')], { env, encoding: 'utf8' });
  assert.equal(v.status, 0, v.stderr);
});

test("the front door with no daemon runs node itself, without the caller's NODE_OPTIONS, NODE_PATH and NODE_EXTRA_CA_CERTS", (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ond-env-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'config.json'), '{}');
  const env = {
    ...process.env, OCI_NETDEVICES_DAEMON_SOCKET: join(dir, 'no-daemon.sock'),
    NODE_OPTIONS: '--require ./does-not-exist-x', NODE_PATH: '/nonexistent', NODE_EXTRA_CA_CERTS: join(dir, 'no-such-ca.pem'), UV_THREADPOOL_SIZE: 'x',
  };
  const state = (id: string): string => JSON.stringify({ ociVersion: '1.0.2', id, status: 'creating', pid: process.pid, bundle: dir });
  const r = spawnSync(FRONT_DOOR, ['--log-file', 'off', 'hook', 'createRuntime'], { env, cwd: dir, encoding: 'utf8', input: state('env2') });
  assert.equal(r.stderr, '');
  assert.equal(r.status, 0, 'a config asking for nothing: nothing done, exit 0');
  // The Node hook's own answer, reached through the front door: a usage error names the hook's flags.
  const bad = spawnSync(FRONT_DOOR, ['--log-file', 'off', 'hook', 'createRuntime'], { env, cwd: dir, encoding: 'utf8', input: 'not json' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^oci-netdevices: container state on stdin is not JSON/);
  // Without a node on PATH the front door says so in one line, as the launcher's `exec node` would fail.
  const noNode = spawnSync(FRONT_DOOR, ['--log-file', 'off', 'hook', 'createRuntime'], { env: { ...env, PATH: dir }, cwd: dir, encoding: 'utf8', input: state('env3') });
  assert.notEqual(noNode.status, 0);
  assert.match(noNode.stderr, /^oci-netdevices: cannot run node .* on PATH: No such file or directory\n$/);
});

test('the wrapper starts without the caller NODE_* variables and gives them back unchanged to the real runtime', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ond-env-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const fake = join(dir, 'fake-runc');
  writeFileSync(fake, `#!/bin/sh\nenv -0 > ${join(dir, 'env')}\n`);
  chmodSync(fake, 0o755);
  const multi = 'line one\nNODE_FAKE=planted\nline three';
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH, OCI_NETDEVICES_RUNTIME: fake, NODE_OPTIONS: '--require ./does-not-exist-x', NODE_EXTRA_CA_CERTS: '/nonexistent.pem',
    NODE_ODD: "it's $HOME `x` \\ end", OTHER: multi, UV_THREADPOOL_SIZE: '3',
  };
  const r = spawnSync(WRAPPER, ['state', 'c1'], { env, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const got = Object.fromEntries(readFileSync(join(dir, 'env'), 'utf8').split('\0').filter((l) => l !== '').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  for (const k of ['NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS', 'NODE_ODD', 'OTHER', 'UV_THREADPOOL_SIZE', 'OCI_NETDEVICES_RUNTIME']) assert.equal(got[k], env[k], k);
  assert.equal(got.NODE_FAKE, undefined, 'a line inside a value is not a variable');
  assert.deepEqual(Object.keys(got).filter((k) => k.startsWith('OCI_NETDEVICES_CALLER')), []);
});
