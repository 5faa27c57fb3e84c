/**
 * Today's DraNet NetworkConfig fields applied to a real veth in a real netns
 * and read back with iproute2 and the container netns' own sysctl files:
 * rules, permanent neighbors, routes in a table, per-interface settings.
 * A fault at every step of such an apply leaves host and container as before.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, test } from 'node:test';
import { Sandbox, baseConfig, ipJson, runcState, uniqueName } from './hook-kit.js';
import { snapshot, stateLeft } from './lifecycle-kit.js';

let box = new Sandbox();
afterEach(() => {
  box.cleanup();
  box = new Sandbox();
});

interface JsonRule {
  priority: number;
  src: string;
  srclen?: number;
  dst?: string;
  dstlen?: number;
  table: string;
}

function sysctl(netns: string, path: string): string {
  const r = spawnSync('ip', ['netns', 'exec', netns, 'cat', `/proc/sys/net/${path}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

function fullConfig(dev: string): Record<string, unknown> {
  return baseConfig({
    netDevices: {
      [dev]: {
        name: 'net1',
        networkConfig: {
          interface: {
            addresses: ['10.70.0.2/24', '2001:db8:70::2/64'],
            forwarding: true, arpIgnore: 1, arpAnnounce: 2,
            acceptRA: 0, dadTransmits: 0, routerSolicitationDelay: 3, routerSolicitationInterval: 7, addrGenMode: 1,
          },
          routes: [
            { destination: '10.71.0.0/16', gateway: '10.70.0.1', table: 100 },
            { destination: '0.0.0.0/0', gateway: '10.70.0.1', table: 1000 },
            { destination: '2001:db8:71::/48', gateway: '2001:db8:70::1', table: 100 },
          ],
          rules: [
            { priority: 100, source: '10.70.0.0/24', table: 100 },
            { priority: 101, destination: '2001:db8:71::/48', table: 100 },
            { priority: 102, source: '10.72.0.0/16', destination: '10.73.0.0/16', table: 1000 },
          ],
          neighbors: [
            { destination: '10.70.0.9', hardwareAddr: '02:00:00:00:70:09' },
            { destination: '2001:db8:70::9', hardwareAddr: '02-00-00-00-70-0A' },
          ],
        },
      },
    },
  });
}

describe('rules, neighbors, table routes and per-interface settings', () => {
  test('each is applied and reads back from the kernel', () => {
    const [dev] = box.veth();
    const ctr = box.container();
    const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, box.bundle(fullConfig(dev))));
    assert.equal(r.status, 0, r.stderr);

    const rules4 = ipJson<JsonRule[]>(ctr.netns, 'rule', 'show');
    assert.ok(rules4.some((x) => x.priority === 100 && x.src === '10.70.0.0' && x.srclen === 24 && x.table === '100'), JSON.stringify(rules4));
    assert.ok(rules4.some((x) => x.priority === 102 && x.src === '10.72.0.0' && x.dst === '10.73.0.0' && x.dstlen === 16 && x.table === '1000'), JSON.stringify(rules4));
    const rules6 = ipJson<JsonRule[]>(ctr.netns, '-6', 'rule', 'show');
    assert.ok(rules6.some((x) => x.priority === 101 && x.dst === '2001:db8:71::' && x.dstlen === 48 && x.table === '100'), JSON.stringify(rules6));

    const t100 = ipJson<Array<{ dst: string; gateway?: string; dev: string }>>(ctr.netns, 'route', 'show', 'table', '100');
    assert.deepEqual(t100.map((x) => [x.dst, x.gateway, x.dev]), [['10.71.0.0/16', '10.70.0.1', 'net1']]);
    const t1000 = ipJson<Array<{ dst: string; gateway?: string }>>(ctr.netns, 'route', 'show', 'table', '1000');
    assert.deepEqual(t1000.map((x) => [x.dst, x.gateway]), [['default', '10.70.0.1']]);
    const t100v6 = ipJson<Array<{ dst: string; gateway?: string }>>(ctr.netns, '-6', 'route', 'show', 'table', '100');
    assert.ok(t100v6.some((x) => x.dst === '2001:db8:71::/48' && x.gateway === '2001:db8:70::1'), JSON.stringify(t100v6));
    const main = ipJson<Array<{ dst: string }>>(ctr.netns, 'route', 'show', 'table', 'main');
    assert.ok(!main.some((x) => x.dst === '10.71.0.0/16' || x.dst === 'default'), 'table routes stay out of main');

    const neigh = ipJson<Array<{ dst: string; dev: string; lladdr: string; state: string[] }>>(ctr.netns, 'neigh', 'show', 'dev', 'net1');
    const perm = neigh.filter((n) => n.state.includes('PERMANENT')).map((n) => [n.dst, n.lladdr]).sort();
    assert.deepEqual(perm, [['10.70.0.9', '02:00:00:00:70:09'], ['2001:db8:70::9', '02:00:00:00:70:0a']]);

    assert.equal(sysctl(ctr.netns, 'ipv4/conf/net1/forwarding'), '1');
    assert.equal(sysctl(ctr.netns, 'ipv4/conf/net1/arp_ignore'), '1');
    assert.equal(sysctl(ctr.netns, 'ipv4/conf/net1/arp_announce'), '2');
    assert.equal(sysctl(ctr.netns, 'ipv6/conf/net1/forwarding'), '1');
    assert.equal(sysctl(ctr.netns, 'ipv6/conf/net1/accept_ra'), '0');
    assert.equal(sysctl(ctr.netns, 'ipv6/conf/net1/dad_transmits'), '0');
    assert.equal(sysctl(ctr.netns, 'ipv6/conf/net1/router_solicitation_delay'), '3');
    assert.equal(sysctl(ctr.netns, 'ipv6/conf/net1/router_solicitation_interval'), '7');
    assert.equal(sysctl(ctr.netns, 'ipv6/conf/net1/disable_ipv6'), '0');
    // The hook's own netns (the host) was not touched: its "all" values are the defaults.
    assert.equal(sysctl(ctr.netns, 'ipv4/conf/all/arp_ignore'), '0');
    const link = ipJson<Array<Record<string, unknown>>>(ctr.netns, '-d', 'link', 'show', 'net1')[0]!;
    assert.equal(link.inet6_addr_gen_mode, 'none');
    // addrgenmode none: no link-local address was generated when the link came up.
    const v6 = ipJson(ctr.netns, '-6', 'addr', 'show', 'dev', 'net1')[0]?.addr_info ?? [];
    assert.deepEqual(v6.map((a) => `${a.local}/${a.prefixlen}`), ['2001:db8:70::2/64']);
  });

  test('disableIPv6 is written inside the container netns only', () => {
    const [dev] = box.veth();
    const ctr = box.container();
    const cfg = baseConfig({ netDevices: { [dev]: { name: 'net1', networkConfig: { interface: { addresses: ['10.70.0.2/24'], disableIPv6: true } } } } });
    const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, box.bundle(cfg)));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(sysctl(ctr.netns, 'ipv6/conf/net1/disable_ipv6'), '1');
    assert.deepEqual(ipJson(ctr.netns, '-6', 'addr', 'show', 'dev', 'net1'), [], 'no IPv6 address, not even link-local');
  });

  // refuse: the kernel never sees the message. applied: the kernel applies it and the answer says
  // it failed (as when a message's later attribute fails, or its answer is lost): undone all the same.
  for (const mode of ['refuse', 'applied'] as const) test(`${mode === 'refuse' ? 'a refusal at' : 'a failure reported after the kernel applied'} every kernel-changing netlink message leaves the host and the container netns as before`, () => {
    const [dev] = box.veth();
    const before = snapshot([dev]);
    const bundle = box.bundle(fullConfig(dev));
    let k = 1;
    for (; k < 100; k++) {
      const ctr = box.container();
      const rulesBefore = [...ipJson<JsonRule[]>(ctr.netns, 'rule', 'show'), ...ipJson<JsonRule[]>(ctr.netns, '-6', 'rule', 'show')];
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
      assert.deepEqual(ipJson(ctr.netns, 'link', 'show').map((l) => l.ifname), ['lo'], `container not empty after step ${k}`);
      const rulesAfter = [...ipJson<JsonRule[]>(ctr.netns, 'rule', 'show'), ...ipJson<JsonRule[]>(ctr.netns, '-6', 'rule', 'show')];
      assert.deepEqual(rulesAfter, rulesBefore, `rules left in the container netns after a fault at step ${k}`);
    }
    // Netlink changes only (the per-interface files under /proc/sys are not netlink): the move, the
    // settings carried in link messages, 2 addresses, up, 3 routes, 3 rules, 2 neighbors (14 today).
    assert.ok(k > 13, `the apply sends many changes (${k - 1} faults injected before it succeeded)`);
  });
});
