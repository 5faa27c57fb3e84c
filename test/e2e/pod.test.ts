/**
 * A pod as containerd's CRI builds one, with real runtimes: a sandbox
 * container that gets the device, and app containers that join its netns by
 * path (linux.namespaces network path = /proc/<sandbox pid>/ns/net) and carry
 * the same annotations (containerd copies the pod's into every container).
 * The apps start without moving anything and leave the device to the
 * sandbox; the sandbox's delete brings it home.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { Sandbox, linkIn, sh, uniqueName } from '../integration/hook-kit.js';
import { snapshot, stateLeft } from '../integration/lifecycle-kit.js';
import { type Runtime, busyboxBundle, ensureCrunCgroups, parseIpOutput } from './e2e-kit.js';

let box = new Sandbox();
afterEach(() => {
  box.cleanup();
  box = new Sandbox();
});

function rt(runtime: Runtime, ...args: string[]): string {
  const r = spawnSync(runtime, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${runtime} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** `create` hands its stdio to the container process: give it a file, not a pipe we would wait on. */
function create(runtime: Runtime, dir: string, id: string): void {
  const out = join(dir, 'create.out');
  const fd = openSync(out, 'w');
  try {
    const r = spawnSync(runtime, ['create', '-b', dir, id], { stdio: ['ignore', fd, fd], timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${runtime} create: exit ${r.status}: ${readFileSync(out, 'utf8')}`);
  } finally {
    closeSync(fd);
  }
}

const stateOf = (runtime: Runtime, id: string): { status: string; pid: number } => JSON.parse(rt(runtime, 'state', id)) as { status: string; pid: number };

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !ok(); ) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const runtime of ['runc', 'crun'] as Runtime[]) {
  describe(`${runtime}: a pod whose app containers join the sandbox's netns by path`, () => {
    test('the sandbox moves the device; two app containers see it and move nothing; only the sandbox\'s delete brings it home', async () => {
      if (runtime === 'crun') ensureCrunCgroups();
      const [dev] = box.veth();
      sh('ip', 'addr', 'add', '10.149.0.1/24', 'dev', dev);
      sh('ip', 'link', 'set', dev, 'up');
      const before = snapshot([dev]);
      const sid = uniqueName('pod');
      const annotations = (type: 'sandbox' | 'container'): Record<string, string> => ({
        'netdevices.nri.containerd.io': `- name: ${dev}\n  new_name: net1\n  address: 10.150.0.2\n  prefix: 24\n`,
        'io.kubernetes.cri.sandbox-id': sid,
        'io.kubernetes.cri.container-type': type,
      });

      const sb = busyboxBundle(box, 'sleep 600', { stateDir: box.stateDir });
      sb.config.annotations = annotations('sandbox');
      sb.write();
      box.defer(() => spawnSync(runtime, ['delete', '-f', sid], { stdio: 'ignore' }));
      create(runtime, sb.dir, sid);
      rt(runtime, 'start', sid);
      const { pid } = stateOf(runtime, sid);
      const inSandbox = (): string => sh('nsenter', '-t', String(pid), '-n', 'ip', '-o', 'addr', 'show');
      assert.match(inSandbox(), /net1\s+inet 10\.150\.0\.2\/24/, 'the sandbox got the device');
      assert.equal(linkIn(undefined, dev), undefined);
      const sandboxView = inSandbox();

      for (const n of [1, 2]) {
        const app = busyboxBundle(box, 'ip -o link; ip -o addr', { stateDir: box.stateDir });
        app.config.annotations = annotations('container');
        const ns = app.config.linux.namespaces as Array<{ type: string; path?: string }>;
        app.config.linux.namespaces = [...ns.filter((x) => x.type !== 'network'), { type: 'network', path: `/proc/${pid}/ns/net` }];
        app.write();
        const id = `${sid}-app${n}`;
        box.defer(() => spawnSync(runtime, ['delete', '-f', id], { stdio: 'ignore' }));
        // run: create (our createRuntime hook), the process, then delete (our poststop hook).
        const r = spawnSync(runtime, ['run', '-b', app.dir, id], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
        assert.equal(r.status, 0, `app container ${n}: ${r.stdout}${r.stderr}${readFileSync(app.logFile, 'utf8')}`);
        assert.ok(parseIpOutput(r.stdout).get('net1')?.addrs.includes('10.150.0.2/24'), `app ${n} sees the sandbox's device: ${r.stdout}`);
        assert.match(readFileSync(app.logFile, 'utf8'), /device already in this network namespace/);
        assert.equal(inSandbox(), sandboxView, `app ${n}'s teardown left the device to the sandbox`);
        assert.equal(linkIn(undefined, dev), undefined);
      }

      rt(runtime, 'kill', sid, 'KILL');
      await until('stopped', () => stateOf(runtime, sid).status === 'stopped');
      rt(runtime, 'delete', sid);
      assert.deepEqual(snapshot([dev]), before, 'home exactly as it was after the sandbox\'s delete');
      assert.deepEqual(stateLeft(box.stateDir), []);
    });
  });
}
