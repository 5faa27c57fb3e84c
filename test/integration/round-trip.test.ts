/**
 * Issue 10: a device comes home exactly as it left. A throwaway netns plays
 * the host (the hook runs inside it), so its routing tables are ours alone.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, test } from 'node:test';
import { HOOK_BIN, Sandbox, baseConfig, runcState, uniqueName } from './hook-kit.js';
import { stateLeft } from './lifecycle-kit.js';
import { claims, configureRichDevice, containerAddrs, expectedInside, fullSnapshot, inNs, readJson } from '../support/round-trip-kit.js';

const FAULTY_HOOK = resolve(fileURLToPath(import.meta.url), '../../support/faulty-hook.js');

let box = new Sandbox();
let hostNs: string | undefined;
afterEach(() => {
  // Devices still pinned must come home to the netns that plays the host, not to the real one.
  if (hostNs !== undefined) spawnSync('nsenter', [`--net=/run/netns/${hostNs}`, HOOK_BIN, '--log-file', 'off', '--state-dir', box.stateDir, 'recover', '--all'], { stdio: 'ignore' });
  hostNs = undefined;
  box.cleanup();
  box = new Sandbox();
});

type Json = Record<string, unknown>;

/** A netns playing the host, with a rich veth end in it; the container's config asks for it as eth1. */
function setup(net: number): { ns: string; dev: string; peer: string; carried: string[]; config: Json } {
  const ns = box.netns();
  hostNs = ns;
  const dev = uniqueName('rt');
  const peer = uniqueName('rp');
  inNs(ns, 'ip', 'link', 'add', dev, 'type', 'veth', 'peer', 'name', peer);
  inNs(ns, 'ip', 'link', 'set', 'lo', 'up');
  const rich = configureRichDevice(ns, dev, peer, { net, table: 100, altname: uniqueName('alt') });
  return { ns, dev, peer, carried: rich.carried, config: baseConfig({ netDevices: [{ name: dev, properties: { name: 'eth1' } }] }) };
}

/**
 * A hook run in the netns playing the host. nsenter, not `ip netns exec`: that one runs in a
 * private mount namespace, where the pin (a bind mount) would vanish with the hook.
 */
function hook(ns: string, stage: string, state: Json, env: Record<string, string> = {}, bin: string[] = [HOOK_BIN]): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync('nsenter', [`--net=/run/netns/${ns}`, ...bin, '--log-file', 'off', '--state-dir', box.stateDir, 'hook', stage], { input: JSON.stringify(state), encoding: 'utf8', env: { ...process.env, ...env } });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

function assertLifetimes(before: Record<string, [number, number]>, after: Record<string, [number, number]>): void {
  assert.deepEqual(Object.keys(after).sort(), Object.keys(before).sort(), 'the same addresses have finite lifetimes');
  for (const [k, [v, p]] of Object.entries(before)) {
    const [v2, p2] = after[k]!;
    assert.ok(v2 <= v && v2 >= v - 120, `${k}: valid_lft ${v2} counts down from ${v}`);
    assert.ok(p2 <= p && p2 >= p - 120, `${k}: preferred_lft ${p2} counts down from ${p}`);
  }
}

test('create + teardown: the host device comes home exactly as it left; inside, the carried addresses keep every attribute', () => {
  const { ns, dev, carried, config } = setup(61);
  const before = fullSnapshot(ns, [dev]);
  const ctr = box.container();
  const id = uniqueName('c');
  const bundle = box.bundle(config);
  const r = hook(ns, 'createRuntime', runcState(id, ctr.pid, bundle));
  assert.equal(r.status, 0, r.stderr);

  const hostEntries = ((before.snap as { addrs: Json[] }).addrs[0]!.addr_info as Json[]).filter((a) => carried.includes(String(a.local)));
  assert.equal(hostEntries.length, carried.length, 'every carried address was on the host');
  const inside = containerAddrs(`/proc/${ctr.pid}/ns/net`, 'eth1').filter((a) => a.scope === 'global');
  assert.deepEqual(inside, hostEntries.map((e) => expectedInside(e, dev, 'eth1')), 'inside: the same addresses with the same attributes (label renamed)');
  assert.ok(inside.some((a) => a.label === 'eth1:web'), 'the label followed the rename');

  const t = hook(ns, 'poststop', { ociVersion: '1.0.2', id, status: 'stopped', bundle });
  assert.equal(t.status, 0, t.stderr);
  const after = fullSnapshot(ns, [dev]);
  assert.deepEqual(after.snap, before.snap);
  assertLifetimes(before.lifetimes, after.lifetimes);
  assert.deepEqual(stateLeft(box.stateDir), []);
});

