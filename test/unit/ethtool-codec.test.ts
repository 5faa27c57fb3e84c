import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EthtoolSession } from '../../src/apply/ethtool-session.js';
import { planEthtool } from '../../src/apply/ethtool-plan.js';
import type { DeviceSpec } from '../../src/config/model.js';
import { type Attr, AttrSet, attr, encodeAttrs } from '../../src/netlink/attr.js';
import { ETHTOOL, GENL, NL } from '../../src/netlink/constants.js';
import { decodeBitset } from '../../src/netlink/ethtool-bitset.js';
import { ethtoolPrivFlagsSet } from '../../src/netlink/ethtool.js';
import type { FeatureState } from '../../src/netlink/ethtool.js';
import { expandAlias } from '../../src/netlink/feature-aliases.js';
import { genlFamily, encodeGenlHeader } from '../../src/netlink/genetlink.js';
import { decodeMessages, encodeBatch } from '../../src/netlink/message.js';
import { NetlinkSocket, type Transport } from '../../src/netlink/socket.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const withAck = (m: { type: number; flags: number; header: Uint8Array; attrs: readonly Attr[] }) => ({ ...m, flags: m.flags | NL.NLM_F_REQUEST | NL.NLM_F_ACK });

describe('generic netlink and ethtool requests, byte for byte', () => {
  test('CTRL_CMD_GETFAMILY "ethtool"', () => {
    const bytes = encodeBatch([withAck(genlFamily('ethtool').message)], 1);
    assert.equal(hex(bytes), ['20000000', '10000500', '01000000', '00000000', '03010000', '0c000200', '657468746f6f6c00'].join(''));
  });

  test('PRIVFLAGS_SET with one named bit turned on', () => {
    const bytes = encodeBatch([withAck(ethtoolPrivFlagsSet(0x14, 7, { ab: true }).message)], 1);
    assert.equal(
      hex(bytes),
      ['38000000', '14000500', '01000000', '00000000', '0e010000', '0c000180', '08000100', '07000000', '18000280', '14000380', '10000180', '07000200', '61620000', '04000300'].join(''),
    );
  });

  test('a named bit turned off carries no VALUE flag', () => {
    const bytes = encodeBatch([withAck(ethtoolPrivFlagsSet(0x14, 7, { ab: false }).message)], 1);
    assert.ok(hex(bytes).endsWith(['14000280', '10000380', '0c000180', '07000200', '61620000'].join('')), hex(bytes));
  });
});

describe('bit sets', () => {
  test('compact form with mask', () => {
    const v = new Uint8Array(4);
    new DataView(v.buffer).setUint32(0, 0b0101, true);
    const m = new Uint8Array(4);
    new DataView(m.buffer).setUint32(0, 0b0111, true);
    const data = encodeAttrs([attr.u32(ETHTOOL.ETHTOOL_A_BITSET_SIZE, 4), attr.bytes(ETHTOOL.ETHTOOL_A_BITSET_VALUE, v), attr.bytes(ETHTOOL.ETHTOOL_A_BITSET_MASK, m)]);
    assert.deepEqual([...decodeBitset(data, ['a', 'b', 'c', 'd'])], [['a', true], ['b', false], ['c', true]]);
  });

  test('verbose form, with and without NOMASK', () => {
    const bit = (i: number, name: string, on: boolean): Attr =>
      attr.nest(ETHTOOL.ETHTOOL_A_BITSET_BITS_BIT, [attr.u32(ETHTOOL.ETHTOOL_A_BITSET_BIT_INDEX, i), attr.str(ETHTOOL.ETHTOOL_A_BITSET_BIT_NAME, name), ...(on ? [attr.flag(ETHTOOL.ETHTOOL_A_BITSET_BIT_VALUE)] : [])]);
    const masked = encodeAttrs([attr.nest(ETHTOOL.ETHTOOL_A_BITSET_BITS, [bit(0, 'x', true), bit(1, 'y', false)])]);
    assert.deepEqual([...decodeBitset(masked, [])], [['x', true], ['y', false]]);
    const nomask = encodeAttrs([attr.flag(ETHTOOL.ETHTOOL_A_BITSET_NOMASK), attr.nest(ETHTOOL.ETHTOOL_A_BITSET_BITS, [bit(1, 'y', false)])]);
    assert.deepEqual([...decodeBitset(nomask, ['x', 'y'])], [['x', false], ['y', true]]);
  });
});

