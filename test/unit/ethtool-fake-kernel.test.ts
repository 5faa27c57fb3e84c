import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { attr } from '../../src/netlink/attr.js';
import { ETHTOOL, GENL } from '../../src/netlink/constants.js';
import { decodeFeatures, ethtoolFeaturesGet, ethtoolFeaturesSet, ethtoolPrivFlagsGet, ethtoolPrivFlagsSet, ethtoolStringSetGet } from '../../src/netlink/ethtool-ops.js';
import { EthtoolSession } from '../../src/ethtool/session.js';
import { decodeGenlHeader, GENL_HEADER_LEN } from '../../src/netlink/genl.js';
import { AttrSet } from '../../src/netlink/attr.js';
import { planFeatures, planPrivFlags, verifyFeatures } from '../../src/ethtool/feature-rules.js';
import { GenlFamilyCache, genlFamilyId, genlRequest } from '../../src/netlink/genl.js';
import { NetlinkError } from '../../src/netlink/message.js';
import { NetlinkSocket } from '../../src/netlink/socket.js';
import { E, FAKE_FEATURE_TABLE, FakeEthtoolKernel } from './fake-ethtool-kernel.js';

const TSO = ['tx-tcp-segmentation', 'tx-tcp-ecn-segmentation', 'tx-tcp-mangleid-segmentation', 'tx-tcp6-segmentation'];
const CHANGEABLE = ['tx-scatter-gather', 'tx-checksum-ip-generic', 'tx-scatter-gather-fraglist', 'tx-generic-segmentation', 'rx-gro', ...TSO, 'rx-checksum', 'tx-checksum-sctp'];
const ON = ['tx-scatter-gather', 'tx-checksum-ip-generic', 'tx-generic-segmentation', ...TSO, 'rx-checksum', 'highdma', 'netns-local'];

function world(): { kernel: FakeEthtoolKernel; sock: NetlinkSocket; families: GenlFamilyCache } {
  const kernel = new FakeEthtoolKernel({ familyId: 0x1b });
  kernel.addDevice({ index: 4, name: 'veth0', hw: CHANGEABLE, active: ON });
  kernel.addDevice({ index: 9, name: 'ens1f0', hw: CHANGEABLE, active: ON, privFlags: { 'legacy-rx': false, 'link-down-on-close': true, 'disable-fw-lldp': false } });
  return { kernel, sock: new NetlinkSocket(kernel, 'fake'), families: new GenlFamilyCache() };
}

describe('generic netlink family lookup', () => {
  test('the ethtool family id is asked once per socket', () => {
    const { kernel, sock, families } = world();
    assert.equal(families.ethtool(sock), 0x1b);
    assert.equal(families.ethtool(sock), 0x1b);
    assert.equal(kernel.familyLookups, 1);
    const other = new NetlinkSocket(kernel, 'fake2');
    assert.equal(families.ethtool(other), 0x1b);
    assert.equal(kernel.familyLookups, 2);
    families.forget(sock);
    families.ethtool(sock);
    assert.equal(kernel.familyLookups, 3);
  });

  test('an unknown family is the kernel\'s ENOENT', () => {
    const { sock } = world();
    assert.throws(() => sock.run(genlFamilyId('nl80211')), (e: unknown) => e instanceof NetlinkError && e.positiveErrno === E.ENOENT && /resolve generic netlink family nl80211/.test(e.message));
  });
});

