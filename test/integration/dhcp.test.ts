/**
 * addressing DHCP against busybox udhcpd on the peer end of the veth (a netns
 * of the test's own): the lease's address, router and MTU in the container,
 * the lease in devices.json and the status, DHCPRELEASE at poststop and on
 * rollback (udhcpd's lease file), and a network that never answers: a
 * bounded failure naming the device, the host unchanged.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, test } from 'node:test';
import { Sandbox, baseConfig, ipJson, linkIn, runcState, uniqueName } from './hook-kit.js';
import { cli, snapshot, startHook, stateLeft, stopContainer } from './lifecycle-kit.js';
import { startUdhcpd } from './dhcp-kit.js';

let box = new Sandbox();
afterEach(() => {
  box.cleanup();
  box = new Sandbox();
});

const stopped = (id: string, bundle: string): Record<string, unknown> => ({ ociVersion: '1.0.2', id, status: 'stopped', bundle });
const dhcpConfig = (dev: string, networkConfig: Record<string, unknown> = {}): Record<string, unknown> =>
  baseConfig({ netDevices: { [dev]: { name: 'net1', networkConfig: { interface: { addressing: 'DHCP' }, ...networkConfig } } } });

describe('addressing DHCP (busybox udhcpd)', () => {
  test('lease address, router default route, MTU; the lease in state and status; released at poststop', async () => {
    const [dev, peer] = box.veth();
    const mac = linkIn(undefined, dev)!.address;
    const srv = await startUdhcpd(box, peer, { mtu: 1400 });
    const ctr = box.container();
    const id = uniqueName('c');
    const bundle = box.bundle(dhcpConfig(dev));
    const r = box.hook('createRuntime', runcState(id, ctr.pid, bundle));
    assert.equal(r.status, 0, `${r.stderr}\n${srv.log()}`);

    const link = linkIn(ctr.netns, 'net1')!;
    assert.deepEqual(link.addr_info?.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`), ['192.0.2.50/24']);
    assert.equal(ipJson<Array<{ mtu: number }>>(ctr.netns, 'link', 'show', 'net1')[0]!.mtu, 1400);
    const def = ipJson<Array<{ dst: string; gateway?: string; dev: string; protocol?: string }>>(ctr.netns, 'route', 'show', 'default');
    assert.deepEqual(def.map((x) => [x.dst, x.gateway, x.dev, x.protocol]), [['default', '192.0.2.1', 'net1', 'dhcp']]);

    const record = JSON.parse(readFileSync(join(box.stateDir, 'containers', id, 'devices.json'), 'utf8')) as { devices: Array<{ dhcpLease?: Record<string, unknown> }> };
    const lease = record.devices[0]!.dhcpLease!;
    assert.deepEqual({ ...lease, obtainedAt: undefined }, { address: '192.0.2.50', prefixLength: 24, serverId: '192.0.2.1', leaseSeconds: 600, router: '192.0.2.1', mtu: 1400, clientMac: mac, obtainedAt: undefined });
    assert.ok(Math.abs(Date.parse(lease.obtainedAt as string) - Date.now()) < 60_000);

    const st = cli(box.stateDir, ['status', id]);
    assert.equal(st.status, 0, st.stderr);
    const dev0 = (JSON.parse(st.stdout) as { devices: Array<{ conditions: Array<{ type: string; status: string }>; networkData: { ips: string[] }; data: { dhcpLease: unknown } }> }).devices[0]!;
    assert.deepEqual(dev0.conditions.map((c) => [c.type, c.status]), [['Ready', 'True'], ['NetworkReady', 'True']]);
    assert.ok(dev0.networkData.ips.includes('192.0.2.50/24'), JSON.stringify(dev0.networkData));
    assert.deepEqual(dev0.data.dhcpLease, lease);

    const held = await srv.leases();
    assert.deepEqual(held.map((l) => [l.mac, l.address]), [[mac, '192.0.2.50']]);
    assert.ok(held[0]!.secondsLeft > 500, `held for ${held[0]!.secondsLeft} s`);

    stopContainer(ctr);
    const p = box.hook('poststop', stopped(id, bundle));
    assert.equal(p.status, 0, p.stderr);
    assert.ok(linkIn(undefined, dev) !== undefined, 'the device is home');
    const after = await srv.leases();
    assert.deepEqual(after.map((l) => [l.mac, l.address, l.secondsLeft]), [[mac, '192.0.2.50', 0]], 'DHCPRELEASE freed the lease');
    assert.deepEqual(stateLeft(box.stateDir), []);
  });

  test('routes given: the lease\'s router is not added as a default route; a failure later releases the lease on rollback', async () => {
    const [dev, peer] = box.veth();
    const srv = await startUdhcpd(box, peer);
    const ctr = box.container();
    const cfg = dhcpConfig(dev, { routes: [{ destination: '0.0.0.0/0', gateway: '192.0.2.254' }] });
    const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, box.bundle(cfg)));
    assert.equal(r.status, 0, r.stderr);
    const def = ipJson<Array<{ gateway?: string; protocol?: string }>>(ctr.netns, 'route', 'show', 'default');
    assert.deepEqual(def.map((x) => x.gateway), ['192.0.2.254'], 'the user\'s default route, not the lease\'s');
    box.cleanup();
    box = new Sandbox();

    const [dev2, peer2] = box.veth();
    const srv2 = await startUdhcpd(box, peer2);
    const before = snapshot([dev2]);
    const ctr2 = box.container();
    // The gateway is off the leased subnet: the route step fails after the lease was applied.
    const bad = dhcpConfig(dev2, { routes: [{ destination: '10.9.0.0/16', gateway: '198.51.100.1' }] });
    const f = box.hook('createRuntime', runcState(uniqueName('c'), ctr2.pid, box.bundle(bad)));
    assert.equal(f.status, 4, f.stderr);
    assert.match(f.stderr, /add route/);
    assert.deepEqual(snapshot([dev2]), before, 'the host is as before');
    assert.deepEqual(stateLeft(box.stateDir), []);
    const leases = await srv2.leases();
    assert.deepEqual(leases.map((l) => [l.address, l.secondsLeft]), [['192.0.2.50', 0]], 'the rollback released the lease');
    void srv;
  });

  test('a DHCP server that never answers: bounded failure naming the device, host unchanged', async () => {
    const [dev, peer] = box.veth();
    await startUdhcpd(box, peer, { silent: true });
    const before = snapshot([dev]);
    const ctr = box.container();
    const id = uniqueName('c');
    const t0 = Date.now();
    const r = box.hook('createRuntime', runcState(id, ctr.pid, box.bundle(dhcpConfig(dev))));
    const took = Date.now() - t0;
    assert.equal(r.status, 4, r.stderr);
    assert.match(r.stderr, new RegExp(`device "${dev}": DHCP on net1 failed: no DHCP OFFER on net1 after 3 tries of 1000 ms`));
    assert.ok(took < 10_000, `took ${took} ms`);
    assert.deepEqual(snapshot([dev]), before);
    assert.deepEqual(stateLeft(box.stateDir), []);
    assert.deepEqual(ipJson(ctr.netns, 'link', 'show').map((l) => l.ifname), ['lo']);
    const st = cli(box.stateDir, ['status', id]);
    const conds = (JSON.parse(st.stdout) as { devices: Array<{ conditions: Array<{ type: string; status: string; reason: string; message: string }> }> }).devices[0]!.conditions;
    assert.deepEqual(conds.map((c) => [c.type, c.status, c.reason]), [['Ready', 'False', 'ConfigurationFailed'], ['NetworkReady', 'False', 'ConfigurationFailed']]);
    assert.match(conds[0]!.message, /no DHCP OFFER on net1/);
  });

  for (const mode of ['refuse', 'applied'] as const) test(`${mode === 'refuse' ? 'a refusal at' : 'a failure reported after the kernel applied'} every kernel-changing message leaves the host as before and the server with no lease held`, async () => {
    const [dev, peer] = box.veth();
    const srv = await startUdhcpd(box, peer, { mtu: 1400 });
    const before = snapshot([dev]);
    const bundle = box.bundle(dhcpConfig(dev, { routes: [{ destination: '10.9.0.0/16', gateway: '192.0.2.1' }], neighbors: [{ destination: '192.0.2.9', hardwareAddr: '02:00:00:00:70:09' }] }));
    let k = 1;
    for (; k < 40; k++) {
      const ctr = box.container();
      const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, bundle), { faults: [{ type: 'change', nth: k, mode }] });
      if (r.fired.length === 0) {
        assert.equal(r.status, 0, `no fault left to inject at message ${k}, so the apply succeeds: ${r.stderr}`);
        break;
      }
      assert.equal(r.status, 4, `step ${k}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`injected fault \\(${mode}\\)`));
      assert.doesNotMatch(r.stderr, /undo also failed/, `step ${k}: every undo worked`);
      assert.deepEqual(snapshot([dev]), before, `host differs after a fault at step ${k}`);
      assert.deepEqual(stateLeft(box.stateDir), [], `state left after a fault at step ${k}`);
      const held = (await srv.leases()).filter((l) => l.secondsLeft > 0);
      assert.deepEqual(held, [], `a lease is still held after a fault at step ${k}`);
    }
    // move, settings in link messages, DHCP address, MTU, up, default route, the user's route and neighbor
    assert.ok(k > 6, `the DHCP apply sends several changes (${k - 1} faults injected before it succeeded)`);
  });

  test('--timeout while waiting for a silent server: the deadline ends the wait at once, everything rolled back', async () => {
    const [dev, peer] = box.veth();
    await startUdhcpd(box, peer, { silent: true });
    const before = snapshot([dev]);
    const ctr = box.container();
    const t0 = Date.now();
    const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, box.bundle(dhcpConfig(dev))), { args: ['--timeout', '1'] });
    const took = Date.now() - t0;
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /createRuntime deadline of 1s passed \(--timeout\): every change was rolled back/);
    assert.ok(took < 2500, `took ${took} ms, not the 3 s of the DHCP tries`);
    assert.deepEqual(snapshot([dev]), before);
    assert.deepEqual(stateLeft(box.stateDir), []);
  });

  test('a device the runtime already moved: leased in place, and its lease released at poststop though it stays', async () => {
    const [dev, peer] = box.veth();
    const srv = await startUdhcpd(box, peer);
    const ctr = box.container();
    spawnSyncOk('ip', 'link', 'set', dev, 'netns', ctr.netns, 'name', 'native0');
    const id = uniqueName('c');
    const bundle = box.bundle(baseConfig({ netDevices: { [dev]: { name: 'native0', networkConfig: { interface: { addressing: 'DHCP' } } } } }));
    const r = box.hook('createRuntime', runcState(id, ctr.pid, bundle));
    assert.equal(r.status, 0, r.stderr);
    assert.ok(linkIn(ctr.netns, 'native0')!.addr_info!.some((a) => a.local === '192.0.2.50'));
    assert.ok((await srv.leases()).some((l) => l.secondsLeft > 0));
    const p = box.hook('poststop', stopped(id, bundle));
    assert.equal(p.status, 0, p.stderr);
    assert.deepEqual((await srv.leases()).map((l) => [l.address, l.secondsLeft]), [['192.0.2.50', 0]], 'released');
    assert.ok(linkIn(ctr.netns, 'native0') !== undefined, 'the runtime\'s device stays where the runtime put it');
  });

  test('a hook killed after the lease: the journal holds it, recover releases it and brings the devices home', async () => {
    const [dev, peer] = box.veth();
    const srv = await startUdhcpd(box, peer);
    // A second device waits for SLAAC that never comes: the hook is still at work when killed.
    const [slow, slowPeer] = box.veth();
    const quiet = box.netns();
    spawnSyncOk('ip', 'link', 'set', slowPeer, 'netns', quiet);
    const before = snapshot([dev, slow]);
    const ctr = box.container();
    const id = uniqueName('c');
    const cfg = baseConfig({ netDevices: { [dev]: { name: 'net1', networkConfig: { interface: { addressing: 'DHCP' } } }, [slow]: { name: 'net2', networkConfig: { interface: { addressing: 'SLAAC' } } } } });
    const hook = startHook(box.stateDir, 'createRuntime', runcState(id, ctr.pid, box.bundle(cfg)));
    const journal = join(box.stateDir, 'containers', id, 'journal.json');
    let recorded: { address?: string } | undefined;
    for (const end = Date.now() + 10_000; recorded === undefined && Date.now() < end;) {
      await new Promise((r) => setTimeout(r, 20));
      if (!existsSync(journal)) continue;
      try {
        recorded = (JSON.parse(readFileSync(journal, 'utf8')) as { devices: Array<{ hostName: string; dhcpLease?: { address: string } }> }).devices.find((d) => d.hostName === dev)?.dhcpLease;
      } catch {
        /* being replaced */
      }
    }
    assert.equal(recorded?.address, '192.0.2.50', 'the journal records the lease');
    hook.kill('SIGKILL');
    assert.equal((await hook.done).signal, 'SIGKILL', 'killed while still waiting for SLAAC');
    assert.ok((await srv.leases()).some((l) => l.secondsLeft > 0), 'the lease is held');
    const rec = cli(box.stateDir, ['recover']);
    assert.equal(rec.status, 0, rec.stdout + rec.stderr);
    assert.deepEqual(snapshot([dev, slow]), before);
    assert.deepEqual((await srv.leases()).map((l) => [l.address, l.secondsLeft]), [['192.0.2.50', 0]], 'recover released the lease');
    assert.deepEqual(stateLeft(box.stateDir), []);
  });
});

function spawnSyncOk(cmd: string, ...args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}
