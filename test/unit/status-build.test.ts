/** Status entries shaped like a ResourceClaim's status.devices[] (AllocatedDeviceStatus), after success and after each failure kind. */
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { test } from 'node:test';
import { extractDevices } from '../../src/config/extract.js';
import { DeviceBusyError, InterruptedError, PolicyError, StepError, ValidationError } from '../../src/errors.js';
import { DRIVER, type Observed, buildStatus, rfc3339 } from '../../src/status/device-status.js';
import { nodePool } from '../../src/status/pool.js';

const AT = '2025-01-02T03:04:05Z';
const specs = extractDevices({
  linux: {
    netDevices: {
      hosta: { name: 'net0', networkConfig: { interface: { addresses: ['10.1.0.2/24', '2001:db8::2/64'] } } },
      hostb: { name: 'net1' },
    },
    namespaces: [{ type: 'network' }],
  },
});
const seen = new Map<string, Observed>([
  ['hosta', { interfaceName: 'net0', hardwareAddress: '02:00:00:00:00:01', ips: ['10.1.0.2/24', '2001:db8::2/64'] }],
  ['hostb', { interfaceName: 'net1', ips: [] }],
]);

test('success: every AllocatedDeviceStatus field name, Ready/NetworkDeviceReady and NetworkReady, networkData from the kernel', () => {
  const s = buildStatus(specs, seen, undefined, AT);
  assert.deepEqual(s[0], {
    driver: DRIVER,
    pool: hostname(),
    device: 'hosta',
    conditions: [
      { type: 'Ready', status: 'True', reason: 'NetworkDeviceReady', message: 'in the container as net0', lastTransitionTime: AT },
      { type: 'NetworkReady', status: 'True', reason: 'NetworkReady', message: '2 address(es) and 0 route(s) applied', lastTransitionTime: AT },
    ],
    networkData: { interfaceName: 'net0', ips: ['10.1.0.2/24', '2001:db8::2/64'], hardwareAddress: '02:00:00:00:00:01' },
  });
  assert.equal(DRIVER, 'oci-netdevices.io');
  assert.deepEqual(Object.keys(s[1]!.networkData!), ['interfaceName', 'ips'], 'no hardwareAddress when the kernel reported none');
  // metav1.Condition reason syntax
  for (const c of s.flatMap((d) => d.conditions)) assert.match(c.reason, /^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/);
});

test('success but an address is not on the device when read back: NetworkReady False, AddressesMissing', () => {
  const partial = new Map(seen);
  partial.set('hosta', { interfaceName: 'net0', ips: ['10.1.0.2/24'] });
  const c = buildStatus(specs, partial, undefined, AT)[0]!.conditions;
  assert.deepEqual(c.map((x) => [x.type, x.status, x.reason]), [['Ready', 'True', 'NetworkDeviceReady'], ['NetworkReady', 'False', 'AddressesMissing']]);
  assert.match(c[1]!.message, /2001:db8::2\/64/);
  const gone = buildStatus(specs, new Map(), undefined, AT)[0]!;
  assert.equal(gone.conditions[0]!.reason, 'DeviceNotFound');
  assert.equal(gone.networkData, undefined);
});

test('a failed step names the step family on the failing device; the others say they were rolled back', () => {
  const move = buildStatus(specs, new Map(), new StepError('move to container netns (hosta -> pid 42)', 'hosta', new Error('EEXIST: file exists')), AT);
  assert.deepEqual(move[0]!.conditions.map((x) => [x.type, x.status, x.reason]), [['Ready', 'False', 'MoveFailed'], ['NetworkReady', 'False', 'MoveFailed']]);
  assert.equal(move[0]!.conditions[0]!.message, 'device "hosta": move to container netns (hosta -> pid 42) failed: EEXIST: file exists');
  assert.equal(move[0]!.networkData, undefined);
  assert.equal(move[1]!.conditions[0]!.reason, 'RolledBack');
  assert.match(move[1]!.conditions[0]!.message, /device "hosta" failed \(MoveFailed\)/);

  const mtu = buildStatus(specs, new Map(), new StepError('set MTU 9000', 'hostb', new Error('EINVAL')), AT);
  assert.equal(mtu[1]!.conditions[0]!.reason, 'ConfigurationFailed');
  assert.equal(mtu[0]!.conditions[0]!.reason, 'RolledBack');
});

test('validation, policy, busy, interrupted and unknown failures', () => {
  const reasons = (e: unknown): string[] => buildStatus(specs, new Map(), e, AT).map((d) => d.conditions[0]!.reason);
  assert.deepEqual(reasons(new ValidationError([{ path: 'linux.netDevices["hosta"]', device: 'hosta', message: 'no such device on the host' }])), ['ValidationFailed', 'RolledBack']);
  assert.deepEqual(reasons(new ValidationError([{ path: 'a', device: 'hosta', message: 'x' }, { path: 'b', device: 'hostb', message: 'y' }])), ['ValidationFailed', 'ValidationFailed']);
  assert.deepEqual(reasons(new PolicyError('hosta is not allowed')), ['PolicyRefused', 'PolicyRefused']);
  assert.deepEqual(reasons(new DeviceBusyError('hosta is held by c1')), ['DeviceBusy', 'DeviceBusy']);
  assert.deepEqual(reasons(new InterruptedError('timed out')), ['Interrupted', 'Interrupted']);
  assert.deepEqual(reasons(new Error('boom')), ['Failed', 'Failed']);
  const msg = buildStatus(specs, new Map(), new ValidationError([{ path: 'p', device: 'hosta', message: 'line one\nline two' }]), AT)[0]!.conditions[0]!.message;
  assert.doesNotMatch(msg, /\n/, 'the message is one line');
});