describe('feature names from the string set', () => {
  test('ETH_SS_FEATURES by index, unused bits as empty names', () => {
    const { sock, families } = world();
    assert.deepEqual(sock.run(ethtoolStringSetGet(families.ethtool(sock), ETHTOOL.ETH_SS_FEATURES)), FAKE_FEATURE_TABLE);
  });

  test('a compact read named by the string set equals the verbose read', () => {
    const { sock, families } = world();
    const fam = families.ethtool(sock);
    const names = sock.run(ethtoolStringSetGet(fam, ETHTOOL.ETH_SS_FEATURES));
    assert.deepEqual(sock.run(ethtoolFeaturesGet(fam, 4, names)), sock.run(ethtoolFeaturesGet(fam, 4)));
  });

  test('the session asks for the names once and reads every device in compact bit sets', () => {
    const { kernel, sock } = world();
    const session = new EthtoolSession(sock);
    const verbose = sock.run(ethtoolFeaturesGet(new GenlFamilyCache().ethtool(sock), 9));
    const seen = kernel.requests.length;
    assert.deepEqual(session.features(9), verbose);
    session.features(4);
    assert.equal(kernel.stringSetLookups, 1);
    const featureGets = kernel.requests.slice(seen).filter((m) => decodeGenlHeader(m.payload).cmd === ETHTOOL.ETHTOOL_MSG_FEATURES_GET);
    assert.equal(featureGets.length, 2);
    for (const m of featureGets) {
      const header = new AttrSet(m.payload, GENL_HEADER_LEN).nested(ETHTOOL.ETHTOOL_A_FEATURES_HEADER)!;
      assert.equal((header.u32(ETHTOOL.ETHTOOL_A_HEADER_FLAGS) ?? 0) & ETHTOOL.ETHTOOL_FLAG_COMPACT_BITSETS, ETHTOOL.ETHTOOL_FLAG_COMPACT_BITSETS);
    }
  });

  test('sessions sharing the kernel\'s tables (the resident engine: one session per request) ask for the names once in all', () => {
    const { kernel, sock } = world();
    const shared = {};
    const seen = kernel.requests.length;
    for (let i = 0; i < 3; i++) new EthtoolSession(new NetlinkSocket(kernel, `request${i}`), shared).features(4);
    assert.equal(kernel.stringSetLookups, 1);
    const familyLookups = kernel.requests.slice(seen).filter((m) => m.type === GENL.GENL_ID_CTRL);
    assert.equal(familyLookups.length, 1, 'the family id is resolved once for the three sessions');
    // Unshared, every session asks again: a fake kernel of each test its own names.
    new EthtoolSession(sock).features(4);
    assert.equal(kernel.stringSetLookups, 2);
  });

  for (const [what, strsetNames] of [['a string set shorter than the bit set (its last bit unnamed)', FAKE_FEATURE_TABLE.slice(0, -1)], ['a kernel without the string set (EOPNOTSUPP)', null]] as const) {
    test(`${what}: the session reads verbosely, and no feature goes by a made-up name`, () => {
      const kernel = new FakeEthtoolKernel({ familyId: 0x1b, strsetNames });
      kernel.addDevice({ index: 4, name: 'veth0', hw: CHANGEABLE, active: ON });
      const sock = new NetlinkSocket(kernel, 'fake');
      const verbose = sock.run(ethtoolFeaturesGet(new GenlFamilyCache().ethtool(sock), 4));
      const f = new EthtoolSession(sock).features(4);
      assert.deepEqual(f, verbose);
      assert.ok(f.names.includes('rx-checksum'));
      assert.ok(!f.names.some((n) => n.startsWith('#')));
    });
  }
});