test('what the container changed (promisc, NOARP, txqueuelen, alias, altname, an ethtool feature) does not come home', () => {
  const { ns, dev, peer, config } = setup(62);
  const before = fullSnapshot(ns, [dev]);
  const ctr = box.container();
  const id = uniqueName('c');
  const bundle = box.bundle(config);
  assert.equal(hook(ns, 'createRuntime', runcState(id, ctr.pid, bundle)).status, 0);
  const net = `--net=/proc/${ctr.pid}/ns/net`;
  const ctrIp = (...a: string[]): string => String(spawnSync('nsenter', [net, 'ip', ...a], { encoding: 'utf8' }).stderr);
  assert.equal(ctrIp('link', 'set', 'eth1', 'promisc', 'on', 'arp', 'off', 'txqueuelen', '55', 'alias', 'changed inside', 'group', '9', 'allmulticast', 'off'), '');
  // An altname that is a host device's name: the kernel would refuse the move home (EEXIST).
  assert.equal(ctrIp('link', 'property', 'add', 'dev', 'eth1', 'altname', peer), '');
  assert.equal(ctrIp('link', 'property', 'add', 'dev', 'eth1', 'altname', uniqueName('new')), '');
  assert.equal(spawnSync('nsenter', [net, 'ethtool', '-K', 'eth1', 'tso', 'on', 'gro', 'on']).status, 0);

  const t = hook(ns, 'poststop', { ociVersion: '1.0.2', id, status: 'stopped', bundle });
  assert.equal(t.status, 0, t.stderr);
  const after = fullSnapshot(ns, [dev]);
  assert.deepEqual(after.snap, before.snap);
  assert.deepEqual(stateLeft(box.stateDir), []);
});

