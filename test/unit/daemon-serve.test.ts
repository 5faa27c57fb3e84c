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