test('lastTransitionTime is RFC 3339 in UTC, seconds precision', () => {
  assert.equal(rfc3339(new Date(Date.UTC(2025, 0, 2, 3, 4, 5, 678))), '2025-01-02T03:04:05Z');
  // As toISOString() says it, to the second, across a spread of instants (leap day, year ends, epoch, far years).
  for (const ms of [0, Date.UTC(2024, 1, 29, 23, 59, 59, 999), Date.UTC(1999, 11, 31, 23, 59, 59), Date.UTC(2026, 11, 3, 9, 0, 0), Date.UTC(9999, 11, 31, 23, 59, 59), Date.UTC(10000, 0, 1), -1000, Date.UTC(5, 0, 1)]) {
    const d = new Date(ms);
    assert.equal(rfc3339(d), d.toISOString().replace(/\.\d{3}Z$/, 'Z'), d.toISOString());
  }
  assert.match(buildStatus(specs, seen)[0]!.conditions[0]!.lastTransitionTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
});

test('DHCP: the leased address is required on the device, the lease is reported in data.dhcpLease', () => {
  const [dhcp] = extractDevices({ linux: { namespaces: [{ type: 'network' }], netDevices: { hostd: { name: 'net2', networkConfig: { interface: { addressing: 'DHCP' } } } } } });
  const lease = { address: '192.0.2.50', prefixLength: 24, serverId: '192.0.2.1', leaseSeconds: 600, router: '192.0.2.1', obtainedAt: AT, clientMac: '02:00:00:00:00:02' };
  const ok = buildStatus([dhcp!], new Map([['hostd', { interfaceName: 'net2', ips: ['192.0.2.50/24'], dhcpLease: lease }]]), undefined, AT)[0]!;
  assert.deepEqual(ok.conditions.map((c) => [c.type, c.status, c.reason]), [['Ready', 'True', 'NetworkDeviceReady'], ['NetworkReady', 'True', 'NetworkReady']]);
  assert.equal(ok.conditions[1]!.message, '1 address(es) and 0 route(s) applied, DHCP lease 192.0.2.50/24 from 192.0.2.1 for 600 s');
  assert.deepEqual(ok.data, { dhcpLease: lease });
  const gone = buildStatus([dhcp!], new Map([['hostd', { interfaceName: 'net2', ips: [], dhcpLease: lease }]]), undefined, AT)[0]!;
  assert.deepEqual(gone.conditions.map((c) => [c.type, c.status, c.reason]), [['Ready', 'True', 'NetworkDeviceReady'], ['NetworkReady', 'False', 'AddressesMissing']]);
});

test('SLAAC: SLAACReady first, as DraNet lists it; True with the addresses, False AutoconfigurationTimedOut on a timeout', async () => {
  const { SlaacTimeoutError } = await import('../../src/errors.js');
  const [slaac] = extractDevices({ linux: { namespaces: [{ type: 'network' }], netDevices: { hosts: { name: 'net3', networkConfig: { interface: { addressing: 'SLAAC' } } } } } });
  const ok = buildStatus([slaac!], new Map([['hosts', { interfaceName: 'net3', ips: ['2001:db8:1::5/64'], autoconfigured: ['2001:db8:1::5/64'] }]]), undefined, AT)[0]!;
  assert.deepEqual(ok.conditions.map((c) => [c.type, c.status, c.reason, c.message]).slice(0, 1), [['SLAACReady', 'True', 'SLAACReady', 'autoconfigured addresses: 2001:db8:1::5/64']]);
  assert.deepEqual(ok.conditions.map((c) => c.type), ['SLAACReady', 'Ready', 'NetworkReady']);
  const err = new StepError('wait for SLAAC address on net3', 'hosts', new SlaacTimeoutError('interface net3 has no autoconfigured IPv6 address after 3000 ms (addresses: none)'));
  const bad = buildStatus([slaac!], new Map(), err, AT)[0]!;
  assert.deepEqual(bad.conditions.map((c) => [c.type, c.status, c.reason]), [['SLAACReady', 'False', 'AutoconfigurationTimedOut'], ['Ready', 'False', 'ConfigurationFailed'], ['NetworkReady', 'False', 'ConfigurationFailed']]);
  assert.match(bad.conditions[0]!.message, /no autoconfigured IPv6 address after 3000 ms/);
  const other = buildStatus([slaac!], new Map(), new StepError('move to container netns', 'hosts', new Error('EBUSY')), AT)[0]!;
  assert.deepEqual(other.conditions[0]!.reason, 'MoveFailed');
});

test('the pool is this node as gethostname() names it (read from /proc, without node:os)', () => {
  assert.equal(nodePool(), hostname());
});
