/**
 * What an apply asks of the kernel between its steps, over the fake kernel:
 * - where it lets signals and the deadline in: a checkpoint between phases runs only when
 *   something changed since the last one (a phase with nothing to do adds no event-loop turns),
 *   and an interrupt at any checkpoint that runs still rolls everything back;
 * - how it finds a moved device: a get by the name the move gave it when the kernel kept its
 *   ifindex, the whole container netns dumped only when it did not.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyDevices } from '../../src/apply/apply-devices.js';
import { locateDevices, viewNamespace } from '../../src/apply/inspect.js';
import { Transaction } from '../../src/apply/transaction.js';
import { extractDevices } from '../../src/config/extract.js';
import { NetlinkSocket } from '../../src/netlink/socket.js';
import { FakeRtnlKernel } from './fake-rtnl-kernel.js';

type Event = { step: string } | 'checkpoint';

async function run(interruptAt?: number, ctrLinks: Array<{ index: number; name: string }> = []): Promise<{ events: Event[]; host: FakeRtnlKernel; ctr: FakeRtnlKernel; tx: Transaction; error?: unknown }> {
  const host = new FakeRtnlKernel({ links: [{ index: 1, name: 'lo', up: true }, { index: 7, name: 'veth7', mac: '02:00:00:00:00:07', kind: 'veth', mtu: 1500 }], nsFds: { 9: 'ctr', 10: 'host' } });
  const ctr = host.inNetns('ctr');
  ctr.addLink({ index: 1, name: 'lo', up: true });
  for (const l of ctrLinks) ctr.addLink({ ...l, mac: '02:00:00:00:00:99', kind: 'veth' });
  const hostSock = new NetlinkSocket(host);
  const ctrSock = new NetlinkSocket(ctr);
  const specs = extractDevices({
    linux: { namespaces: [{ type: 'network' }], netDevices: { veth7: { name: 'eth0', networkConfig: { interface: { mtu: 1400, addresses: ['10.0.0.2/24'] }, routes: [{ destination: '10.9.0.0/16', gateway: '10.0.0.1' }] } } } },
  });
  const hostView = viewNamespace(hostSock, { addrs: true, routes: true });
  const ctrView = viewNamespace(ctrSock, { addrs: true });
  const { targets, issues } = locateDevices(specs, hostView, ctrView);
  assert.deepEqual(issues, []);
  const events: Event[] = [];
  const tx = new Transaction({ beforeStep: (_device, step) => events.push({ step }) });
  let checkpoints = 0;
  const checkpoint = async (): Promise<void> => {
    events.push('checkpoint');
    if (++checkpoints === interruptAt) throw new Error('interrupted by SIGTERM');
  };
  try {
    await applyDevices({ host: hostSock, ctr: ctrSock, hostNetnsFd: 10, ctrNetnsFd: 9, hostNetnsIno: 1, ctrNetnsIno: 2, tx, checkpoint }, targets, hostView, ctrView);
    return { events, host, ctr, tx };
  } catch (error) {
    return { events, host, ctr, tx, error };
  }
}

describe('checkpoints between the phases of an apply', () => {
  test('one after each phase that changed something, none after a phase that did nothing', async () => {
    const { events, error } = await run();
    assert.equal(error, undefined);
    const shape = events.map((e) => (e === 'checkpoint' ? 'checkpoint' : e.step));
    assert.deepEqual(shape, [
      'move to container netns', 'checkpoint',
      'set MTU', 'checkpoint',
      'add address', 'checkpoint',
      'set link up', 'checkpoint',
      'add route', 'checkpoint',
    ]);
  });

  test('an interrupt at any of them rolls every change back', async () => {
    const all = (await run()).events.filter((e) => e === 'checkpoint').length;
    for (let k = 1; k <= all; k++) {
      const r = await run(k);
      assert.match(String(r.error), /interrupted by SIGTERM/, `checkpoint ${k}`);
      assert.deepEqual(r.tx.rollback(), [], `checkpoint ${k}: every undo worked`);
      assert.deepEqual(r.host.links().filter((l) => l.netns === 'host').map((l) => [l.index, l.name, l.mtu, l.up]), [[1, 'lo', 1500, true], [7, 'veth7', 1500, false]], `host after an interrupt at checkpoint ${k}`);
      assert.deepEqual(r.ctr.links().filter((l) => l.netns === 'ctr').map((l) => l.name), ['lo']);
      assert.deepEqual([r.ctr.addrs('ctr'), r.ctr.routes('ctr')], [[], []]);
    }
  });
});

describe('finding a moved device in the container netns', () => {
  const NLM_F_DUMP = 0x300;
  const afterMove = (host: FakeRtnlKernel): typeof host.requests => host.requests.slice(host.requests.findIndex((r) => r.netns === 'host' && r.message.type === 16) + 1);

  test('the kernel kept its ifindex: one get by its new name, no dump of the container netns', async () => {
    const { host, ctr, error } = await run();
    assert.equal(error, undefined);
    assert.equal(ctr.link('eth0', 'ctr')!.index, 7);
    const reads = afterMove(host).filter((r) => r.message.type === 18);
    assert.deepEqual(reads.map((r) => [r.netns, (r.message.flags & NLM_F_DUMP) !== 0]), [['ctr', false]]);
  });

  test('its ifindex was taken there (the kernel gave another): the dump finds it by identity', async () => {
    const { host, ctr, error } = await run(undefined, [{ index: 7, name: 'other7' }]);
    assert.equal(error, undefined);
    const moved = ctr.link('eth0', 'ctr')!;
    assert.notEqual(moved.index, 7);
    assert.deepEqual([moved.mtu, moved.up, ctr.addrs('ctr').map((a) => a.index)], [1400, true, [moved.index]], 'configured on the moved device, not on the link that holds its old ifindex');
    assert.equal(ctr.link('other7', 'ctr')!.mtu, 1500);
    const reads = afterMove(host).filter((r) => r.message.type === 18);
    assert.deepEqual(reads.map((r) => [r.netns, (r.message.flags & NLM_F_DUMP) !== 0]), [['ctr', false], ['ctr', true]]);
  });
});
