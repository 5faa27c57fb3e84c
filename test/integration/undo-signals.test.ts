import assert from 'node:assert/strict';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { Sandbox, ipJson, runcState, uniqueName } from './hook-kit.js';
import { manyDevices, snapshot, startHook, stateLeft, waitForFile } from './lifecycle-kit.js';

let box = new Sandbox();
afterEach(() => {
  box.cleanup();
  box = new Sandbox();
});

for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  test(`${sig} in the middle of a 24-device apply rolls everything back and fails with a clear line`, async () => {
    const { devs, config } = manyDevices(box, 24);
    const before = snapshot(devs);
    const ctr = box.container();
    const id = uniqueName('c');
    const hook = startHook(box.stateDir, 'createRuntime', runcState(id, ctr.pid, box.bundle(config)));
    // The journal appears just before the first move: the signal lands during the moves (16 per chunk).
    await waitForFile(join(box.stateDir, 'containers', id, 'journal.json'));
    hook.kill(sig);
    const r = await hook.done;
    assert.equal(r.code, 8, r.stderr);
    assert.equal(r.stderr, `oci-netdevices: createRuntime interrupted by ${sig}: every change was rolled back\n`);
    assert.deepEqual(snapshot(devs), before);
    assert.deepEqual(stateLeft(box.stateDir), []);
    assert.deepEqual(ipJson(ctr.netns, 'link', 'show').map((l) => l.ifname), ['lo']);
  });
}

test('--timeout (and OCI_NETDEVICES_TIMEOUT): past the deadline the hook stops at its next checkpoint and says so', async () => {
  const { devs, config } = manyDevices(box, 4);
  const before = snapshot(devs);
  const bundle = box.bundle(config);
  for (const how of [{ args: ['--timeout', '0.001'], env: {} }, { args: [], env: { OCI_NETDEVICES_TIMEOUT: '0.001' } }] as Array<{ args: string[]; env: Record<string, string> }>) {
    const ctr = box.container();
    const r = await startHook(box.stateDir, 'createRuntime', runcState(uniqueName('c'), ctr.pid, bundle), how.args, how.env).done;
    assert.equal(r.code, 8, r.stderr);
    assert.match(r.stderr, /^oci-netdevices: createRuntime deadline of 0\.001s passed \(--timeout\): nothing was changed\n$/);
    assert.deepEqual(snapshot(devs), before);
    assert.deepEqual(stateLeft(box.stateDir), []);
  }
  const ctr = box.container();
  const ok = await startHook(box.stateDir, 'createRuntime', runcState(uniqueName('c'), ctr.pid, bundle), ['--timeout', '60', '--teardown', 'kernel']).done;
  assert.equal(ok.code, 0, ok.stderr);
  const bad = await startHook(box.stateDir, 'createRuntime', runcState(uniqueName('c'), ctr.pid, bundle), ['--timeout', 'soon']).done;
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--timeout must be a number of seconds/);
});
