import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, test } from 'node:test';
import { Sandbox, ipJson, linkIn, sh, uniqueName } from '../integration/hook-kit.js';
import { snapshot, stateLeft } from '../integration/lifecycle-kit.js';
import { busyboxBundle, containerState, createContainer, ensureCrunCgroups, type Runtime, runtimeCmd, until } from './e2e-kit.js';

let box = new Sandbox();
afterEach(() => {
  box.cleanup();
  box = new Sandbox();
});


/** create -> check inside -> start -> the process is killed -> delete (which runs poststop). */
async function lifecycle(runtime: Runtime, dev: string, hookArgs: string[]): Promise<string> {
  if (runtime === 'crun') ensureCrunCgroups();
  const b = busyboxBundle(box, 'sleep 600', { stateDir: box.stateDir });
  b.config.linux.netDevices = [{ name: dev, properties: { name: 'eth1', address: '192.168.78.2', mask: '24', mtu: 1400 }, networkConfig: { interface: { hardwareAddr: '02:aa:bb:cc:dd:01' } } }];
  for (const h of Object.values(b.config.hooks as Record<string, Array<{ args: string[] }>>)) h[0]!.args.splice(1, 0, ...hookArgs);
  b.write();
  const id = uniqueName('td');
  box.defer(() => spawnSync(runtime, ['delete', '-f', id], { stdio: 'ignore' }));
  createContainer(runtime, b.dir, id);
  const { pid } = containerState(runtime, id);
  const inside = JSON.parse(sh('nsenter', '-t', String(pid), '-n', 'ip', '-j', 'addr', 'show', 'dev', 'eth1')) as Array<{ mtu: number; address: string; addr_info: Array<{ local: string }> }>;
  assert.equal(inside[0]?.mtu, 1400);
  assert.equal(inside[0]?.address, '02:aa:bb:cc:dd:01');
  assert.ok(inside[0]?.addr_info.some((a) => a.local === '192.168.78.2'));
  assert.equal(linkIn(undefined, dev), undefined, 'the device left the host');
  runtimeCmd(runtime, 'start', id);
  await until('running', () => containerState(runtime, id).status === 'running');
  runtimeCmd(runtime, 'kill', id, 'KILL');
  await until('stopped', () => containerState(runtime, id).status === 'stopped');
  runtimeCmd(runtime, 'delete', id);
  return id;
}

for (const runtime of ['runc', 'crun'] as Runtime[]) {
  describe(`${runtime}: create, start, delete`, () => {
    test('teardown=restore (default): the veth end is back on the host under its name, with its addresses, MTU and MAC', async () => {
      const [dev, peer] = box.veth();
      sh('ip', 'addr', 'add', '10.178.0.1/24', 'dev', dev);
      sh('ip', 'link', 'set', 'dev', dev, 'mtu', '1450');
      sh('ip', 'link', 'set', dev, 'up');
      sh('ip', 'route', 'add', '10.179.0.0/24', 'via', '10.178.0.254', 'dev', dev);
      const before = snapshot([dev]);
      await lifecycle(runtime, dev, []);
      assert.deepEqual(snapshot([dev]), before, 'home exactly as it was');
      assert.ok(linkIn(undefined, peer), 'the pair was not destroyed');
      assert.deepEqual(stateLeft(box.stateDir), []);
    });

    test('teardown=kernel: the devices are left to the kernel and die with the container netns', async () => {
      const [dev, peer] = box.veth();
      await lifecycle(runtime, dev, ['--teardown', 'kernel']);
      await until('the pair to be destroyed', () => !ipJson(undefined, 'link', 'show').some((l) => l.ifname === peer || l.ifname === dev));
      assert.deepEqual(stateLeft(box.stateDir), []);
    });
  });
}
