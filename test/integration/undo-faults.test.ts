import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { Sandbox, ipJson, runcState, uniqueName } from './hook-kit.js';
import { snapshot, stateLeft, threeDevices } from './lifecycle-kit.js';

let box = new Sandbox();
afterEach(() => {
  box.cleanup();
  box = new Sandbox();
});

/**
 * Every kernel-changing step of a 3-device apply (moves, carried addresses,
 * MAC, MTU, GSO, addresses, ethtool, link up, routes) fails in turn; each
 * time the rollback must undo every earlier step: the host snapshot equals
 * the one taken before, the container is empty again, nothing is kept.
 */
test('a fault at every step of a 3-device apply leaves the host exactly as before', () => {
  const { devs, config } = threeDevices(box);
  const before = snapshot(devs);
  const bundle = box.bundle(config);
  let k = 1;
  for (; k < 200; k++) {
    const ctr = box.container();
    const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, bundle), { env: { OCI_NETDEVICES_TEST_FAIL_STEP: String(k) } });
    if (r.status === 0) break;
    assert.equal(r.status, 4, `step ${k}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`injected fault at step ${k}`));
    assert.doesNotMatch(r.stderr, /undo also failed/, `step ${k}: every undo worked`);
    assert.deepEqual(snapshot(devs), before, `host differs after a fault at step ${k}`);
    assert.deepEqual(stateLeft(box.stateDir), [], `state left after a fault at step ${k}`);
    assert.deepEqual(ipJson(ctr.netns, 'link', 'show').map((l) => l.ifname), ['lo'], `container not empty after step ${k}`);
  }
  // 3 moves, 3 MACs, 3 MTUs, 3 GSO sizes, 6 addresses, ethtool x3, 3 ups, 3 routes (+ carried host addresses).
  assert.ok(k > 25, `the apply has many steps (${k - 1} faults injected before it succeeded)`);
});
