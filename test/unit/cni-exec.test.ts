/**
 * Conflists through a fake plugin: the environment each verb gets, prevResult
 * chaining on ADD, DEL in reverse with the saved result (or none), CHECK in
 * order, errors naming the plugin with its msg, the process limits (timeout,
 * stdout cap, no fd of ours), and the engine's ADD/undo/teardown order.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, openSync, closeSync, rmSync, readFileSync, existsSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { Transaction } from '../../src/apply/transaction.js';
import { addAttachments, addTimeoutMs, checkAttachments, deleteAttachments } from '../../src/cni/attach.js';
import { CniListError, type RunContext, addList, checkList, delList, pluginConfig } from '../../src/cni/conflist.js';
import type { CniAttachment, Obj } from '../../src/cni/model.js';
import { podArgs } from '../../src/cni/pod-args.js';
import { readCniRecord } from '../../src/cni/state.js';
import { resolveCniPath } from '../../src/cni/cni-path.js';
import { StateDir } from '../../src/state/state-dir.js';
import { type FakePlugins, fakePlugins } from './fake-cni-plugin.js';

let fake: FakePlugins;
let stateRoot: string;
beforeEach(() => {
  fake = fakePlugins(['fa', 'fb', 'fc']);
  stateRoot = mkdtempSync(join(tmpdir(), 'ond-cni-state-'));
});
afterEach(() => {
  fake.cleanup();
  rmSync(stateRoot, { recursive: true, force: true });
});

function attachment(ifName: string, plugins: Obj[], cniVersion: '0.4.0' | '1.0.0' | '1.1.0' = '1.0.0', index = 0): CniAttachment {
  return { index, ifName, config: { cniVersion, name: `net-${ifName}`, plugins: plugins.map((p) => ({ log: fake.log, ...p })) } };
}

const ctx = (over: Partial<RunContext> = {}): RunContext => ({ containerId: 'ctr1', netns: '/run/pin', args: [['IgnoreUnknown', '1'], ['K8S_POD_NAME', 'p']], cniPath: ['/nonexistent', fake.dir], ...over });

test('each verb gets exactly PATH and the CNI_* variables', () => {
  const a = attachment('net1', [{ type: 'fa', address: '10.0.0.2/24' }]);
  const r = addList(a, ctx());
  checkList(a, r.raw, ctx());
  assert.deepEqual(delList(a, r.raw, ctx({ netns: '' })), []);
  const calls = fake.calls();
  assert.deepEqual(calls.map((c) => c.verb), ['ADD', 'CHECK', 'DEL']);
  for (const c of calls) {
    assert.deepEqual(Object.keys(c.env).sort(), ['CNI_ARGS', 'CNI_COMMAND', 'CNI_CONTAINERID', 'CNI_IFNAME', 'CNI_NETNS', 'CNI_PATH', 'PATH']);
    assert.equal(c.env.CNI_CONTAINERID, 'ctr1');
    assert.equal(c.env.CNI_IFNAME, 'net1');
    assert.equal(c.env.CNI_ARGS, 'IgnoreUnknown=1;K8S_POD_NAME=p');
    assert.equal(c.env.CNI_PATH, `/nonexistent:${fake.dir}`);
    assert.equal(c.conf.name, 'net-net1');
    assert.equal(c.conf.cniVersion, '1.0.0');
  }
  assert.equal(calls[0]!.env.CNI_NETNS, '/run/pin');
  assert.equal(calls[2]!.env.CNI_NETNS, '', 'DEL after the netns is gone gets an empty CNI_NETNS');
  assert.equal(calls[0]!.conf.prevResult, undefined, 'the first ADD has no prevResult');
  assert.deepEqual(calls[1]!.conf.prevResult, r.raw, 'CHECK gets the saved result');
  assert.deepEqual(calls[2]!.conf.prevResult, r.raw, 'DEL gets the saved result');
});

test('ADD chains prevResult through the list; DEL runs in reverse; CHECK in order', () => {
  const a = attachment('net1', [{ type: 'fa', address: '10.0.0.2/24' }, { type: 'fb' }, { type: 'fc', capabilities: { ips: true } }], '0.4.0');
  const r = addList(a, ctx());
  assert.deepEqual(r.interfaces.map((i) => i.name), ['net1-fa', 'net1-fb', 'net1-fc']);
  assert.deepEqual(r.ips.map((i) => i.address), ['10.0.0.2/24']);
  const adds = fake.calls();
  assert.deepEqual(adds.map((c) => c.type), ['fa', 'fb', 'fc']);
  assert.deepEqual((adds[1]!.conf.prevResult as Obj).interfaces, [{ name: 'net1-fa', mac: '02:00:00:00:00:00', sandbox: '/run/pin' }]);
  assert.deepEqual(adds[2]!.conf.capabilities, { ips: true }, 'capabilities are passed untouched');
  assert.equal(adds[2]!.conf.runtimeConfig, undefined, 'no runtimeConfig: we have no capability arguments');
  delList(a, r.raw, ctx());
  checkList(a, r.raw, ctx());
  assert.deepEqual(fake.calls().slice(3).map((c) => `${c.verb} ${c.type}`), ['DEL fc', 'DEL fb', 'DEL fa', 'CHECK fa', 'CHECK fb', 'CHECK fc']);
});

test('a DEL with the config alone (no saved result) carries no prevResult; every plugin is tried even when one fails', () => {
  const a = attachment('net1', [{ type: 'fa' }, { type: 'fb', fail: 'DEL' }, { type: 'fc' }]);
  const errors = delList(a, undefined, ctx());
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.message, /network "net-net1", plugin "fb" \(#2\): fb refused DEL \(CNI error code 7\)/);
  assert.deepEqual(fake.calls().map((c) => [c.type, c.conf.prevResult]), [['fc', undefined], ['fb', undefined], ['fa', undefined]]);
});

test('a plugin error names the plugin and carries its msg; without a spec error, its stderr', () => {
  assert.throws(() => addList(attachment('net1', [{ type: 'fa' }, { type: 'fb', fail: 'ADD' }]), ctx()), (e: unknown) => e instanceof CniListError && e.plugin === 'fb' && e.position === 1 && e.pluginMessage === 'fb refused ADD' && e.code === 7);
  assert.throws(() => addList(attachment('net1', [{ type: 'fa', failRaw: 'ADD' }]), ctx()), /plugin "fa" \(#1\): panic: fa crashed \(exit status 2\)/);
  assert.throws(() => addList(attachment('net1', [{ type: 'fa', badResult: true }]), ctx()), /plugin "fa" \(#1\): ADD printed an invalid result: result\.ips\[0\]\.address must be an address in CIDR notation/);
  assert.throws(() => addList(attachment('net1', [{ type: 'nosuch' }]), ctx()), /plugin "nosuch" not found on the CNI path/);
});

test('process limits: a hung plugin is killed at the timeout, a flood of stdout is cut, no fd of ours is passed', () => {
  assert.throws(() => addList(attachment('net1', [{ type: 'fa', sleepMs: 20_000 }]), ctx({ timeoutMs: 500 })), /plugin "fa" \(#1\): ADD timed out after 500 ms \(killed\)/);
  assert.throws(() => addList(attachment('net1', [{ type: 'fa', orphan: true }]), ctx({ timeoutMs: 700 })), /plugin "fa" \(#1\): ADD exited \(status 0\), but a process it left behind held its output open past 700 ms/);
  assert.throws(() => addList(attachment('net1', [{ type: 'fa', flood: 2 * 1024 * 1024 }]), ctx()), /printed more than 1048576 bytes/);
  const marker = join(fake.dir, 'marker-fd');
  const fd = openSync(marker, 'w');
  try {
    addList(attachment('net1', [{ type: 'fa' }]), ctx());
  } finally {
    closeSync(fd);
  }
  const fds = fake.calls().at(-1)!.fds;
  assert.ok(fds.length > 3, 'the fake plugin listed its fds');
  assert.ok(!fds.includes(marker), `our open file reached the plugin: ${fds.join(' ')}`);
});

test('CNI_ARGS carry the pod identity when the annotations have it (CRI-O or containerd keys)', () => {
  assert.deepEqual(podArgs({}), []);
  assert.deepEqual(podArgs({ 'io.kubernetes.pod.namespace': 'ns1', 'io.kubernetes.pod.name': 'p1', 'io.kubernetes.pod.uid': 'u-1', 'io.kubernetes.cri-o.SandboxID': 'abc' }), [
    ['IgnoreUnknown', '1'], ['K8S_POD_NAMESPACE', 'ns1'], ['K8S_POD_NAME', 'p1'], ['K8S_POD_INFRA_CONTAINER_ID', 'abc'], ['K8S_POD_UID', 'u-1'],
  ]);
  assert.deepEqual(podArgs({ 'io.kubernetes.cri.sandbox-name': 'p2', 'io.kubernetes.cri.sandbox-namespace': 'bad;value' }), [['IgnoreUnknown', '1'], ['K8S_POD_NAME', 'p2']]);
});

test('the plugin config: name and cniVersion of the list override the plugin\'s own; prevResult only when given', () => {
  const list = { cniVersion: '1.0.0' as const, name: 'outer', plugins: [] };
  assert.deepEqual(JSON.parse(pluginConfig(list, { type: 'x', name: 'inner', cniVersion: '0.4.0', prevResult: { stale: true } }, undefined)), { type: 'x', name: 'outer', cniVersion: '1.0.0' });
  assert.deepEqual(JSON.parse(pluginConfig(list, { type: 'x' }, { cniVersion: '1.0.0' })), { type: 'x', name: 'outer', cniVersion: '1.0.0', prevResult: { cniVersion: '1.0.0' } });
});

test('the CNI path: flag, then environment, then config file, then the default', () => {
  assert.deepEqual(resolveCniPath('/a:/b', { OCI_NETDEVICES_CNI_PATH: '/c' }, '/d'), ['/a', '/b']);
  assert.deepEqual(resolveCniPath(undefined, { OCI_NETDEVICES_CNI_PATH: '/c' }, '/d'), ['/c']);
  assert.deepEqual(resolveCniPath(undefined, {}, '/d'), ['/d']);
  assert.deepEqual(resolveCniPath(undefined, {}), ['/opt/cni/bin', '/usr/lib/cni']);
  assert.throws(() => resolveCniPath('relative/dir'), /must be an absolute path/);
});

test('engine: each result is saved before the next ADD; a failing ADD undoes itself and every earlier attachment, in reverse', async () => {
  const dir = new StateDir(stateRoot);
  const tx = new Transaction();
  const first = attachment('net1', [{ type: 'fa', address: '10.0.0.2/24' }, { type: 'fb' }], '1.0.0', 0);
  const second = attachment('net2', [{ type: 'fc' }, { type: 'fb', fail: 'ADD' }], '1.0.0', 1);
  const seenBeforeSecond: unknown[] = [];
  await assert.rejects(
    addAttachments([first, second], {
      dir, id: 'ctr1', netns: '/run/pin', args: [], cniPath: [fake.dir], tx,
      checkpoint: async () => {
        seenBeforeSecond.push(readCniRecord(dir, 'ctr1')!.attachments.map((a) => a.result !== undefined));
      },
    }),
    /device "net2": CNI ADD of network "net-net2" failed: network "net-net2", plugin "fb" \(#2\): fb refused ADD/,
  );
  assert.deepEqual(seenBeforeSecond, [[true]], 'the first result was on disk before the second ADD');
  const saved = readCniRecord(dir, 'ctr1')!;
  assert.deepEqual(saved.attachments.map((a) => [a.ifName, a.result !== undefined]), [['net1', true], ['net2', false]], 'the failed attachment is saved with its config alone');
  const before = fake.calls().length;
  assert.deepEqual(tx.rollback(), []);
  const dels = fake.calls().slice(before);
  assert.deepEqual(dels.map((c) => `${c.verb} ${c.env.CNI_IFNAME} ${c.type}`), ['DEL net2 fb', 'DEL net2 fc', 'DEL net1 fb', 'DEL net1 fa']);
  assert.equal(dels[0]!.conf.prevResult, undefined, 'the failed ADD left no result: DEL with the config alone');
  assert.deepEqual(dels[2]!.conf.prevResult, saved.attachments[0]!.result, 'the earlier attachment is deleted with its saved result');
});

test('engine: teardown DELs every attachment in reverse with its saved result; a second teardown does not fail; CHECK reports per attachment', async () => {
  const dir = new StateDir(stateRoot);
  const tx = new Transaction();
  const pin = join(stateRoot, 'pin');
  closeSync(openSync(pin, 'w'));
  const a1 = attachment('net1', [{ type: 'fa', address: '10.0.0.2/24' }], '0.4.0', 0);
  const a2 = attachment('net2', [{ type: 'fb', address: '10.0.1.2/24', fail: 'CHECK' }], '1.1.0', 1);
  const results = await addAttachments([a1, a2], { dir, id: 'ctr1', netns: pin, args: [], cniPath: [fake.dir], tx, checkpoint: async () => {} });
  tx.commit();
  assert.deepEqual([...results.keys()], ['net1', 'net2']);
  const record = readCniRecord(dir, 'ctr1')!;
  assert.deepEqual(checkAttachments(record).map((r) => [r.ifName, r.outcome]), [['net1', 'ok'], ['net2', 'failed']]);
  const before = fake.calls().length;
  assert.deepEqual(deleteAttachments(dir, 'ctr1'), []);
  assert.deepEqual(deleteAttachments(dir, 'ctr1'), [], 'a second DEL does not fail');
  const dels = fake.calls().slice(before);
  assert.deepEqual(dels.map((c) => `${c.verb} ${c.env.CNI_IFNAME} ${c.env.CNI_NETNS === pin}`), ['DEL net2 true', 'DEL net1 true', 'DEL net2 true', 'DEL net1 true']);
  assert.deepEqual(dels[1]!.conf.prevResult, record.attachments[0]!.result);
  // A netns path that is now another file (the pin unmounted, or a /proc/<pid> reused) is not handed to DEL.
  // Made beside the old file before it goes, so the new one cannot reuse its inode.
  closeSync(openSync(`${pin}.new`, 'w'));
  renameSync(`${pin}.new`, pin);
  deleteAttachments(dir, 'ctr1');
  assert.ok(fake.calls().slice(-2).every((c) => c.env.CNI_NETNS === ''), 'a replaced netns path becomes an empty CNI_NETNS');
  assert.ok(existsSync(pin) && readFileSync(pin, 'utf8') === '');
});

test('engine: a DEL refused in the very words of the failed ADD is not an undo failure (warned); any other DEL failure is', async () => {
  const dir = new StateDir(stateRoot);
  const run = async (second: Obj): Promise<{ undo: Error[]; warned: string[] }> => {
    const tx = new Transaction();
    const warned: string[] = [];
    await assert.rejects(addAttachments([attachment('net1', [{ type: 'fa' }, second])], { dir, id: 'ctr1', netns: '/run/pin', args: [], cniPath: [fake.dir], tx, checkpoint: async () => {}, warn: (m) => warned.push(m) }));
    return { undo: tx.rollback(), warned };
  };
  const same = await run({ type: 'fb', fail: 'ADD DEL', failMsg: 'master ond0 not found' });
  assert.deepEqual(same.undo, []);
  assert.equal(same.warned.length, 1);
  assert.match(same.warned[0]!, /^attachment "net1": DEL refused as ADD was \(nothing to undo\): network "net-net1", plugin "fb" \(#2\): master ond0 not found/);
  const other = await run({ type: 'fb', fail: 'ADD', failRaw: 'DEL' });
  assert.equal(other.undo.length, 1, 'a DEL failing otherwise keeps the state for recover');
  assert.match(other.undo[0]!.message, /plugin "fb" \(#2\): panic: fb crashed/);
});

test('engine: an ADD never runs past the hook deadline (the plugin timeout is cut to what is left)', async () => {
  assert.equal(addTimeoutMs(undefined), undefined);
  assert.equal(addTimeoutMs(1_000_000, 0), 30_000);
  assert.equal(addTimeoutMs(1_500, 1_000), 500);
  assert.equal(addTimeoutMs(1_000, 2_000), 1, 'past the deadline: at once');
  const tx = new Transaction();
  const started = Date.now();
  await assert.rejects(
    addAttachments([attachment('net1', [{ type: 'fa', sleepMs: 20_000 }])], { dir: new StateDir(stateRoot), id: 'ctr1', netns: '/run/pin', args: [], cniPath: [fake.dir], tx, checkpoint: async () => {}, deadlineAt: Date.now() + 700 }),
    /plugin "fa" \(#1\): ADD timed out after \d+ ms \(killed\)/,
  );
  assert.ok(Date.now() - started < 5_000, `killed near the deadline (${Date.now() - started} ms)`);
  assert.deepEqual(tx.rollback(), []);
});

test('engine: the plugins run with the attaching hook\'s PATH, saved with the attachment for DEL and CHECK (a daemon\'s own PATH may differ)', async () => {
  const dir = new StateDir(stateRoot);
  const tx = new Transaction();
  const hookPath = '/ond-hook-path:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  assert.notEqual(process.env.PATH, hookPath);
  const a = attachment('net1', [{ type: 'fa', address: '10.0.0.2/24' }]);
  const pin = join(stateRoot, 'pin');
  closeSync(openSync(pin, 'w'));
  await addAttachments([a], { dir, id: 'ctr1', netns: pin, args: [], cniPath: [fake.dir], path: hookPath, tx, checkpoint: async () => {} });
  tx.commit();
  const record = readCniRecord(dir, 'ctr1')!;
  assert.equal(record.path, hookPath);
  checkAttachments(record);
  deleteAttachments(dir, 'ctr1');
  assert.deepEqual(fake.calls().map((c) => [c.verb, c.env.PATH]), [['ADD', hookPath], ['CHECK', hookPath], ['DEL', hookPath]]);
});
