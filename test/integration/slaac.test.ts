/**
 * addressing SLAAC: router advertisements sent from the peer end of the veth
 * (a netns of the test's own) by a short python3 script on an ICMPv6 raw
 * socket; the hook sets DraNet's SLAAC settings, waits for the
 * autoconfigured address and reports SLAACReady. Without advertisements the
 * wait is bounded, the host is unchanged and SLAACReady is False.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { afterEach, describe, test } from 'node:test';
import { hasTool } from '../support/netns.js';
import { Sandbox, baseConfig, ipJson, runcState, sh, uniqueName } from './hook-kit.js';
import { cli, snapshot, stateLeft } from './lifecycle-kit.js';

let box = new Sandbox();
afterEach(() => {
  box.cleanup();
  box = new Sandbox();
});

/** Every 100 ms for 20 s: an RA from the device's link-local address with prefix 2001:db8:1::/64 (on-link, autonomous). */
const RA_SENDER = `
import socket, struct, sys, time
dev = sys.argv[1]
s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, dev.encode())
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_UNICAST_HOPS, 255)
ra = struct.pack('!BBHBBHII', 134, 0, 0, 64, 0, 1800, 0, 0)
prefix = struct.pack('!BBBBIII', 3, 4, 64, 0xC0, 86400, 14400, 0) + socket.inet_pton(socket.AF_INET6, '2001:db8:1::')
idx = socket.if_nametoindex(dev)
end = time.time() + 20
while time.time() < end:
    try:
        s.sendto(ra + prefix, ('ff02::1', 0, 0, idx))
    except OSError:
        pass
    time.sleep(0.1)
`;

function routerOn(peer: string): string {
  const netns = box.netns();
  sh('ip', 'link', 'set', peer, 'netns', netns);
  sh('ip', 'netns', 'exec', netns, 'sysctl', '-qw', `net.ipv6.conf.${peer}.dad_transmits=0`);
  sh('ip', '-n', netns, 'link', 'set', peer, 'up');
  return netns;
}

const slaacConfig = (dev: string, iface: Record<string, unknown> = {}): Record<string, unknown> =>
  baseConfig({ netDevices: { [dev]: { name: 'net1', networkConfig: { interface: { addressing: 'SLAAC', addresses: ['10.80.0.2/24'], ...iface } } } } });

function sysctl(netns: string, path: string): string {
  return sh('ip', 'netns', 'exec', netns, 'cat', `/proc/sys/net/${path}`).trim();
}

describe('addressing SLAAC', () => {
  test('router advertisements from the peer: DraNet\'s settings, the autoconfigured address, SLAACReady', { skip: !hasTool('python3') && 'the RA sender needs python3' }, async () => {
    const [dev, peer] = box.veth();
    const rtr = routerOn(peer);
    const sender = spawn('ip', ['netns', 'exec', rtr, 'python3', '-c', RA_SENDER, peer], { stdio: 'ignore' });
    box.defer(() => sender.kill('SIGKILL'));
    const ctr = box.container();
    const id = uniqueName('c');
    const t0 = Date.now();
    const r = box.hook('createRuntime', runcState(id, ctr.pid, box.bundle(slaacConfig(dev))));
    assert.equal(r.status, 0, r.stderr);
    const took = Date.now() - t0;

    assert.equal(sysctl(ctr.netns, 'ipv6/conf/net1/accept_ra'), '2');
    assert.equal(sysctl(ctr.netns, 'ipv6/conf/net1/dad_transmits'), '0');
    assert.equal(sysctl(ctr.netns, 'ipv6/conf/net1/router_solicitation_delay'), '0');
    const v6 = ipJson<Array<{ addr_info: Array<{ local: string; prefixlen: number; scope: string; dynamic?: boolean }> }>>(ctr.netns, '-6', 'addr', 'show', 'dev', 'net1')[0]!.addr_info;
    const global = v6.filter((a) => a.scope === 'global');
    assert.equal(global.length, 1, JSON.stringify(v6));
    assert.match(global[0]!.local, /^2001:db8:1:0:/);
    assert.equal(global[0]!.dynamic, true, 'autoconfigured, not permanent');
    const v4 = ipJson<Array<{ addr_info: Array<{ local: string }> }>>(ctr.netns, '-4', 'addr', 'show', 'dev', 'net1')[0]!.addr_info;
    assert.deepEqual(v4.map((a) => a.local), ['10.80.0.2'], 'the IPv4 static address is applied too');

    const st = cli(box.stateDir, ['status', id]);
    const d = (JSON.parse(st.stdout) as { devices: Array<{ conditions: Array<{ type: string; status: string; reason: string; message: string }>; networkData: { ips: string[] } }> }).devices[0]!;
    assert.deepEqual(d.conditions.map((c) => [c.type, c.status, c.reason]), [['SLAACReady', 'True', 'SLAACReady'], ['Ready', 'True', 'NetworkDeviceReady'], ['NetworkReady', 'True', 'NetworkReady']]);
    assert.equal(d.conditions[0]!.message, `autoconfigured addresses: ${global[0]!.local}/64`);
    assert.ok(d.networkData.ips.includes(`${global[0]!.local}/64`), JSON.stringify(d.networkData));
    assert.ok(d.networkData.ips.includes('10.80.0.2/24'));
    assert.ok(took < 5000, `SLAAC createRuntime took ${took} ms`);
  });

  test('no router: bounded wait, host unchanged, SLAACReady False AutoconfigurationTimedOut', () => {
    const [dev, peer] = box.veth();
    routerOn(peer);
    const before = snapshot([dev]);
    const ctr = box.container();
    const id = uniqueName('c');
    const t0 = Date.now();
    const r = box.hook('createRuntime', runcState(id, ctr.pid, box.bundle(slaacConfig(dev))));
    const took = Date.now() - t0;
    assert.equal(r.status, 4, r.stderr);
    assert.match(r.stderr, new RegExp(`device "${dev}": wait for SLAAC address on net1 failed: interface net1 has no autoconfigured IPv6 address after \\d+ ms`));
    assert.ok(took >= 3000 && took < 10_000, `took ${took} ms`);
    assert.deepEqual(snapshot([dev]), before);
    assert.deepEqual(stateLeft(box.stateDir), []);
    const st = cli(box.stateDir, ['status', id]);
    const c = (JSON.parse(st.stdout) as { devices: Array<{ conditions: Array<{ type: string; status: string; reason: string }> }> }).devices[0]!.conditions;
    assert.deepEqual(c.map((x) => [x.type, x.status, x.reason]), [['SLAACReady', 'False', 'AutoconfigurationTimedOut'], ['Ready', 'False', 'ConfigurationFailed'], ['NetworkReady', 'False', 'ConfigurationFailed']]);
  });
});