describe('feature names', () => {
  const kernel = ['tx-tcp-segmentation', 'tx-tcp-ecn-segmentation', 'tx-tcp-mangleid-segmentation', 'tx-tcp6-segmentation', 'rx-gro', 'rx-lro', 'rx-checksum', 'tx-checksum-ipv4', 'tx-checksum-ip-generic', 'tx-scatter-gather', 'tx-scatter-gather-fraglist'];
  test('ethtool CLI aliases expand to kernel bits', () => {
    assert.deepEqual(expandAlias('tso', kernel), ['tx-tcp-segmentation', 'tx-tcp-ecn-segmentation', 'tx-tcp-mangleid-segmentation', 'tx-tcp6-segmentation']);
    assert.deepEqual(expandAlias('tcp-segmentation-offload', kernel), expandAlias('tso', kernel));
    assert.deepEqual(expandAlias('generic-receive-offload', kernel), ['rx-gro']);
    assert.deepEqual(expandAlias('lro', kernel), ['rx-lro']);
    assert.deepEqual(expandAlias('rx-checksumming', kernel), ['rx-checksum']);
    assert.deepEqual(expandAlias('tx', kernel), ['tx-checksum-ipv4', 'tx-checksum-ip-generic']);
    assert.deepEqual(expandAlias('sg', kernel), ['tx-scatter-gather', 'tx-scatter-gather-fraglist']);
    assert.equal(expandAlias('tx-tcp-segmentation', kernel), undefined);
  });

  const spec = (features: Record<string, boolean>, privateFlags: Record<string, boolean> = {}): DeviceSpec => ({
    path: 'linux.netDevices["v"]', hostName: 'v', containerName: 'v', addresses: [], routes: [], ethtool: { features, privateFlags }, source: 'config',
  });
  const state: FeatureState = {
    names: kernel,
    hw: new Map(kernel.filter((n) => n !== 'rx-lro' && n !== 'tx-tcp-mangleid-segmentation').map((n) => [n, true])),
    wanted: new Map(kernel.map((n) => [n, n.startsWith('tx')])),
    active: new Map(kernel.map((n) => [n, n.startsWith('tx')])),
    nochange: new Map(),
  };

  test('an alias sets every changeable bit and leaves fixed ones alone', () => {
    const { plan, issues } = planEthtool(spec({ tso: false }), state, undefined);
    assert.deepEqual(issues, []);
    assert.deepEqual(plan.features, { 'tx-tcp-segmentation': false, 'tx-tcp-ecn-segmentation': false, 'tx-tcp6-segmentation': false });
    assert.deepEqual(plan.featuresBefore, { 'tx-tcp-segmentation': true, 'tx-tcp-ecn-segmentation': true, 'tx-tcp6-segmentation': true });
  });

  test('fixed, unknown, already-as-wanted', () => {
    const { plan, issues } = planEthtool(spec({ lro: true, 'rx-lro': false, nope: true, gro: false }), state, undefined);
    assert.deepEqual(plan.features, {});
    assert.equal(issues.length, 2);
    assert.match(issues[0]!.message, /"lro" is fixed off/);
    assert.equal(issues[0]!.path, 'linux.netDevices["v"].networkConfig.ethtool.features["lro"]');
    assert.match(issues[1]!.message, /unknown feature "nope".*rx-gro.*tso/);
  });

  test('private flags: unknown, unsupported, changed', () => {
    const flags = new Map([['a', false], ['b', true]]);
    const r = planEthtool(spec({}, { a: true, b: true, c: true }), undefined, flags);
    assert.deepEqual(r.plan.privateFlags, { a: true });
    assert.deepEqual(r.plan.privateFlagsBefore, { a: false });
    assert.match(r.issues[0]!.message, /unknown private flag "c".*a, b/);
    const none = planEthtool(spec({}, { a: true }), undefined, new Error('EOPNOTSUPP'));
    assert.match(none.issues[0]!.message, /no private flags.*EOPNOTSUPP/);
  });
});

