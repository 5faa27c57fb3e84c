/** devices.json fields of issue 14: the DHCP lease and the ipvlan child marker, parsed strictly. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StateParseError, parseContainerRecord, serialise } from '../../src/state/records.js';

const original = { name: 'eth1', index: 7, up: true, mtu: 1500, addresses: [], routes: [], features: {}, privateFlags: {} };
const lease = { address: '192.0.2.50', prefixLength: 24, serverId: '192.0.2.1', leaseSeconds: 600, router: '192.0.2.1', mtu: 1400, obtainedAt: '2026-12-02T16:00:00Z', clientMac: '02:00:00:00:14:01' };
const record = (device: Record<string, unknown>): string => JSON.stringify({ version: 1, id: 'c1', teardown: 'restore', devices: [{ hostName: 'eth1', containerName: 'net1', original, ...device }] });

test('a lease and an ipvlan child survive the round trip', () => {
  const r = parseContainerRecord(record({ dhcpLease: lease, child: 'ipvlan' }));
  assert.deepEqual(r.devices[0]!.dhcpLease, lease);
  assert.equal(r.devices[0]!.child, 'ipvlan');
  assert.deepEqual(parseContainerRecord(serialise(r)), r);
});

test('a malformed lease or child marker is refused, never half understood', () => {
  for (const [bad, where] of [
    [{ dhcpLease: { ...lease, address: '192.0.2.256' } }, /dhcpLease\.address: must be an IPv4 address/],
    [{ dhcpLease: { ...lease, serverId: 7 } }, /dhcpLease\.serverId/],
    [{ dhcpLease: { ...lease, prefixLength: 33 } }, /dhcpLease\.prefixLength/],
    [{ dhcpLease: { ...lease, clientMac: 'zz' } }, /dhcpLease\.clientMac/],
    [{ dhcpLease: { ...lease, mtu: 60 } }, /dhcpLease\.mtu/],
    [{ child: 'macvlan' }, /child: must be "ipvlan"/],
  ] as const) {
    assert.throws(() => parseContainerRecord(record(bad)), (e: unknown) => e instanceof StateParseError && where.test(e.message));
  }
});
