/**
 * One daemon request runs the Node hook's code path with the request's own argv, environment and
 * stdin: its answer is what bin/oci-netdevices prints and exits with for the same input.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { HookRequest } from '../../src/daemon/protocol.js';
import { serveRequest } from '../../src/daemon/server.js';

const HOOK_BIN = resolve(fileURLToPath(import.meta.url), '../../../../bin/oci-netdevices');
const never = new AbortController().signal;

function request(args: string[], stdin: string, env: Record<string, string> = {}): HookRequest {
  return { cwd: '/', startedAt: Date.now(), args, env, stdin };
}

function viaNode(r: HookRequest): { code: number; stderr: string } {
  const p = spawnSync(HOOK_BIN, r.args, { input: r.stdin, encoding: 'utf8', cwd: r.cwd, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...r.env } });
  return { code: p.status ?? -1, stderr: p.stderr };
}

test('a request answers as the Node hook does: exit code and the one stderr line', async () => {
  const poststop = JSON.stringify({ ociVersion: '1.0.2', id: 'c1', status: 'stopped', bundle: '/nonexistent' });
  const cases: HookRequest[] = [
    request(['--log-file', 'off', 'hook', 'createRuntime'], 'not json'),
    request(['--log-file', 'off', 'hook', 'poststop'], '{"ociVersion":"1.0.2"}'),
    // The request's environment, not the daemon's: a relative state directory is refused.
    request(['hook', 'poststop'], poststop, { OCI_NETDEVICES_LOG: 'off', OCI_NETDEVICES_STATE_DIR: 'relative/dir' }),
    request(['--log-file=off', '--state-dir', 'rel', 'hook', 'poststop'], poststop),
    request(['--log-file', 'off', '--timeout', 'soon', 'hook', 'poststop'], poststop, { OCI_NETDEVICES_STATE_DIR: '/nonexistent/ond-state' }),
  ];
  for (const r of cases) {
    const answer = await serveRequest(r, never);
    assert.ok(!('node' in answer), r.args.join(' '));
    assert.deepEqual(answer, viaNode(r), `${r.args.join(' ')} ${JSON.stringify(r.env)}`);
  }
});

test('a command line the fast path does not take goes back to the Node CLI', async () => {
  for (const args of [['hook', '--help'], ['hook', 'bogus'], ['recover'], ['--state-dir', '/s', '--state-dir', '/t', 'hook', 'poststop'], []]) {
    assert.deepEqual(await serveRequest(request(args, ''), never), { node: true }, args.join(' '));
  }
});

test('work that runs CNI plugins goes back to the front door (the Node hook runs it): an ADD at createRuntime, a DEL at poststop', async () => {
  const { mkdtempSync, mkdirSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'ond-daemon-cni-'));
  try {
    const list = JSON.stringify([{ ifName: 'net1', config: { cniVersion: '1.0.0', name: 'n', plugins: [{ type: 'bridge' }] } }]);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ociVersion: '1.0.2', annotations: { 'oci-netdevices.io/cni': list } }));
    const create = JSON.stringify({ ociVersion: '1.0.2', id: 'c1', status: 'creating', pid: process.pid, bundle: dir });
    assert.deepEqual(await serveRequest(request(['--log-file', 'off', '--state-dir', join(dir, 'state'), 'hook', 'createRuntime'], create), never), { node: true });
    // Without the annotation the daemon serves it itself (nothing to do: exit 0).
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ociVersion: '1.0.2', annotations: { 'oci-netdevices.io/cni': ' ' } }));
    assert.deepEqual(await serveRequest(request(['--log-file', 'off', '--state-dir', join(dir, 'state'), 'hook', 'createRuntime'], create), never), { code: 0, stderr: '' });
    // A container whose state holds CNI attachments: its poststop's DEL goes back too.
    const state = join(dir, 'state');
    mkdirSync(join(state, 'containers', 'c1'), { recursive: true, mode: 0o700 });
    writeFileSync(join(state, 'containers', 'c1', 'cni.json'), '{}');
    const stop = JSON.stringify({ ociVersion: '1.0.2', id: 'c1', status: 'stopped', bundle: dir });
    const answer = await serveRequest(request(['--log-file', 'off', '--state-dir', state, 'hook', 'poststop'], stop), never);
    if (process.getuid?.() === 0) assert.deepEqual(answer, { node: true });
    else assert.ok(!('node' in answer) && /root/.test(answer.stderr), 'a non-root caller is refused before anything');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