/** A kernel that speaks just enough generic netlink: the ethtool family and one device's private flags. */
class FakeEthtoolKernel implements Transport {
  readonly familyId = 0x1f;
  readonly flags = new Map([['legacy-rx', false], ['fast-path', true]]);
  private pending: Uint8Array[] = [];

  send(data: Uint8Array): void {
    for (const m of decodeMessages(data)) {
      const cmd = m.payload[0]!;
      const a = new AttrSet(m.payload, 4);
      if (m.type === GENL.GENL_ID_CTRL) {
        assert.equal(a.str(GENL.CTRL_ATTR_FAMILY_NAME), 'ethtool');
        this.reply(m.seq, GENL.GENL_ID_CTRL, [attr.u16(GENL.CTRL_ATTR_FAMILY_ID, this.familyId), attr.u32(GENL.CTRL_ATTR_VERSION, 1)]);
      } else if (m.type === this.familyId && cmd === ETHTOOL.ETHTOOL_MSG_PRIVFLAGS_GET) {
        const bits = [...this.flags].map(([name, on], i) =>
          attr.nest(ETHTOOL.ETHTOOL_A_BITSET_BITS_BIT, [attr.u32(ETHTOOL.ETHTOOL_A_BITSET_BIT_INDEX, i), attr.str(ETHTOOL.ETHTOOL_A_BITSET_BIT_NAME, name), ...(on ? [attr.flag(ETHTOOL.ETHTOOL_A_BITSET_BIT_VALUE)] : [])]));
        this.reply(m.seq, this.familyId, [attr.nest(ETHTOOL.ETHTOOL_A_PRIVFLAGS_FLAGS, [attr.u32(ETHTOOL.ETHTOOL_A_BITSET_SIZE, this.flags.size), attr.nest(ETHTOOL.ETHTOOL_A_BITSET_BITS, bits)])], ETHTOOL.ETHTOOL_MSG_PRIVFLAGS_GET_REPLY);
      } else if (m.type === this.familyId && cmd === ETHTOOL.ETHTOOL_MSG_PRIVFLAGS_SET) {
        for (const { type, data: bit } of a.nested(ETHTOOL.ETHTOOL_A_PRIVFLAGS_FLAGS)?.nested(ETHTOOL.ETHTOOL_A_BITSET_BITS)?.all ?? []) {
          assert.equal(type, ETHTOOL.ETHTOOL_A_BITSET_BITS_BIT);
          const b = new AttrSet(bit);
          const name = b.str(ETHTOOL.ETHTOOL_A_BITSET_BIT_NAME)!;
          if (!this.flags.has(name)) return this.ack(m.seq, 22);
          this.flags.set(name, b.has(ETHTOOL.ETHTOOL_A_BITSET_BIT_VALUE));
        }
      } else {
        return this.ack(m.seq, 95);
      }
      this.ack(m.seq, 0);
    }
  }
  private reply(seq: number, type: number, attrs: Attr[], cmd = 1): void {
    const b = encodeBatch([{ type, flags: 0, header: encodeGenlHeader(cmd, 1), attrs }], seq);
    this.pending.push(b);
  }
  private ack(seq: number, errno: number): void {
    const payload = new Uint8Array(4 + 16);
    new DataView(payload.buffer).setInt32(0, -errno, true);
    this.pending.push(encodeBatch([{ type: NL.NLMSG_ERROR, flags: 0, header: payload, attrs: [] }], seq));
  }
  recv(): Uint8Array {
    const next = this.pending.shift();
    if (next === undefined) throw new Error('fake kernel: nothing to read');
    return next;
  }
  close(): void {}
}

test('private flags: read and set through a fake kernel (no device here has any)', () => {
  const kernel = new FakeEthtoolKernel();
  const s = new EthtoolSession(new NetlinkSocket(kernel));
  const before = s.privateFlags(3);
  assert.ok(!(before instanceof Error));
  assert.deepEqual([...before], [['legacy-rx', false], ['fast-path', true]]);
  s.setPrivateFlags(3, { 'legacy-rx': true, 'fast-path': false });
  assert.deepEqual([...kernel.flags], [['legacy-rx', true], ['fast-path', false]]);
  assert.throws(() => s.setPrivateFlags(3, { nope: true }), /EINVAL/);
});
