/**
 * Faults injected through the netlink transport (test/support/faulty-transport.ts),
 * not a switch in the product: the hook runs as test/support/faulty-hook.js,
 * whose sockets refuse a chosen message, or let the kernel apply it and then
 * say it failed, or lose the answers of a batch half way through.
 */
import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { FaultRule } from '../support/faulty-transport.js';
import { type HookRun, Sandbox, baseConfig, ipJson, linkIn, runcState, sh, uniqueName } from './hook-kit.js';
import { snapshot, stateLeft, threeDevices } from './lifecycle-kit.js';

let box = new Sandbox();
afterEach(() => {
  box.cleanup();
  box = new Sandbox();
});

const stopped = (id: string, bundle: string): Record<string, unknown> => ({ ociVersion: '1.0.2', id, status: 'stopped', bundle });
const ctrNames = (netns: string): string[] => ipJson(netns, 'link', 'show').map((l) => l.ifname);

/** Runs createRuntime with `faults`; the run says which faults fired (one line each). */
function faulty(id: string, pid: number, bundle: string, faults: FaultRule[]): HookRun {
  return box.hook('createRuntime', runcState(id, pid, bundle), { faults });
}

/**
 * Every kernel-changing netlink message of a 3-device apply (moves, carried
 * addresses, MAC, MTU, GSO, addresses, ethtool, link up, routes) fails in
 * turn, refused before the kernel sees it or reported failed after the kernel
 * applied it; each time the rollback must undo every change: the host snapshot
 * equals the one taken before, the container is empty again, nothing is kept.
 */
