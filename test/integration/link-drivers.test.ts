/**
 * VRF and IPVLAN on a kernel without the vrf and ipvlan drivers (this test
 * machine): createRuntime refuses before any change, naming the field, the
 * module and the device; the host and the container netns are as before.
 * Where the drivers exist the probe finds them and this test is skipped.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { linkKindProbe } from '../../src/netlink/link-kinds.js';
import { NetlinkError } from '../../src/netlink/message.js';
import { openRoute } from '../../src/netlink/open.js';
import { Sandbox, baseConfig, ipJson, runcState, uniqueName } from './hook-kit.js';
import { snapshot, stateLeft } from './lifecycle-kit.js';

let box = new Sandbox();
afterEach(() => {
  box.cleanup();
  box = new Sandbox();
});

function missing(kind: 'vrf' | 'ipvlan'): boolean {
  const s = openRoute(null);
  try {
    s.run(linkKindProbe(kind));
    return false;
  } catch (e) {
    return e instanceof NetlinkError && (e.code === 'ENOTSUP' || e.code === 'EOPNOTSUPP');
  } finally {
    s.close();
  }
}

describe('link kinds this kernel lacks', () => {
  for (const [kind, iface, field] of [
    ['vrf', { addresses: ['10.90.0.2/24'], vrf: { name: 'blue', table: 100 } }, 'interface.vrf'],
    ['ipvlan', { type: 'IPVLAN', unnumbered: true }, 'interface.type'],
  ] as const) {
    test(`${kind}: refused before any change, naming the field, the module and the device`, { skip: !missing(kind) && `the kernel has the ${kind} driver` }, () => {
      const [dev] = box.veth();
      const before = snapshot([dev]);
      const ctr = box.container();
      const cfg = baseConfig({ netDevices: { [dev]: { name: 'net1', networkConfig: { interface: iface } } } });
      const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, box.bundle(cfg)));
      assert.notEqual(r.status, 0);
      assert.ok(r.stderr.includes(`linux.netDevices["${dev}"].networkConfig.${field}`), r.stderr);
      assert.ok(r.stderr.includes(`needs the kernel's ${kind} driver (module "${kind}")`), r.stderr);
      assert.ok(r.stderr.includes(dev), r.stderr);
      assert.deepEqual(snapshot([dev]), before);
      assert.deepEqual(stateLeft(box.stateDir), []);
      assert.deepEqual(ipJson(ctr.netns, 'link', 'show').map((l) => l.ifname), ['lo']);
    });
  }
});
