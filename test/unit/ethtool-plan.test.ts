import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FEATURE_ALIASES, aliasesPresent, expandFeatureAlias, featureAlias, matchesPattern } from '../../src/ethtool/feature-names.js';
import { EthtoolConfigError, type FeatureView, planFeatures, planPrivFlags, verifyFeatures } from '../../src/ethtool/feature-rules.js';

/** The kernel's feature names as Linux 6.18 reports them on a veth (ethtool -k), in bit order. */
const KERNEL = [
  'tx-scatter-gather', 'tx-checksum-ipv4', 'tx-checksum-ip-generic', 'tx-checksum-ipv6', 'highdma', 'tx-scatter-gather-fraglist',
  'tx-vlan-hw-insert', 'rx-vlan-hw-parse', 'rx-vlan-filter', 'vlan-challenged', 'tx-generic-segmentation', 'tx-lockless', 'netns-local',
  'rx-gro', 'rx-lro', 'tx-tcp-segmentation', 'tx-gso-robust', 'tx-tcp-ecn-segmentation', 'tx-tcp-mangleid-segmentation',
  'tx-tcp6-segmentation', 'tx-fcoe-segmentation', 'tx-gre-segmentation', 'tx-udp-segmentation', 'tx-checksum-fcoe-crc',
  'tx-checksum-sctp', 'rx-ntuple-filter', 'rx-hashing', 'rx-checksum', 'rx-gro-hw', 'rx-gro-list', 'tx-tcp-accecn-segmentation',
];

describe('CLI names -> kernel feature bits (ethtool off_flag_def)', () => {
  const cases: Array<[string[], string[]]> = [
    [['tcp-segmentation-offload', 'tso'], ['tx-tcp-segmentation', 'tx-tcp-ecn-segmentation', 'tx-tcp-mangleid-segmentation', 'tx-tcp6-segmentation', 'tx-tcp-accecn-segmentation']],
    [['generic-receive-offload', 'gro'], ['rx-gro']],
    [['large-receive-offload', 'lro'], ['rx-lro']],
    [['rx-checksumming', 'rx'], ['rx-checksum']],
    [['tx-checksumming', 'tx'], ['tx-checksum-ipv4', 'tx-checksum-ip-generic', 'tx-checksum-ipv6', 'tx-checksum-fcoe-crc', 'tx-checksum-sctp']],
    [['scatter-gather', 'sg'], ['tx-scatter-gather', 'tx-scatter-gather-fraglist']],
    [['generic-segmentation-offload', 'gso'], ['tx-generic-segmentation']],
    [['rx-vlan-offload', 'rxvlan'], ['rx-vlan-hw-parse']],
    [['tx-vlan-offload', 'txvlan'], ['tx-vlan-hw-insert']],
    [['ntuple-filters', 'ntuple'], ['rx-ntuple-filter']],
    [['receive-hashing', 'rxhash'], ['rx-hashing']],
  ];
  for (const [names, bits] of cases) {
    test(`${names.join(' / ')} -> ${bits.join(', ')}`, () => {
      for (const n of names) assert.deepEqual(expandFeatureAlias(n, KERNEL), bits);
    });
  }

  test('tso on a kernel without AccECN is the four classic TCP bits', () => {
    const older = KERNEL.filter((n) => n !== 'tx-tcp-accecn-segmentation');
    assert.deepEqual(expandFeatureAlias('tso', older), ['tx-tcp-segmentation', 'tx-tcp-ecn-segmentation', 'tx-tcp-mangleid-segmentation', 'tx-tcp6-segmentation']);
  });

  test('pattern matching is ethtool flag_pattern_match: one *, possibly empty, anchored at both ends', () => {
    assert.ok(matchesPattern('tx-tcp-segmentation', 'tx-tcp*-segmentation'));
    assert.ok(!matchesPattern('tx-tcp-segmentation-x', 'tx-tcp*-segmentation'));
    assert.ok(!matchesPattern('tx-tc-segmentation', 'tx-tcp*-segmentation'));
    assert.ok(matchesPattern('rx-gro', 'rx-gro'));
    assert.ok(!matchesPattern('rx-gro-hw', 'rx-gro'));
    assert.ok(!matchesPattern('tx-gso-robust', 'tx-generic-segmentation'));
  });

  test('not an alias: undefined; kernel names are not aliases', () => {
    assert.equal(expandFeatureAlias('rx-gro', KERNEL), undefined);
    assert.equal(featureAlias('nope'), undefined);
    assert.equal(featureAlias('tso')?.long, 'tcp-segmentation-offload');
    assert.equal(new Set(FEATURE_ALIASES.flatMap((a) => [a.short, a.long])).size, FEATURE_ALIASES.length * 2);
  });

  test('ufo stands for nothing on kernels without UFO, so it is not offered', () => {
    assert.deepEqual(expandFeatureAlias('ufo', KERNEL), []);
    assert.ok(!aliasesPresent(KERNEL).includes('ufo'));
    assert.ok(aliasesPresent(KERNEL).includes('tso') && aliasesPresent(KERNEL).includes('tcp-segmentation-offload'));
  });
});