for (const mode of ['refuse', 'applied'] as const) test(`${mode === 'refuse' ? 'a refusal at' : 'a failure reported after the kernel applied'} every kernel-changing message of createRuntime: the rollback restores the same complete state`, () => {
  const { ns, dev, config } = setup(mode === 'refuse' ? 63 : 68);
  const before = fullSnapshot(ns, [dev]);
  const bundle = box.bundle(config);
  const faultLog = join(box.stateDir, 'faults');
  let k = 1;
  for (; k < 100; k++) {
    const ctr = box.container();
    const id = uniqueName('c');
    rmSync(faultLog, { force: true });
    const r = hook(ns, 'createRuntime', runcState(id, ctr.pid, bundle), { OND_TEST_FAULTS: JSON.stringify([{ type: 'change', nth: k, mode }]), OND_TEST_FAULT_LOG: faultLog }, ['node', FAULTY_HOOK]);
    if (!existsSync(faultLog)) {
      assert.equal(r.status, 0, `no fault left to inject at message ${k}, so the apply succeeds: ${r.stderr}`);
      const t = hook(ns, 'poststop', { ociVersion: '1.0.2', id, status: 'stopped', bundle });
      assert.equal(t.status, 0, t.stderr);
      assert.deepEqual(fullSnapshot(ns, [dev]).snap, before.snap);
      break;
    }
    assert.equal(r.status, 4, `message ${k}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`injected fault \\(${mode}\\)`));
    assert.doesNotMatch(r.stderr, /undo also failed|with losses/, `message ${k}: every undo worked`);
    const after = fullSnapshot(ns, [dev]);
    assert.deepEqual(after.snap, before.snap, `host differs after a fault at message ${k}`);
    assertLifetimes(before.lifetimes, after.lifetimes);
    assert.deepEqual(stateLeft(box.stateDir).filter((f) => !f.endsWith('faults')), [], `state left after a fault at message ${k}`);
  }
  // The move, 6 carried addresses, the link up.
  assert.ok(k > 8, `the apply sends several changes (${k - 1} faults injected before it succeeded)`);
});

test('faults in the kernel answers of createRuntime (refused, applied-then-refused, lost): the host comes back the same', () => {
  const { ns, dev, config } = setup(64);
  const before = fullSnapshot(ns, [dev]);
  const bundle = box.bundle(config);
  const rules = [
    { netns: 'host', type: 'RTM_NEWLINK', attr: 'IFLA_NET_NS_FD', nth: 1, mode: 'applied' },
    { netns: 'ctr', type: 'RTM_NEWADDR', nth: 3, mode: 'refuse' },
    { netns: 'ctr', type: 'RTM_NEWADDR', nth: 2, mode: 'recv-fails' },
    { netns: 'ctr', type: 'RTM_NEWLINK', nth: 1, mode: 'refuse' },
  ];
  for (const rule of rules) {
    const ctr = box.container();
    const r = hook(ns, 'createRuntime', runcState(uniqueName('c'), ctr.pid, bundle), { OND_TEST_FAULTS: JSON.stringify([rule]) }, ['node', FAULTY_HOOK]);
    assert.notEqual(r.status, 0, `${JSON.stringify(rule)}: the fault made it fail`);
    assert.doesNotMatch(r.stderr, /undo also failed|with losses/, `${JSON.stringify(rule)}: ${r.stderr}`);
    const after = fullSnapshot(ns, [dev]);
    assert.deepEqual(after.snap, before.snap, `host differs after ${JSON.stringify(rule)}`);
    assert.deepEqual(stateLeft(box.stateDir), []);
  }
});

test('a restore step that fails does not block the others: home under its name, claim released, losses reported (exit 7), recover does not retry', () => {
  const { ns, dev, config } = setup(65);
  const before = fullSnapshot(ns, [dev]);
  const ctr = box.container();
  const id = uniqueName('c');
  const bundle = box.bundle(config);
  assert.equal(hook(ns, 'createRuntime', runcState(id, ctr.pid, bundle)).status, 0);
  // The host refuses the first address (10.65.1.1 brd/label) and the first route on the way home.
  const faults = [{ netns: 'host', type: 'RTM_NEWADDR', nth: 1, mode: 'refuse', errno: 12 }, { netns: 'host', type: 'RTM_NEWROUTE', nth: 1, mode: 'refuse', errno: 12 }];
  const t = hook(ns, 'poststop', { ociVersion: '1.0.2', id, status: 'stopped', bundle }, { OND_TEST_FAULTS: JSON.stringify(faults) }, ['node', FAULTY_HOOK]);
  assert.equal(t.status, 7, t.stderr);
  assert.match(t.stderr, /came home with losses: .*address 10\.65\.1\.1\/24 not restored .*ENOMEM/);
  assert.match(t.stderr, /route .* not restored/);
  assert.deepEqual(claims(box.stateDir), [], 'the claim is released');
  assert.deepEqual(stateLeft(box.stateDir), []);
  const status = readJson(`${box.stateDir}/status/${id}.json`) as { devices: Array<{ device: string; conditions: Array<{ type: string; reason: string; message: string }> }> };
  assert.equal(status.devices[0]!.device, dev);
  assert.equal(status.devices[0]!.conditions[0]!.reason, 'RestoredWithLosses');
  assert.match(status.devices[0]!.conditions[0]!.message, /10\.65\.1\.1/);

  // Everything else came back: the device under its name, its other addresses and routes, its attributes.
  const after = fullSnapshot(ns, [dev]);
  const b = before.snap as { links: Json[]; addrs: Json[]; routes4: Json[] };
  const a = after.snap as { links: Json[]; addrs: Json[]; routes4: Json[]; routes6: Json[] };
  assert.deepEqual(a.links, b.links);
  const locals = (s: { addrs: Json[] }): string[] => (s.addrs[0]!.addr_info as Json[]).map((x) => String(x.local));
  assert.deepEqual(locals(a), locals(b).filter((l) => l !== '10.65.1.1'));
  assert.deepEqual(a.routes6, (before.snap as { routes6: Json[] }).routes6, 'every IPv6 route came back');
  // Missing IPv4 routes: the kernel's own of the lost address, and the static ones it made impossible
  // (via its subnet, with it as source) or the one refused: each of those is reported as a loss.
  const key = (r: Json): string => JSON.stringify(r);
  const missing = b.routes4.filter((r) => !a.routes4.map(key).includes(key(r)));
  assert.ok(missing.length > 0 && missing.length <= 8, `${missing.length} routes missing`);
  for (const r of missing) {
    if (r.protocol === 'kernel') assert.match(`${String(r.dst)} ${String(r.prefsrc)}`, /10\.65\.1\./, `a kernel route of the lost address: ${key(r)}`);
    else assert.ok(t.stderr.includes(`route ${String(r.dst)}`), `the missing ${key(r)} is reported: ${t.stderr}`);
  }
  assert.equal(a.routes4.length + missing.length, b.routes4.length, 'nothing extra');
  // recover has nothing left to retry.
  const rec = spawnSync('nsenter', [`--net=/run/netns/${ns}`, HOOK_BIN, '--log-file', 'off', '--state-dir', box.stateDir, 'recover', '--all'], { encoding: 'utf8' });
  assert.equal(rec.status, 0, rec.stderr);
  assert.match(rec.stdout, /nothing to recover/);
  assert.ok(!existsSync(`${box.stateDir}/containers/${id}`));
});

test('a fault at each kind of teardown step: the device still comes home under its name, the losses are named, nothing is kept', () => {
  const { ns, dev, config } = setup(66);
  const bundle = box.bundle(config);
  const rules: Array<{ netns: 'host' | 'ctr'; type: string; attr?: string; nth: number }> = [
    { netns: 'ctr', type: 'RTM_NEWLINK', nth: 1 }, // the first reset before the move (down)
    { netns: 'host', type: 'RTM_NEWLINK', nth: 1 }, // IPv4 settings or up, after the move
    { netns: 'host', type: 'RTM_NEWADDR', nth: 1 },
    { netns: 'host', type: 'RTM_NEWADDR', nth: 4 },
  ];
  for (const rule of rules) {
    const ctr = box.container();
    const id = uniqueName('c');
    assert.equal(hook(ns, 'createRuntime', runcState(id, ctr.pid, bundle)).status, 0);
    const t = hook(ns, 'poststop', { ociVersion: '1.0.2', id, status: 'stopped', bundle }, { OND_TEST_FAULTS: JSON.stringify([{ ...rule, mode: 'refuse', errno: 12 }]) }, ['node', FAULTY_HOOK]);
    const what = JSON.stringify(rule);
    assert.equal(t.status, 7, `${what}: ${t.stderr}`);
    assert.match(t.stderr, /came home with losses: .*not restored .*ENOMEM/, what);
    assert.ok(inNs(ns, 'ip', '-br', 'link', 'show', 'dev', dev).startsWith(dev), `${what}: home under its name`);
    assert.deepEqual(stateLeft(box.stateDir), [], what);
  }
  // A route refused once is tried again while other routes make progress: it comes back.
  {
    const before = fullSnapshot(ns, [dev]);
    const ctr = box.container();
    const id = uniqueName('c');
    assert.equal(hook(ns, 'createRuntime', runcState(id, ctr.pid, bundle)).status, 0);
    const t = hook(ns, 'poststop', { ociVersion: '1.0.2', id, status: 'stopped', bundle }, { OND_TEST_FAULTS: JSON.stringify([{ netns: 'host', type: 'RTM_NEWROUTE', nth: 1, mode: 'refuse', errno: 12 }]) }, ['node', FAULTY_HOOK]);
    assert.equal(t.status, 0, t.stderr);
    assert.deepEqual(fullSnapshot(ns, [dev]).snap, before.snap);
  }
  // The move itself refused: that is the one failure that keeps the state, and recover then finishes.
  const ctr = box.container();
  const id = uniqueName('c');
  assert.equal(hook(ns, 'createRuntime', runcState(id, ctr.pid, bundle)).status, 0);
  const t = hook(ns, 'poststop', { ociVersion: '1.0.2', id, status: 'stopped', bundle }, { OND_TEST_FAULTS: JSON.stringify([{ netns: 'ctr', type: 'RTM_NEWLINK', attr: 'IFLA_NET_NS_FD', nth: 1, mode: 'refuse' }]) }, ['node', FAULTY_HOOK]);
  assert.equal(t.status, 4, t.stderr);
  assert.match(t.stderr, /state kept, retry with: oci-netdevices recover/);
  const rec = spawnSync('nsenter', [`--net=/run/netns/${ns}`, HOOK_BIN, '--log-file', 'off', '--state-dir', box.stateDir, 'recover', id], { encoding: 'utf8' });
  assert.equal(rec.status, 0, rec.stdout + rec.stderr);
  assert.ok(inNs(ns, 'ip', '-br', 'link', 'show', 'dev', dev).startsWith(dev));
  assert.deepEqual(stateLeft(box.stateDir), []);
});

test('a rollback that cannot restore everything says so with the cause (rolled back with losses), and leaves nothing behind', () => {
  const { ns, dev, config } = setup(67);
  const bundle = box.bundle(config);
  const ctr = box.container();
  // The container refuses "set link up" (the apply fails); on the way home the host refuses the first address.
  const faults = [{ netns: 'ctr', type: 'RTM_NEWLINK', nth: 1, mode: 'refuse' }, { netns: 'host', type: 'RTM_NEWADDR', nth: 1, mode: 'refuse', errno: 12 }];
  const r = hook(ns, 'createRuntime', runcState(uniqueName('c'), ctr.pid, bundle), { OND_TEST_FAULTS: JSON.stringify(faults) }, ['node', FAULTY_HOOK]);
  assert.equal(r.status, 4, r.stderr);
  assert.match(r.stderr, /set link up .*injected fault.*; rolled back with losses: .*address 10\.67\.1\.1\/24 not restored .*ENOMEM/);
  assert.ok(inNs(ns, 'ip', '-br', 'link', 'show', 'dev', dev).startsWith(dev), 'home under its name');
  assert.ok(inNs(ns, 'ip', '-br', 'addr', 'show', 'dev', dev).includes('10.67.2.1'), 'the other addresses came back');
  assert.deepEqual(stateLeft(box.stateDir), []);
});
