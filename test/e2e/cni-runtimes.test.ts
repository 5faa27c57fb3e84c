/**
 * CNI attachments under real runc and crun: a macvlan (mode bridge) on a veth
 * end made here, with host-local IPAM in a private dataDir, asked for by the
 * oci-netdevices.io/cni annotation. Checked inside the container with
 * busybox `ip`, through `oci-netdevices status` (cni-dra-driver's shape) and
 * `cni check`; after delete (poststop: DEL) the lease is gone and no link is
 * left, in the container's netns or on the host.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { Sandbox, ipJson, uniqueName } from '../integration/hook-kit.js';
import { CNI_BIN, CNI_KEY, dataDir, hostLocal, leases, macvlan, macvlanMaster, macvlansOn } from '../integration/cni-kit.js';
import { cli, stateLeft } from '../integration/lifecycle-kit.js';
import { busyboxBundle, containerState, createContainer, ensureCrunCgroups, REPO, type Runtime, runtimeCmd, until } from './e2e-kit.js';

let box = new Sandbox();
afterEach(() => {
  box.cleanup();
  box = new Sandbox();
});


interface StatusEntry {
  device: string;
  conditions: Array<{ type: string; status: string; reason: string; message: string }>;
  networkData?: { interfaceName: string; hardwareAddress?: string; ips: string[] };
  data?: { cniVersion: string; interfaces?: Array<{ name: string; mac?: string; sandbox?: string }>; ips?: Array<{ address: string }> };
}

for (const [n, runtime] of (['runc', 'crun'] as Runtime[]).entries()) {
  describe(`${runtime}: a container with a CNI macvlan attachment`, () => {
    test('inside (busybox ip), status, cni check; after delete the lease is released and no link is left', async () => {
      if (runtime === 'crun') ensureCrunCgroups();
      const master = macvlanMaster(box);
      const dd = dataDir(box);
      const net = uniqueName('e2ecni');
      const subnet = `10.237.${n}.0/24`;
      const b = busyboxBundle(box, 'sleep 600', { stateDir: box.stateDir });
      b.config.annotations = { [CNI_KEY]: JSON.stringify([{ ifName: 'net1', config: macvlan(net, master, hostLocal(dd, subnet)) }]) };
      for (const h of Object.values(b.config.hooks as Record<string, Array<{ args: string[] }>>)) h[0]!.args.splice(1, 0, '--cni-path', CNI_BIN);
      b.write();
      const id = uniqueName('cni');
      box.defer(() => spawnSync(runtime, ['delete', '-f', id], { stdio: 'ignore' }));
      createContainer(runtime, b.dir, id);
      assert.deepEqual(leases(dd, net), [`10.237.${n}.2`], 'host-local leased one address at ADD');
      assert.match(readFileSync(join(dd, net, `10.237.${n}.2`), 'utf8'), new RegExp(id), 'the lease names the container');

      const st = cli(box.stateDir, ['status', id]);
      assert.equal(st.status, 0, st.stderr);
      const [entry, ...more] = (JSON.parse(st.stdout) as { devices: StatusEntry[] }).devices;
      assert.deepEqual(more, [], 'one status entry: the attachment');
      assert.equal(entry!.device, 'net1');
      assert.deepEqual(entry!.conditions.map((c) => [c.type, c.status, c.reason]), [['Ready', 'True', 'NetworkInterfaceReady']]);
      assert.equal(entry!.networkData?.interfaceName, 'net1');
      assert.deepEqual(entry!.networkData?.ips, [`10.237.${n}.2/24`]);
      assert.match(entry!.networkData?.hardwareAddress ?? '', /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
      // data is the raw CNI result: the container interface with its sandbox and the same MAC.
      assert.equal(entry!.data?.cniVersion, '1.0.0');
      const iface = entry!.data?.interfaces?.find((i) => i.name === 'net1');
      assert.equal(iface?.mac, entry!.networkData?.hardwareAddress);
      assert.ok(iface?.sandbox !== undefined && iface.sandbox !== '', JSON.stringify(entry!.data));
      assert.deepEqual(entry!.data?.ips?.map((i) => i.address), [`10.237.${n}.2/24`]);

      const check = cli(box.stateDir, ['cni', 'check', id]);
      assert.equal(check.status, 0, check.stdout + check.stderr);
      assert.match(check.stdout, /^net1 \(network "[^"]+"\): ok: CHECK passed\n$/);

      runtimeCmd(runtime, 'start', id);
      await until('running', () => containerState(runtime, id).status === 'running');
      // Seen by the container's own busybox ip.
      const link = runtimeCmd(runtime, 'exec', id, '/bin/ip', '-o', 'link', 'show', 'net1');
      assert.match(link, /^\d+: net1@\S+: <[^>]*\bUP\b[^>]*>/, link);
      assert.ok(link.includes(`link/ether ${entry!.networkData!.hardwareAddress!}`), link);
      const addr = runtimeCmd(runtime, 'exec', id, '/bin/ip', '-o', '-4', 'addr', 'show', 'dev', 'net1');
      assert.match(addr, new RegExp(`inet 10\\.237\\.${n}\\.2/24 `), addr);
      assert.deepEqual(macvlansOn(master), [], 'the macvlan is in the container, not on the host');

      runtimeCmd(runtime, 'kill', id, 'KILL');
      await until('stopped', () => containerState(runtime, id).status === 'stopped');
      runtimeCmd(runtime, 'delete', id);
      assert.deepEqual(leases(dd, net), [], 'DEL released the lease');
      assert.equal(existsSync(join(dd, net, `10.237.${n}.2`)), false);
      assert.deepEqual(stateLeft(box.stateDir), [], 'no state, no pin');
      assert.deepEqual(macvlansOn(master), [], 'no macvlan left on the host');
    });

    test('through the wrapper (oci-netdevices-runtime run), from a config.json with the annotation and no hooks: attached inside, released after', () => {
      if (runtime === 'crun') ensureCrunCgroups();
      const master = macvlanMaster(box);
      const dd = dataDir(box);
      const net = uniqueName('e2ewr');
      const b = busyboxBundle(box, 'ip -o -4 addr show dev net1', { hooks: [] });
      b.config.annotations = { [CNI_KEY]: JSON.stringify([{ ifName: 'net1', config: { cniVersion: '1.0.0', name: net, type: 'macvlan', master, mode: 'bridge', ipam: hostLocal(dd, `10.238.${n}.0/24`) } }]) };
      b.write();
      const id = uniqueName('cniw');
      box.defer(() => spawnSync(runtime, ['delete', '-f', id], { stdio: 'ignore' }));
      const env = { ...process.env, OCI_NETDEVICES_RUNTIME: runtime, OCI_NETDEVICES_STATE_DIR: box.stateDir, OCI_NETDEVICES_LOG: b.logFile, OCI_NETDEVICES_CNI_PATH: CNI_BIN };
      const r = spawnSync(join(REPO, 'bin', 'oci-netdevices-runtime'), ['run', '-b', b.dir, id], { env, encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
      assert.equal(r.status, 0, `${r.stderr}\n${existsSync(b.logFile) ? readFileSync(b.logFile, 'utf8') : ''}`);
      assert.match(r.stdout, new RegExp(`net1\\s+inet 10\\.238\\.${n}\\.2/24 `), r.stdout);
      spawnSync(runtime, ['delete', '-f', id], { stdio: 'ignore' });
      assert.deepEqual(leases(dd, net), [], 'DEL released the lease');
      assert.deepEqual(stateLeft(box.stateDir), []);
      assert.deepEqual(macvlansOn(master), []);
    });
  });
}
