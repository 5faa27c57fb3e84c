// The apply layer's ethtool plan (config issues with JSON paths, undo values) and
// session, over the in-memory FakeEthtoolKernel.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { notActivated, planEthtool } from '../../src/ethtool/plan.js';
import { EthtoolSession } from '../../src/ethtool/session.js';
import type { DeviceSpec } from '../../src/config/model.js';
import { NetlinkSocket } from '../../src/netlink/socket.js';
import { FakeEthtoolKernel } from './fake-ethtool-kernel.js';

const spec = (features: Record<string, boolean>, privateFlags: Record<string, boolean> = {}): DeviceSpec => ({
  path: 'linux.netDevices["v"]',
  hostName: 'v',
  containerName: 'v',
  addresses: [],
  routes: [],
  rules: [],
  neighbors: [],
  sysctls: {},
  addressing: 'Static',
  linkType: 'passthrough',
  ethtool: { features, privateFlags },
  source: 'config',
});

const TSO = ['tx-tcp-segmentation', 'tx-tcp-ecn-segmentation', 'tx-tcp-mangleid-segmentation', 'tx-tcp6-segmentation'];

function fakeVeth(privFlags?: Record<string, boolean>): { kernel: FakeEthtoolKernel; session: EthtoolSession } {
  const kernel = new FakeEthtoolKernel();
  kernel.addDevice({
    index: 7,
    name: 'v',
    // rx-lro and the mangleid bit are fixed, as on a veth.
    hw: ['tx-scatter-gather', 'tx-tcp-segmentation', 'tx-tcp-ecn-segmentation', 'tx-tcp6-segmentation', 'rx-gro', 'rx-checksum'],
    active: ['tx-scatter-gather', ...TSO, 'rx-checksum'],
    ...(privFlags !== undefined ? { privFlags } : {}),
  });
  return { kernel, session: new EthtoolSession(new NetlinkSocket(kernel, 'fake')) };
}

describe('planEthtool', () => {
  test('an alias plans every changeable bit, records what each was, leaves fixed ones alone', () => {
    const { session } = fakeVeth();
    const { plan, issues } = planEthtool(spec({ tso: false, gro: true }), session.features(7), undefined);
    assert.deepEqual(issues, []);
    assert.deepEqual(plan.features, { 'tx-tcp-segmentation': false, 'tx-tcp-ecn-segmentation': false, 'tx-tcp6-segmentation': false, 'rx-gro': true });
    assert.deepEqual(plan.featuresBefore, { 'tx-tcp-segmentation': true, 'tx-tcp-ecn-segmentation': true, 'tx-tcp6-segmentation': true, 'rx-gro': false });
  });

  test('a request already met plans nothing', () => {
    const { session } = fakeVeth();
    assert.deepEqual(planEthtool(spec({ 'rx-checksum': true, gro: false }), session.features(7), undefined).plan.features, {});
  });

  test('every fixed or unknown name is reported with its JSON path and the device', () => {
    const { session } = fakeVeth();
    const { plan, issues } = planEthtool(spec({ lro: true, nope: true, gro: false }), session.features(7), undefined);
    assert.deepEqual(plan.features, {});
    assert.equal(issues.length, 2);
    assert.equal(issues[0]!.path, 'linux.netDevices["v"].networkConfig.ethtool.features["lro"]');
    assert.equal(issues[0]!.device, 'v');
    assert.match(issues[0]!.message, /"lro" is fixed .*cannot be turned on/);
    assert.match(issues[1]!.message, /unknown feature "nope".*rx-gro.*tso/);
  });

  test('two names that contradict on one bit are an error', () => {
    const { session } = fakeVeth();
    const { issues } = planEthtool(spec({ tso: false, 'tx-tcp-segmentation': true }), session.features(7), undefined);
    assert.equal(issues.length, 1);
    assert.match(issues[0]!.message, /tx-tcp-segmentation/);
  });

  test('private flags: changed, unknown, and none on the device', () => {
    const { session } = fakeVeth({ a: false, b: true });
    const flags = session.privateFlags(7);
    assert.ok(!(flags instanceof Error));
    const r = planEthtool(spec({}, { a: true, b: true, c: true }), undefined, flags);
    assert.deepEqual(r.plan.privateFlags, { a: true });
    assert.deepEqual(r.plan.privateFlagsBefore, { a: false });
    assert.equal(r.issues.length, 1);
    assert.match(r.issues[0]!.message, /unknown private flag "c".*a, b/);
    const none = fakeVeth().session.privateFlags(7);
    assert.ok(none instanceof Error);
    const n = planEthtool(spec({}, { a: true }), undefined, none);
    assert.match(n.issues[0]!.message, /no private flags.*(ENOTSUP|EOPNOTSUPP)/);
  });
});

describe('EthtoolSession', () => {
  test('sets the planned bits, and notActivated reports what the kernel did not turn on', () => {
    const { kernel, session } = fakeVeth();
    const { plan } = planEthtool(spec({ sg: false, tso: true }), session.features(7), undefined);
    session.setFeatures(7, plan.features);
    // Without scatter-gather the kernel drops TSO: wanted, not activated.
    assert.deepEqual(notActivated(plan, session.features(7)), ['tx-tcp-segmentation on', 'tx-tcp-ecn-segmentation on', 'tx-tcp6-segmentation on']);
    assert.equal(kernel.devices[0]!.active.has('tx-scatter-gather'), false);
    assert.equal(kernel.familyLookups, 1, 'the family id is resolved once per socket');
  });

  test('private flags are read and written by name', () => {
    const { kernel, session } = fakeVeth({ 'legacy-rx': false, 'fast-path': true });
    session.setPrivateFlags(7, { 'legacy-rx': true, 'fast-path': false });
    assert.deepEqual([...kernel.devices[0]!.privFlags!], [['legacy-rx', true], ['fast-path', false]]);
    assert.throws(() => session.setPrivateFlags(7, { nope: true }));
  });
});