describe('features through NetlinkSocket', () => {
  test('get: every kernel name, changeable / wanted / active / never-change', () => {
    const { sock, families } = world();
    const f = sock.run(ethtoolFeaturesGet(families.ethtool(sock), 4));
    assert.deepEqual(f.names, FAKE_FEATURE_TABLE.filter((n) => n !== ''));
    assert.equal(f.hw.get('rx-gro'), true);
    assert.equal(f.hw.get('rx-lro'), false);
    assert.equal(f.active.get('tx-tcp6-segmentation'), true);
    assert.equal(f.active.get('rx-gro'), false);
    assert.equal(f.wanted.get('highdma'), false);
    assert.equal(f.active.get('highdma'), true);
    assert.equal(f.nochange.get('netns-local'), true);
    assert.equal(f.nochange.get('rx-gro'), false);
  });

  test('plan, set, verify: tso off, gro on, rx-checksumming off; the reply reports what changed', () => {
    const { kernel, sock, families } = world();
    const fam = families.ethtool(sock);
    const before = sock.run(ethtoolFeaturesGet(fam, 4));
    const plan = planFeatures({ tso: false, gro: true, 'rx-checksumming': false }, before, 'veth0');
    const r = sock.run(ethtoolFeaturesSet(fam, 4, plan.features));
    assert.equal(r.replied, true);
    assert.deepEqual(r.wantedDiff, new Map());
    assert.deepEqual(new Set(r.activeDiff.keys()), new Set([...TSO, 'rx-gro', 'rx-checksum']));
    assert.equal(r.activeDiff.get('rx-gro'), true);
    assert.equal(r.activeDiff.get('tx-tcp-segmentation'), false);
    const after = sock.run(ethtoolFeaturesGet(fam, 4));
    assert.deepEqual(verifyFeatures(plan.features, after), []);
    assert.equal(after.wanted.get('rx-gro'), true);
    // The other device is untouched.
    assert.ok(kernel.devices[1]!.active.has('tx-tcp-segmentation'));
  });

  test('a bit the device drops (TSO without scatter-gather) shows in the WANTED diff and in verifyFeatures', () => {
    const { sock, families } = world();
    const fam = families.ethtool(sock);
    sock.run(ethtoolFeaturesSet(fam, 4, { 'tx-scatter-gather': false }));
    const r = sock.run(ethtoolFeaturesSet(fam, 4, { 'tx-tcp-segmentation': true }));
    assert.deepEqual(r.wantedDiff, new Map([['tx-tcp-segmentation', true]]));
    assert.deepEqual(r.activeDiff, new Map());
    assert.deepEqual(verifyFeatures({ 'tx-tcp-segmentation': true }, sock.run(ethtoolFeaturesGet(fam, 4))), ['tx-tcp-segmentation']);
  });

  test('a fixed bit asked for anyway: the kernel keeps it and says so in the WANTED diff', () => {
    const { sock, families } = world();
    const fam = families.ethtool(sock);
    const r = sock.run(ethtoolFeaturesSet(fam, 4, { 'rx-lro': true }));
    assert.deepEqual(r.wantedDiff, new Map([['rx-lro', true]]));
    assert.equal(sock.run(ethtoolFeaturesGet(fam, 4)).active.get('rx-lro'), false);
  });

  test('with OMIT_REPLY there is no reply and the result says so', () => {
    const { kernel, sock, families } = world();
    const fam = families.ethtool(sock);
    const r = sock.run(ethtoolFeaturesSet(fam, 4, { 'rx-gro': true }, { omitReply: true }));
    assert.equal(r.replied, false);
    assert.equal(r.wantedDiff.size + r.activeDiff.size, 0);
    assert.ok(kernel.devices[0]!.active.has('rx-gro'));
  });

  test('a compact reply decodes with the names of a verbose one', () => {
    const { sock, families } = world();
    const fam = families.ethtool(sock);
    const verbose = sock.run(ethtoolFeaturesGet(fam, 4));
    const header = attr.nest(ETHTOOL.ETHTOOL_A_FEATURES_HEADER, [attr.u32(ETHTOOL.ETHTOOL_A_HEADER_DEV_INDEX, 4), attr.u32(ETHTOOL.ETHTOOL_A_HEADER_FLAGS, ETHTOOL.ETHTOOL_FLAG_COMPACT_BITSETS)]);
    const compact = sock.run(genlRequest(fam, ETHTOOL.ETHTOOL_MSG_FEATURES_GET, ETHTOOL.ETHTOOL_GENL_VERSION, [header], 'compact get', (replies) => decodeFeatures(replies, fam, 'compact get', FAKE_FEATURE_TABLE)));
    assert.deepEqual(compact, verbose);
  });

  test('an unknown name in a set is the kernel\'s EINVAL with its message', () => {
    const { sock, families } = world();
    assert.throws(
      () => sock.run(ethtoolFeaturesSet(families.ethtool(sock), 4, { 'rx-bogus': true })),
      (e: unknown) => e instanceof NetlinkError && e.positiveErrno === E.EINVAL && e.kernelMessage === 'cannot find bit "rx-bogus"' && /set ethtool features rx-bogus on on ifindex 4/.test(e.message),
    );
  });

  test('a device that is not there: ENODEV', () => {
    const { sock, families } = world();
    assert.throws(() => sock.run(ethtoolFeaturesGet(families.ethtool(sock), 77)), (e: unknown) => e instanceof NetlinkError && e.positiveErrno === E.ENODEV);
  });

  test('several devices in one batch', () => {
    const { sock, families } = world();
    const fam = families.ethtool(sock);
    const out = sock.runBatch([ethtoolFeaturesGet(fam, 4), ethtoolFeaturesGet(fam, 77), ethtoolFeaturesGet(fam, 9)]);
    assert.deepEqual(out.map((o) => o.ok), [true, false, true]);
  });
});

describe('private flags through NetlinkSocket', () => {
  test('get, plan, set, get again', () => {
    const { kernel, sock, families } = world();
    const fam = families.ethtool(sock);
    const flags = sock.run(ethtoolPrivFlagsGet(fam, 9));
    assert.deepEqual([...flags], [['legacy-rx', false], ['link-down-on-close', true], ['disable-fw-lldp', false]]);
    const send = planPrivFlags({ 'legacy-rx': true, 'link-down-on-close': false }, flags, 'ens1f0');
    assert.equal(sock.run(ethtoolPrivFlagsSet(fam, 9, send)), undefined);
    assert.deepEqual([...sock.run(ethtoolPrivFlagsGet(fam, 9))], [['legacy-rx', true], ['link-down-on-close', false], ['disable-fw-lldp', false]]);
    assert.equal(kernel.devices[1]!.privFlags?.get('disable-fw-lldp'), false);
  });

  test('a device without private flags: EOPNOTSUPP on get and set', () => {
    const { sock, families } = world();
    const fam = families.ethtool(sock);
    const refused = (e: unknown): boolean => e instanceof NetlinkError && e.positiveErrno === E.EOPNOTSUPP;
    assert.throws(() => sock.run(ethtoolPrivFlagsGet(fam, 4)), refused);
    assert.throws(() => sock.run(ethtoolPrivFlagsSet(fam, 4, { x: true })), refused);
  });

  test('an unknown private flag in a set: EINVAL, nothing changes', () => {
    const { kernel, sock, families } = world();
    assert.throws(() => sock.run(ethtoolPrivFlagsSet(families.ethtool(sock), 9, { 'legacy-rx': true, nope: true })), (e: unknown) => e instanceof NetlinkError && e.positiveErrno === E.EINVAL);
    assert.equal(kernel.devices[1]!.privFlags?.get('legacy-rx'), false);
  });
});
