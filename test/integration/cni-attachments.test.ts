/**
 * CNI attachments end to end through the real hook, with Debian's plugins:
 * macvlan + host-local (address inside, lease made at ADD and released at
 * DEL), bridge between two containers, a failing second plugin undoing the
 * first, kernel-mode teardown, and a SIGKILL mid-apply recovered.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { delList } from '../../src/cni/conflist.js';
import { readCniRecord } from '../../src/cni/state.js';
import { StateDir } from '../../src/state/state-dir.js';
import { Sandbox, ipJson, linkIn, runcState, sh, uniqueName } from './hook-kit.js';
import { CNI_BIN, cniConfig, dataDir, hostLocal, leases, macvlan, macvlanMaster } from './cni-kit.js';
import { cli, startHook, stateLeft, stopContainer, waitForFile } from './lifecycle-kit.js';

let box = new Sandbox();
afterEach(() => {
  box.cleanup();
  box = new Sandbox();
});

const ipv4 = (netns: string, dev: string): string[] => (linkIn(netns, dev)?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);

interface StatusEntry {
  device: string;
  conditions: Array<{ type: string; status: string; reason: string; message: string }>;
  networkData?: { interfaceName: string; ips: string[]; hardwareAddress?: string };
  data?: Record<string, unknown>;
}
function statusOf(id: string): StatusEntry[] {
  const r = cli(box.stateDir, ['status', id]);
  assert.equal(r.status, 0, r.stderr);
  return (JSON.parse(r.stdout) as { devices: StatusEntry[] }).devices;
}

test('macvlan (mode bridge) + host-local: the address is in the container, the lease is made at ADD and released at DEL; status and CHECK', () => {
  const master = macvlanMaster(box);
  const dd = dataDir(box);
  const net = uniqueName('mv');
  const ctr = box.container();
  const id = uniqueName('c');
  const bundle = box.bundle(cniConfig([{ ifName: 'net1', config: macvlan(net, master, hostLocal(dd, '10.231.1.0/24')) }]));
  const r = box.hook('createRuntime', runcState(id, ctr.pid, bundle));
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  const link = ipJson(ctr.netns, '-d', 'link', 'show', 'dev', 'net1')[0] as unknown as { linkinfo: { info_kind: string; info_data: { mode: string } }; address: string };
  assert.equal(link.linkinfo.info_kind, 'macvlan');
  assert.equal(link.linkinfo.info_data.mode, 'bridge');
  assert.deepEqual(ipv4(ctr.netns, 'net1'), ['10.231.1.2/24']);
  assert.deepEqual(leases(dd, net), ['10.231.1.2']);
  assert.match(readFileSync(join(dd, net, '10.231.1.2'), 'utf8'), new RegExp(id));

  const [entry] = statusOf(id);
  assert.equal(entry!.device, 'net1');
  assert.deepEqual(entry!.conditions.map((c) => [c.type, c.status, c.reason]), [['Ready', 'True', 'NetworkInterfaceReady']]);
  assert.deepEqual(entry!.networkData, { interfaceName: 'net1', ips: ['10.231.1.2/24'], hardwareAddress: link.address });
  assert.equal(entry!.data?.cniVersion, '1.0.0');

  const check = cli(box.stateDir, ['cni', 'check', id]);
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.match(check.stdout, new RegExp(`^net1 \\(network "${net}"\\): ok: CHECK passed\\n$`));

  const saved = readCniRecord(new StateDir(box.stateDir), id)!;
  const p = box.hook('poststop', { ociVersion: '1.0.2', id, status: 'stopped', bundle });
  assert.equal(p.status, 0, p.stderr);
  assert.equal(linkIn(ctr.netns, 'net1'), undefined, 'the macvlan is gone from the container');
  assert.deepEqual(leases(dd, net), [], 'the lease was released');
  assert.deepEqual(stateLeft(box.stateDir), []);
  // A second DEL of the same attachment (a retried teardown) does not fail.
  const again = saved.attachments[0]!;
  assert.deepEqual(delList(again, again.result, { containerId: id, netns: '', args: [], cniPath: [CNI_BIN] }), []);
});

test('bridge + host-local: two containers on one bridge ping each other', () => {
  const dd = dataDir(box);
  const bridge = uniqueName('cbr');
  box.defer(() => sh('ip', 'link', 'del', bridge));
  const net = uniqueName('br');
  const conf = { cniVersion: '1.0.0', name: net, plugins: [{ type: 'bridge', bridge, isGateway: false, ipMasq: false, ipam: hostLocal(dd, '10.232.1.0/24') }] };
  const ctrs = [box.container(), box.container()];
  for (const ctr of ctrs) {
    const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, box.bundle(cniConfig([{ ifName: 'eth1', config: conf }]))));
    assert.equal(r.status, 0, r.stderr);
  }
  const [a, b] = ctrs.map((c) => ipv4(c.netns, 'eth1'));
  assert.deepEqual([a, b], [['10.232.1.2/24'], ['10.232.1.3/24']]);
  assert.deepEqual(leases(dd, net), ['10.232.1.2', '10.232.1.3']);
  const out = sh('ip', 'netns', 'exec', ctrs[0]!.netns, '/bin/busybox', 'ping', '-c', '1', '-W', '5', '10.232.1.3');
  assert.match(out, /1 packets received/);
  const back = sh('ip', 'netns', 'exec', ctrs[1]!.netns, '/bin/busybox', 'ping', '-c', '1', '-W', '5', '10.232.1.2');
  assert.match(back, /1 packets received/);
});

test('a conflist whose second plugin fails (tuning, invalid sysctl): the first plugin\'s effects are undone, one line names attachment, plugin and msg', () => {
  const master = macvlanMaster(box);
  const dd = dataDir(box);
  const net = uniqueName('tf');
  const ctr = box.container();
  const id = uniqueName('c');
  const tuning = { type: 'tuning', sysctl: { 'net.ipv4.conf.net1.no_such_sysctl': '1' } };
  const bundle = box.bundle(cniConfig([{ ifName: 'net1', config: macvlan(net, master, hostLocal(dd, '10.233.1.0/24'), [tuning]) }]));
  const r = box.hook('createRuntime', runcState(id, ctr.pid, bundle));
  assert.equal(r.status, 4, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`device "net1": CNI ADD of network "${net}" failed: network "${net}", plugin "tuning" \\(#2\\): .*no_such_sysctl`));
  assert.deepEqual(ipJson(ctr.netns, 'link', 'show').map((l) => l.ifname), ['lo'], 'no interface left in the container');
  assert.deepEqual(leases(dd, net), [], 'the lease was released');
  assert.deepEqual(stateLeft(box.stateDir), []);
  const [entry] = statusOf(id);
  assert.deepEqual(entry!.conditions.map((c) => [c.status, c.reason]), [['False', 'NetworkInterfaceNotReady']]);
  assert.match(entry!.conditions[0]!.message, /plugin "tuning"/);
});

test('teardown kernel: at poststop the container netns is gone; DEL with an empty CNI_NETNS still releases the lease', () => {
  const master = macvlanMaster(box);
  const dd = dataDir(box);
  const net = uniqueName('mk');
  const ctr = box.container();
  const id = uniqueName('c');
  const bundle = box.bundle(cniConfig([{ ifName: 'net1', config: macvlan(net, master, hostLocal(dd, '10.234.1.0/24'), [], '0.4.0') }]));
  const r = box.hook('createRuntime', runcState(id, ctr.pid, bundle), { args: ['--teardown', 'kernel'] });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(ipv4(ctr.netns, 'net1'), ['10.234.1.2/24']);
  assert.equal(readCniRecord(new StateDir(box.stateDir), id)!.netns, `/proc/${ctr.pid}/ns/net`);
  stopContainer(ctr);
  const p = box.hook('poststop', { ociVersion: '1.0.2', id, status: 'stopped', bundle });
  assert.equal(p.status, 0, p.stderr);
  assert.deepEqual(leases(dd, net), []);
  assert.deepEqual(stateLeft(box.stateDir), []);
});

// Front-door mode too: the daemon hands CNI work back, so the front door has become the Node hook (exec) and dies as one.
test('SIGKILL between ADD and the end of the apply, then recover: DEL with the saved result for the first attachment, with the config alone for the second', async () => {
  const master = macvlanMaster(box);
  const dd = dataDir(box);
  const net = uniqueName('mr');
  // A plugin that hangs in ADD after saying where it is, so that the hook can be killed in the middle of it.
  const slowDir = mkdtempSync(join(tmpdir(), 'ond-slow-cni-'));
  box.defer(() => rmSync(slowDir, { recursive: true, force: true }));
  const marker = join(slowDir, 'in-add');
  writeFileSync(join(slowDir, 'ond-slow'), `#!/bin/sh\ncat >/dev/null\nif [ "$CNI_COMMAND" = ADD ]; then echo $$ > ${marker}.tmp; mv ${marker}.tmp ${marker}; exec sleep 120; fi\necho "$CNI_COMMAND" >> ${slowDir}/calls\n`);
  chmodSync(join(slowDir, 'ond-slow'), 0o755);
  const ctr = box.container();
  const id = uniqueName('c');
  const bundle = box.bundle(cniConfig([
    { ifName: 'net1', config: macvlan(net, master, hostLocal(dd, '10.235.1.0/24')) },
    { ifName: 'net2', config: { cniVersion: '1.0.0', name: 'slow', type: 'ond-slow' } },
  ]));
  const hook = startHook(box.stateDir, 'createRuntime', runcState(id, ctr.pid, bundle), ['--cni-path', `${slowDir}:${CNI_BIN}`]);
  await waitForFile(marker, 30_000);
  hook.kill('SIGKILL');
  assert.equal((await hook.done).signal, 'SIGKILL');
  process.kill(Number(readFileSync(marker, 'utf8')), 'SIGKILL');
  const saved = readCniRecord(new StateDir(box.stateDir), id)!;
  assert.deepEqual(saved.attachments.map((a) => [a.ifName, a.result !== undefined]), [['net1', true], ['net2', false]]);
  assert.deepEqual(ipv4(ctr.netns, 'net1'), ['10.235.1.2/24']);
  assert.deepEqual(leases(dd, net), ['10.235.1.2']);

  const rec = cli(box.stateDir, ['recover']);
  assert.equal(rec.status, 0, rec.stdout + rec.stderr);
  assert.match(rec.stdout, new RegExp(`^${id}: restored: `));
  assert.equal(linkIn(ctr.netns, 'net1'), undefined);
  assert.deepEqual(leases(dd, net), []);
  assert.equal(readFileSync(join(slowDir, 'calls'), 'utf8'), 'DEL\n', 'the interrupted attachment got its DEL');
  assert.deepEqual(stateLeft(box.stateDir), []);
});
