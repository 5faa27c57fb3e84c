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
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { Sandbox, linkIn, sh, uniqueName } from '../integration/hook-kit.js';
import { snapshot, stateLeft } from '../integration/lifecycle-kit.js';
import { busyboxBundle, containerState, createContainer, ensureCrunCgroups, parseIpOutput, type Runtime, runtimeCmd, until } from './e2e-kit.js';

let box = new Sandbox();
afterEach(() => {
  box.cleanup();
  box = new Sandbox();
});


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
      createContainer(runtime, sb.dir, sid);
      runtimeCmd(runtime, 'start', sid);
      const { pid } = containerState(runtime, sid);
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

      runtimeCmd(runtime, 'kill', sid, 'KILL');
      await until('stopped', () => containerState(runtime, sid).status === 'stopped');
      runtimeCmd(runtime, 'delete', sid);
      assert.deepEqual(snapshot([dev]), before, 'home exactly as it was after the sandbox\'s delete');
      assert.deepEqual(stateLeft(box.stateDir), []);
    });
  });
}
