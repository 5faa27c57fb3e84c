/**
 * End to end with real runc and real crun: one config using DHCP (busybox
 * udhcpd on the peer end of the veth, in a netns of the test's own), a rule,
 * a permanent neighbor, a route in table 100 and per-interface sysctls; the
 * container checks all of it from inside with busybox `ip` and /proc/sys.
 * When the container exits, poststop releases the lease and brings the
 * device home.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { Sandbox, linkIn, uniqueName } from '../integration/hook-kit.js';
import { stateLeft } from '../integration/lifecycle-kit.js';
import { startUdhcpd } from '../integration/dhcp-kit.js';
import { type Runtime, busyboxBundle, runContainer } from './e2e-kit.js';

let box = new Sandbox();
afterEach(() => {
  box.cleanup();
  box = new Sandbox();
});

const SCRIPT = [
  'echo "== addr"; ip -o addr show dev net1',
  'echo "== link"; ip -o link show dev net1',
  'echo "== route"; ip route',
  'echo "== table100"; ip route show table 100',
  'echo "== rule"; ip rule',
  'echo "== neigh"; ip neigh show dev net1',
  'echo "== sysctl"; echo arp_ignore=$(cat /proc/sys/net/ipv4/conf/net1/arp_ignore) rs_interval=$(cat /proc/sys/net/ipv6/conf/net1/router_solicitation_interval)',
].join('; ');

function section(out: string, name: string): string {
  const m = new RegExp(`== ${name}\\n([\\s\\S]*?)(?:\\n== |$)`).exec(out);
  return m?.[1] ?? '';
}

for (const runtime of ['runc', 'crun'] as Runtime[]) {
  describe(`${runtime}: DHCP, a rule, a neighbor, a table route and sysctls in one config`, () => {
    test('checked from inside the container; the lease released and the device home afterwards', async () => {
      const [dev, peer] = box.veth();
      const srv = await startUdhcpd(box, peer, { mtu: 1400 });
      const b = busyboxBundle(box, SCRIPT, { stateDir: box.stateDir });
      b.config.linux.netDevices = {
        [dev]: {
          name: 'net1',
          networkConfig: {
            interface: { addressing: 'DHCP', arpIgnore: 1, routerSolicitationInterval: 7 },
            routes: [{ destination: '10.71.0.0/16', gateway: '192.0.2.1', table: 100 }],
            rules: [{ priority: 100, source: '192.0.2.0/24', table: 100 }],
            neighbors: [{ destination: '192.0.2.9', hardwareAddr: '02:00:00:00:70:09' }],
          },
        },
      };
      b.write();
      const r = runContainer(box, runtime, b, uniqueName(runtime === 'runc' ? 'dr' : 'dc'));
      assert.equal(r.status, 0, `${r.stderr}\n${srv.log()}`);
      const out = r.stdout;
      assert.match(section(out, 'addr'), /net1\s+inet 192\.0\.2\.50\/24/, out);
      assert.match(section(out, 'link'), /mtu 1400/, out);
      assert.match(section(out, 'route'), /default via 192\.0\.2\.1 dev net1/, out);
      assert.match(section(out, 'table100'), /10\.71\.0\.0\/16 via 192\.0\.2\.1 dev net1/, out);
      assert.match(section(out, 'rule'), /100:\s+from 192\.0\.2\.0\/24 lookup 100/, out);
      assert.match(section(out, 'neigh'), /192\.0\.2\.9 lladdr 02:00:00:00:70:09 .*PERMANENT/, out);
      assert.match(section(out, 'sysctl'), /arp_ignore=1 rs_interval=7/, out);

      // The run is over: poststop brought the device home and released the lease.
      assert.ok(linkIn(undefined, dev) !== undefined, 'the device is home');
      const leases = await srv.leases();
      assert.deepEqual(leases.map((l) => [l.address, l.secondsLeft]), [['192.0.2.50', 0]], 'released at poststop');
      assert.deepEqual(stateLeft(box.stateDir), []);
    });
  });
}
