import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { Sandbox, baseConfig, runcState, uniqueName } from './hook-kit.js';
import { cli, manyDevices, snapshot, startHook, stateLeft, waitForFile } from './lifecycle-kit.js';

let box = new Sandbox();
afterEach(() => {
  box.cleanup();
  box = new Sandbox();
});

/** Starts an n-device createRuntime and SIGKILLs it at a random moment (below maxDelay ms) after its journal appeared. */
async function killMidApply(n = 24, args: string[] = [], maxDelay = 400): Promise<{ devs: string[]; before: unknown; id: string; bundle: string; delay: number }> {
  const { devs, config } = manyDevices(box, n);
  const before = snapshot(devs);
  const ctr = box.container();
  const id = uniqueName('c');
  const bundle = box.bundle(config);
  const hook = startHook(box.stateDir, 'createRuntime', runcState(id, ctr.pid, bundle), args);
  await waitForFile(join(box.stateDir, 'containers', id, 'journal.json'));
  const delay = Math.floor(Math.random() * maxDelay);
  await new Promise((r) => setTimeout(r, delay));
  hook.kill('SIGKILL');
  const r = await hook.done;
  assert.equal(r.signal, 'SIGKILL', `the hook was still running at ${delay} ms (lower the delay): ${r.stderr}`);
  return { devs, before, id, bundle, delay };
}

for (let round = 0; round < 3; round++) {
  test(`SIGKILL at a random point of a 24-device apply, then recover: every device home under its name (round ${round + 1})`, async () => {
    const { devs, before, id, delay } = await killMidApply();
    const rec = cli(box.stateDir, ['recover']);
    assert.equal(rec.status, 0, rec.stdout + rec.stderr);
    assert.match(rec.stdout, new RegExp(`^${id}: restored: `));
    assert.deepEqual(snapshot(devs), before, `after SIGKILL at ${delay} ms and recover: ${rec.stdout}`);
    assert.deepEqual(stateLeft(box.stateDir), []);
  });
}

// teardown=kernel has no pin: recovery reaches the devices through the container process's netns
// (the journal records its pid and start time) and brings every one home, in both modes.
for (let round = 0; round < 3; round++) {
  test(`--teardown kernel: SIGKILL at a random point of a 40-device apply, then recover: every device home (round ${round + 1})`, async () => {
    const { devs, before, id, delay } = await killMidApply(40, ['--teardown', 'kernel'], 600);
    const rec = cli(box.stateDir, ['recover']);
    assert.equal(rec.status, 0, rec.stdout + rec.stderr);
    const line = new RegExp(`^${id}: restored: (.*)$`, 'm').exec(rec.stdout);
    assert.ok(line, rec.stdout);
    assert.notEqual(line[1], '-', `killed at ${delay} ms: the journal's devices were brought home, not dropped: ${rec.stdout}`);
    assert.deepEqual(snapshot(devs), before, `after SIGKILL at ${delay} ms and recover: ${rec.stdout}`);
    assert.deepEqual(stateLeft(box.stateDir), []);
  });
}

test('the next createRuntime recovers an abandoned journal before doing its own work', async () => {
  const { devs, before, delay } = await killMidApply();
  const [other] = box.veth();
  const ctr = box.container();
  const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, box.bundle(baseConfig({ netDevices: { [other]: { name: 'eth1' } } }))), { args: ['--teardown', 'kernel'] });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(snapshot(devs), before, `killed at ${delay} ms, recovered by the next hook`);
});

test('poststop after a killed createRuntime (runc runs it) brings the devices home', async () => {
  const { devs, before, id, bundle } = await killMidApply();
  const p = box.hook('poststop', { ociVersion: '1.0.2', id, status: 'stopped', bundle });
  assert.equal(p.status, 0, p.stderr);
  assert.deepEqual(snapshot(devs), before);
  assert.deepEqual(stateLeft(box.stateDir), []);
});
