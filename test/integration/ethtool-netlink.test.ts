/**
 * The ethtool netlink operations against the real kernel (root): a veth pair
 * of our own, toggled through ethtool-ops and checked with the ethtool CLI.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { constants as os } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { ethtoolFeaturesGet, ethtoolFeaturesSet, ethtoolPrivFlagsGet, ethtoolStringSetGet } from '../../src/netlink/ethtool-ops.js';
import { ETHTOOL } from '../../src/netlink/constants.js';
import { EthtoolSession } from '../../src/ethtool/session.js';
import { EthtoolConfigError, planFeatures, verifyFeatures } from '../../src/ethtool/feature-rules.js';
import { GenlFamilyCache } from '../../src/netlink/genl.js';
import { NetlinkError } from '../../src/netlink/message.js';
import { openGeneric } from '../../src/netlink/open.js';
import type { NetlinkSocket } from '../../src/netlink/socket.js';

const run = (cmd: string, ...args: string[]): string => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** `ethtool -k DEV` as name -> {on, fixed}, for kernel names and CLI names alike. */
function cliFeatures(dev: string): Map<string, { on: boolean; fixed: boolean }> {
  const m = new Map<string, { on: boolean; fixed: boolean }>();
  for (const line of run('ethtool', '-k', dev).split('\n')) {
    const r = /^\s*([a-z0-9_-]+): (on|off)( \[(fixed|requested on)\])?/.exec(line);
    if (r !== null) m.set(r[1]!, { on: r[2] === 'on', fixed: r[4] === 'fixed' });
  }
  return m;
}

describe('ethtool over generic netlink on a real veth', () => {
  const suffix = randomBytes(3).toString('hex');
  const dev = `veth${suffix}a`;
  const peer = `veth${suffix}b`;
  let sock: NetlinkSocket;
  let family: number;
  let ifindex: number;

  before(() => {
    run('ip', 'link', 'add', dev, 'type', 'veth', 'peer', 'name', peer);
    ifindex = Number(readFileSync(`/sys/class/net/${dev}/ifindex`, 'utf8'));
    sock = openGeneric(null);
    family = new GenlFamilyCache().ethtool(sock);
  });
  after(() => {
    sock?.close();
    // Deleting one end removes the pair; only ever the pair this file created.
    try {
      run('ip', 'link', 'del', dev);
    } catch {
      /* already gone */
    }
  });

  test("the kernel's ETH_SS_FEATURES names a compact read into exactly the verbose one (the session's way)", () => {
    const names = sock.run(ethtoolStringSetGet(family, ETHTOOL.ETH_SS_FEATURES));
    assert.ok(names.includes('tx-scatter-gather') && names.includes('rx-gro'), names.join(','));
    const verbose = sock.run(ethtoolFeaturesGet(family, ifindex));
    assert.deepEqual(sock.run(ethtoolFeaturesGet(family, ifindex, names)), verbose);
    assert.deepEqual(new EthtoolSession(sock).features(ifindex), verbose);
  });

  test('features get agrees with ethtool -k', () => {
    const f = sock.run(ethtoolFeaturesGet(family, ifindex));
    const cli = cliFeatures(dev);
    assert.ok(f.names.length > 30, `${f.names.length} names`);
    // ethtool -k prints a bit that is an alias's only bit under the alias's long name.
    const shown: Array<[string, string]> = [
      ['tx-tcp-segmentation', 'tx-tcp-segmentation'],
      ['rx-gro', 'generic-receive-offload'],
      ['rx-lro', 'large-receive-offload'],
      ['rx-checksum', 'rx-checksumming'],
      ['tx-checksum-ipv4', 'tx-checksum-ipv4'],
      ['highdma', 'highdma'],
    ];
    for (const [name, cliName] of shown) {
      const c = cli.get(cliName);
      assert.ok(f.known.has(name) && c !== undefined, name);
      assert.equal(f.active.get(name), c.on, `${name} on`);
      assert.equal(f.hw.get(name), !c.fixed, `${name} changeable`);
    }
  });

  for (const want of [false, true]) {
    test(`tso, gro and rx-checksumming ${want ? 'on' : 'off'}, checked with ethtool -k`, () => {
      const plan = planFeatures({ tso: want, gro: want, 'rx-checksumming': want }, sock.run(ethtoolFeaturesGet(family, ifindex)), dev);
      assert.ok(Object.keys(plan.features).includes('tx-tcp6-segmentation'));
      const r = sock.run(ethtoolFeaturesSet(family, ifindex, plan.features));
      assert.equal(r.replied, true);
      assert.deepEqual([...r.wantedDiff], []);
      assert.deepEqual(verifyFeatures(plan.features, sock.run(ethtoolFeaturesGet(family, ifindex))), []);
      const cli = cliFeatures(dev);
      for (const n of ['tcp-segmentation-offload', 'tx-tcp-segmentation', 'tx-tcp6-segmentation', 'generic-receive-offload', 'rx-checksumming']) {
        assert.equal(cli.get(n)?.on, want, `${n} per ethtool -k`);
      }
    });
  }

  test('large-receive-offload on: the plan refuses, fixed on this device', () => {
    const f = sock.run(ethtoolFeaturesGet(family, ifindex));
    assert.throws(
      () => planFeatures({ 'large-receive-offload': true }, f, dev),
      (e: unknown) => e instanceof EthtoolConfigError && e.field === 'ethtool.features["large-receive-offload"]' && e.reason.startsWith(`feature "large-receive-offload" is fixed on ${dev}`),
    );
    // Sent anyway, the kernel leaves it off and says so in the WANTED diff.
    const r = sock.run(ethtoolFeaturesSet(family, ifindex, { 'rx-lro': true }));
    assert.deepEqual([...r.wantedDiff], [['rx-lro', true]]);
    assert.equal(cliFeatures(dev).get('large-receive-offload')?.on, false);
  });

  test('private flags on a veth: the kernel answers EOPNOTSUPP', () => {
    assert.throws(
      () => sock.run(ethtoolPrivFlagsGet(family, ifindex)),
      (e: unknown) => e instanceof NetlinkError && e.positiveErrno === os.errno.EOPNOTSUPP && ['EOPNOTSUPP', 'ENOTSUP'].includes(e.code),
    );
  });
});
