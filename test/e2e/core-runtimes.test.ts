import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { afterEach, describe, test } from 'node:test';
import { Sandbox, linkIn, sh, uniqueName } from '../integration/hook-kit.js';
import { type Runtime, SHOW_NETWORK, busyboxBundle, parseIpOutput, runContainer } from './e2e-kit.js';

let box = new Sandbox();
afterEach(() => {
  box.cleanup();
  box = new Sandbox();
});

for (const runtime of ['runc', 'crun'] as Runtime[]) {
  describe(`${runtime} runs a container that receives a host interface`, () => {
    test('array form: renamed, addressed, MTU set, seen from inside; back home after the container', () => {
      const [dev] = box.veth();
      sh('ip', 'addr', 'add', '10.177.0.1/24', 'dev', dev);
      const before = linkIn(undefined, dev)!;
      const b = busyboxBundle(box, SHOW_NETWORK, { stateDir: box.stateDir });
      b.config.linux.netDevices = [{ name: dev, properties: { name: 'eth1', address: '192.168.77.2', mask: '255.255.255.0', mtu: 1400 } }];
      b.write();
      const r = runContainer(box, runtime, b, uniqueName('e2e'));
      assert.equal(r.status, 0, `${runtime} failed: ${r.stderr}`);
      const eth1 = parseIpOutput(r.stdout).get('eth1');
      assert.ok(eth1, `eth1 inside the container:\n${r.stdout}`);
      assert.equal(eth1.mtu, 1400);
      assert.ok(eth1.up);
      assert.ok(eth1.addrs.includes('192.168.77.2/24'), eth1.addrs.join(','));
      // runc/crun ran our poststop hook when the container exited: the device is home as it was.
      const home = linkIn(undefined, dev);
      assert.ok(home, `${dev} back on the host under its own name`);
      assert.equal(home.mtu, before.mtu);
      assert.equal(home.address, before.address);
      assert.ok(home.addr_info?.some((a) => a.local === '10.177.0.1' && a.prefixlen === 24), JSON.stringify(home.addr_info));
    });

    test('map form: renamed, seen from inside', () => {
      const [dev] = box.veth();
      const b = busyboxBundle(box, SHOW_NETWORK, { stateDir: box.stateDir });
      b.config.linux.netDevices = { [dev]: { name: 'net0' } };
      b.write();
      const r = runContainer(box, runtime, b, uniqueName('e2e'));
      assert.equal(r.status, 0, `${runtime} failed: ${r.stderr}`);
      const links = parseIpOutput(r.stdout);
      assert.ok(links.get('net0')?.up, `net0 up inside:\n${r.stdout}`);
      assert.equal(links.has(dev), false);
    });

    test('a missing host device fails the start with our one-line reason; host unchanged', () => {
      const [dev] = box.veth();
      const missing = uniqueName('nx');
      const b = busyboxBundle(box, SHOW_NETWORK, { stateDir: box.stateDir });
      b.config.linux.netDevices = { [missing]: { name: 'eth1' }, [dev]: { name: 'eth2' } };
      b.write();
      const r = runContainer(box, runtime, b, uniqueName('e2e'));
      assert.notEqual(r.status, 0);
      if (runtime === 'runc') {
        // runc folds the hook's stderr into its own error; crun discards it.
        assert.match(r.stderr, /oci-netdevices: .*does not exist/);
      }
      // The log file is where a crun user reads why.
      assert.match(readFileSync(b.logFile, 'utf8'), new RegExp(`${missing}.*does not exist`));
      assert.ok(linkIn(undefined, dev), 'the valid device never left the host');
    });
  });
}

for (const runtime of ['runc', 'crun'] as Runtime[]) {
  test(`${runtime}: DraNet's NetworkConfig example, checked from inside the container`, () => {
    const [dev] = box.veth();
    const b = busyboxBundle(box, `${SHOW_NETWORK}; echo ROUTES; ip route; ip -6 route`, { stateDir: box.stateDir });
    b.config.linux.netDevices = {
      [dev]: {
        name: 'dranet0',
        networkConfig: {
          interface: { name: 'dranet0', addresses: ['169.254.169.14/24', '2001:db8::14/64'], mtu: 4321, hardwareAddr: '00:11:22:33:44:55', gsoMaxSize: 65536, groMaxSize: 65536, gsoIPv4MaxSize: 65536, groIPv4MaxSize: 65536 },
          routes: [{ destination: '169.254.169.0/24', gateway: '169.254.169.1' }, { destination: '169.254.169.1/32', scope: 253 }],
          ethtool: { features: { 'tcp-segmentation-offload': false, 'generic-receive-offload': false } },
        },
      },
    };
    b.write();
    const r = runContainer(box, runtime, b, uniqueName('e2e'));
    assert.equal(r.status, 0, `${runtime} failed: ${r.stderr}`);
    const link = parseIpOutput(r.stdout).get('dranet0');
    assert.ok(link, r.stdout);
    assert.equal(link.mtu, 4321);
    assert.ok(link.up);
    assert.ok(link.addrs.includes('169.254.169.14/24') && link.addrs.includes('2001:db8::14/64'), link.addrs.join(','));
    assert.match(r.stdout, /link\/ether 00:11:22:33:44:55/);
    const routes = r.stdout.slice(r.stdout.indexOf('ROUTES'));
    assert.match(routes, /169\.254\.169\.1 dev dranet0 scope link/);
    // The /24 route with a gateway on its own subnet: the kernel keeps it beside the prefix route.
    assert.match(routes, /169\.254\.169\.0\/24 via 169\.254\.169\.1 dev dranet0/);
  });
}