for (const mode of ['refuse', 'applied'] as const) test(`${mode === 'refuse' ? 'a refusal at' : 'a failure reported after the kernel applied'} every kernel-changing message of a 3-device apply leaves the host exactly as before`, () => {
  const { devs, config } = threeDevices(box);
  const before = snapshot(devs);
  const bundle = box.bundle(config);
  let k = 1;
  for (; k < 200; k++) {
    const ctr = box.container();
    const r = faulty(uniqueName('c'), ctr.pid, bundle, [{ type: 'change', nth: k, mode }]);
    if (r.fired.length === 0) {
      assert.equal(r.status, 0, `no fault left to inject at message ${k}, so the apply succeeds: ${r.stderr}`);
      break;
    }
    assert.equal(r.status, 4, `message ${k}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`injected fault \\(${mode}\\)`));
    assert.doesNotMatch(r.stderr, /undo also failed/, `message ${k}: every undo worked`);
    assert.deepEqual(snapshot(devs), before, `host differs after a fault at message ${k}`);
    assert.deepEqual(stateLeft(box.stateDir), [], `state left after a fault at message ${k}`);
    assert.deepEqual(ctrNames(ctr.netns), ['lo'], `container not empty after message ${k}`);
  }
  // 3 moves (one batch), 6 carried addresses, 3 MACs, 3 MTUs, 3 GSO sizes, 6 addresses, ethtool x3, 3 ups, 3 routes.
  assert.ok(k > 25, `the apply sends many changes (${k - 1} faults injected before it succeeded)`);
});

test('the kernel moved the device but refused its rename: the device is found by identity and moved home', () => {
  const [dev] = box.veth();
  sh('ip', 'addr', 'add', '10.151.0.1/24', 'dev', dev);
  sh('ip', 'link', 'set', dev, 'up');
  const before = snapshot([dev]);
  const ctr = box.container();
  const bundle = box.bundle(baseConfig({ netDevices: { [dev]: { name: 'eth1' } } }));
  // The move message goes to the kernel without its IFLA_IFNAME: moved under its host name, "rename refused".
  const r = faulty(uniqueName('c'), ctr.pid, bundle, [{ netns: 'host', type: 'RTM_NEWLINK', attr: 'IFLA_NET_NS_FD', nth: 1, mode: 'applied', strip: 'IFLA_IFNAME', errno: 22 }]);
  assert.equal(r.fired.length, 1, r.stderr);
  assert.equal(r.status, 4, r.stderr);
  assert.doesNotMatch(r.stderr, /undo also failed|state kept/, r.stderr);
  assert.deepEqual(ctrNames(ctr.netns), ['lo'], 'nothing stays in the container');
  assert.deepEqual(snapshot([dev]), before, 'the device is home under its name, configured as before');
  assert.deepEqual(stateLeft(box.stateDir), []);
});

test('a fault in the status read-back (observe) cannot undo a committed apply', () => {
  const [dev] = box.veth();
  sh('ip', 'addr', 'add', '10.152.0.1/24', 'dev', dev);
  const before = snapshot([dev]);
  const ctr = box.container();
  const id = uniqueName('c');
  const bundle = box.bundle(baseConfig({ netDevices: { [dev]: { name: 'eth1', networkConfig: { interface: { addresses: ['10.153.0.2/24'] } } } } }));
  // The container netns' address dump: the first one is the look before the apply, the second the read-back.
  const r = faulty(id, ctr.pid, bundle, [{ netns: 'ctr', type: 'RTM_GETADDR', dump: true, nth: 2, mode: 'refuse' }]);
  assert.equal(r.fired.length, 1, `the read-back's dump was refused: ${r.stderr}`);
  assert.equal(r.status, 0, r.stderr);
  const eth1 = linkIn(ctr.netns, 'eth1');
  assert.ok(eth1?.addr_info?.some((a) => a.local === '10.153.0.2'), 'the device stays configured in the container');
  assert.ok(stateLeft(box.stateDir).includes(`containers/${id}`), 'its record is kept for the teardown');
  assert.ok(stateLeft(box.stateDir).some((f) => f.startsWith('mount ')), 'the netns stays pinned');
  const p = box.hook('poststop', stopped(id, bundle));
  assert.equal(p.status, 0, p.stderr);
  assert.deepEqual(snapshot([dev]), before, 'the teardown brings it home');
  assert.deepEqual(stateLeft(box.stateDir), []);
});

test('the answers of a batch lost half way: every request that may have been applied is undone', () => {
  const devs = [box.veth()[0], box.veth()[0], box.veth()[0], box.veth()[0]];
  devs.forEach((d, i) => sh('ip', 'addr', 'add', `10.154.${i}.1/24`, 'dev', d));
  const before = snapshot(devs);
  const netDevices = Object.fromEntries(devs.map((d, i) => [d, { name: `eth${i + 1}`, networkConfig: { interface: { addresses: [`10.155.${i}.2/24`], mtu: 1300 + i } } }]));
  const bundle = box.bundle(baseConfig({ netDevices }));
  // The move batch (host socket) and the address batch (container socket), with 0 to 3 answers read.
  const batches: FaultRule[] = [
    { netns: 'host', type: 'RTM_NEWLINK', attr: 'IFLA_NET_NS_FD', nth: 1, mode: 'recv-fails' },
    { netns: 'ctr', type: 'RTM_NEWADDR', nth: 5, mode: 'recv-fails' }, // the 5th: the first of the batch of 4 new addresses
  ];
  for (const rule of batches) {
    for (let after = 0; after < devs.length; after++) {
      const ctr = box.container();
      const r = faulty(uniqueName('c'), ctr.pid, bundle, [{ ...rule, afterReplies: after }]);
      const at = `${rule.type} batch, receive failing after ${after} answers`;
      assert.equal(r.fired.length, 1, `${at}: ${r.stderr}`);
      assert.equal(r.status, 4, `${at}: ${r.stderr}`);
      assert.match(r.stderr, /injected receive failure/, at);
      assert.doesNotMatch(r.stderr, /undo also failed|state kept/, `${at}: ${r.stderr}`);
      assert.deepEqual(ctrNames(ctr.netns), ['lo'], `${at}: the container is empty again`);
      assert.deepEqual(snapshot(devs), before, `${at}: the host is exactly as before`);
      assert.deepEqual(stateLeft(box.stateDir), [], at);
    }
  }
});