/** A veth as the kernel shows it: lro, ntuple, rxhash and two tx checksums fixed off. */
function veth(): FeatureView {
  const fixed = new Set(['rx-lro', 'rx-ntuple-filter', 'rx-hashing', 'tx-checksum-ipv4', 'tx-checksum-ipv6', 'tx-checksum-fcoe-crc', 'vlan-challenged', 'tx-lockless', 'netns-local', 'rx-gro-hw', 'tx-gso-robust', 'tx-fcoe-segmentation']);
  const offByDefault = new Set([...fixed, 'rx-gro', 'rx-gro-list', 'rx-vlan-filter']);
  return {
    names: KERNEL,
    hw: new Map(KERNEL.map((n) => [n, !fixed.has(n)])),
    active: new Map(KERNEL.map((n) => [n, !offByDefault.has(n) || n === 'tx-lockless' || n === 'netns-local'])),
  };
}

function refusal(fn: () => unknown): EthtoolConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof EthtoolConfigError) return e;
    throw e;
  }
  assert.fail('expected an EthtoolConfigError');
}

describe('planFeatures', () => {
  test('kernel names as is, aliases expanded to their changeable bits', () => {
    const plan = planFeatures({ tso: false, gro: true, 'rx-checksum': false }, veth(), 'veth0');
    assert.deepEqual(plan.features, {
      'tx-tcp-segmentation': false,
      'tx-tcp-ecn-segmentation': false,
      'tx-tcp-mangleid-segmentation': false,
      'tx-tcp6-segmentation': false,
      'tx-tcp-accecn-segmentation': false,
      'rx-gro': true,
      'rx-checksum': false,
    });
    assert.deepEqual(plan.fixedLeft, {});
  });

  test('partly fixed alias: the changeable bits are sent, the fixed ones reported and left alone', () => {
    const plan = planFeatures({ 'tx-checksumming': true }, veth(), 'veth0');
    assert.deepEqual(plan.features, { 'tx-checksum-ip-generic': true, 'tx-checksum-sctp': true });
    assert.deepEqual(plan.fixedLeft, { 'tx-checksumming': ['tx-checksum-ipv4', 'tx-checksum-ipv6', 'tx-checksum-fcoe-crc'] });
    // Turning it off: the fixed bits are already off, nothing to report.
    assert.deepEqual(planFeatures({ tx: false }, veth(), 'veth0'), { features: { 'tx-checksum-ip-generic': false, 'tx-checksum-sctp': false }, fixedLeft: {} });
  });

  test('an alias whose bits are all fixed: error when it differs, nothing to send when it matches', () => {
    const e = refusal(() => planFeatures({ gro: true, 'large-receive-offload': true }, veth(), 'veth0'));
    assert.equal(e.field, 'ethtool.features["large-receive-offload"]');
    assert.match(e.reason, /^feature "large-receive-offload" is fixed on veth0 \(rx-lro off \[fixed\]\); it cannot be turned on$/);
    assert.equal(e.message, `${e.field}: ${e.reason}`);
    assert.deepEqual(planFeatures({ lro: false }, veth(), 'veth0'), { features: {}, fixedLeft: {} });
  });

  test('a fixed kernel name that differs is an error too; one that matches is fine', () => {
    const e = refusal(() => planFeatures({ 'rx-hashing': true }, veth(), 'veth0'));
    assert.equal(e.field, 'ethtool.features["rx-hashing"]');
    assert.match(e.reason, /is fixed on veth0/);
    assert.deepEqual(planFeatures({ 'rx-hashing': false }, veth(), 'veth0').features, {});
  });

  test('unknown name: the error lists the device\'s kernel names and the aliases it has', () => {
    const e = refusal(() => planFeatures({ 'no-such-offload': true }, veth(), 'veth0'));
    assert.equal(e.field, 'ethtool.features["no-such-offload"]');
    assert.match(e.reason, /^unknown feature "no-such-offload" on veth0; it has: tx-scatter-gather, /);
    for (const n of ['rx-gro', 'tx-tcp6-segmentation', 'tcp-segmentation-offload', 'tso', 'generic-receive-offload', 'rx-checksumming']) assert.ok(e.reason.includes(n), n);
    assert.ok(!/\bufo\b/.test(e.reason));
    const ufo = refusal(() => planFeatures({ ufo: false }, veth(), 'veth0'));
    assert.match(ufo.reason, /unknown feature "ufo"/);
  });

  test('two names that set one bit both ways are refused; the same way is fine', () => {
    const e = refusal(() => planFeatures({ tso: false, 'tx-tcp6-segmentation': true }, veth(), 'veth0'));
    assert.equal(e.field, 'ethtool.features["tx-tcp6-segmentation"]');
    assert.match(e.reason, /turns tx-tcp6-segmentation on, but "tso" turns it off/);
    assert.equal(planFeatures({ tso: false, 'tx-tcp6-segmentation': false }, veth(), 'veth0').features['tx-tcp6-segmentation'], false);
  });

  test('a custom field prefix for the caller\'s config path', () => {
    const e = refusal(() => planFeatures({ nope: true }, veth(), 'eth1', 'netDevices["eth1"].networkConfig.ethtool.features'));
    assert.equal(e.field, 'netDevices["eth1"].networkConfig.ethtool.features["nope"]');
  });
});

describe('verifyFeatures', () => {
  test('lists the wanted bits the device did not take', () => {
    const after = { active: new Map([['tx-tcp-segmentation', true], ['rx-gro', true], ['rx-checksum', false]]) };
    assert.deepEqual(verifyFeatures({ 'tx-tcp-segmentation': false, 'rx-gro': true, 'rx-checksum': false, 'rx-missing': true }, after), ['tx-tcp-segmentation', 'rx-missing']);
    assert.deepEqual(verifyFeatures({}, after), []);
  });
});

describe('planPrivFlags', () => {
  const flags = new Map([['legacy-rx', false], ['link-down-on-close', true]]);
  test('known flags pass through', () => {
    assert.deepEqual(planPrivFlags({ 'legacy-rx': true }, flags, 'eth0'), { 'legacy-rx': true });
  });
  test('unknown flag lists the device\'s flags; a device without any says so', () => {
    const e = refusal(() => planPrivFlags({ bogus: true }, flags, 'eth0'));
    assert.equal(e.field, 'ethtool.privateFlags["bogus"]');
    assert.equal(e.reason, 'unknown private flag "bogus" on eth0; it has: legacy-rx, link-down-on-close');
    assert.equal(refusal(() => planPrivFlags({ x: true }, undefined, 'veth0')).reason, 'veth0 has no private flags');
  });
});
