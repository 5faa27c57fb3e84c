/**
 * FakeEthtoolKernel: an in-memory generic netlink "kernel" implementing the
 * NetlinkSocket Transport, for unit tests of ethtool code without root.
 *
 * Understood requests (decoded with the project's own decoders)
 * - nlctrl CTRL_CMD_GETFAMILY by CTRL_ATTR_FAMILY_NAME ("ethtool" only; others ENOENT)
 * - ETHTOOL_MSG_FEATURES_GET: HW masked with every bit, WANTED/ACTIVE/NOCHANGE
 *   as lists, verbose or compact as the header's flags ask
 * - ETHTOOL_MSG_FEATURES_SET: the WANTED bit set in any form (unknown name:
 *   EINVAL); wanted bits are applied where changeable, then `fix` derives the
 *   active set like netdev_fix_features; SET_REPLY with the WANTED and ACTIVE
 *   diffs unless ETHTOOL_FLAG_OMIT_REPLY
 * - ETHTOOL_MSG_PRIVFLAGS_GET / _SET: EOPNOTSUPP for a device without private flags
 * - ETHTOOL_MSG_STRSET_GET of the global set ETH_SS_FEATURES (the feature table); as the
 *   kernel, EINVAL without a request header (even an empty one), EOPNOTSUPP for other sets
 * Devices are found by ETHTOOL_A_HEADER_DEV_INDEX or _DEV_NAME (ENODEV otherwise).
 * Every request is answered like the kernel: replies, then an ack with the
 * request's header (NLM_F_CAPPED) and the error text as NLMSGERR_ATTR_MSG.
 */
import { constants as os } from 'node:os';
import { type Attr, AttrSet, attr, encodeAttrs, hostLittleEndian as LE } from '../../src/netlink/attr.js';
import { ETHTOOL, GENL, NL } from '../../src/netlink/constants.js';
import { type Bitset, bitsetValues, decodeBitset, encodeCompactBitset, encodeVerboseBitset } from '../../src/netlink/ethtool.js';
import { GENL_HEADER_LEN, decodeGenlHeader, encodeGenlHeader } from '../../src/netlink/genl.js';
import { type IncomingMessage, NLMSG_HDRLEN, decodeMessages, encodeBatch } from '../../src/netlink/message.js';
import type { Transport } from '../../src/netlink/socket.js';

export const E = os.errno;

/** A bit-index ordered feature table like netdev_features_strings ('' = unused bit). */
export const FAKE_FEATURE_TABLE: readonly string[] = [
  'tx-scatter-gather', 'tx-checksum-ipv4', '', 'tx-checksum-ip-generic', 'tx-checksum-ipv6', 'highdma',
  'tx-scatter-gather-fraglist', 'tx-vlan-hw-insert', 'rx-vlan-hw-parse', 'rx-vlan-filter', 'vlan-challenged',
  'tx-generic-segmentation', 'tx-lockless', 'netns-local', 'rx-gro', 'rx-lro',
  'tx-tcp-segmentation', 'tx-gso-robust', 'tx-tcp-ecn-segmentation', 'tx-tcp-mangleid-segmentation', 'tx-tcp6-segmentation',
  'tx-checksum-fcoe-crc', 'tx-checksum-sctp', 'rx-ntuple-filter', 'rx-hashing', 'rx-checksum',
];

export interface FakeEthtoolDevice {
  index: number;
  name: string;
  /** Changeable bits (dev->hw_features). */
  hw: Set<string>;
  wanted: Set<string>;
  active: Set<string>;
  /** undefined: the driver has no private flags (EOPNOTSUPP). */
  privFlags?: Map<string, boolean>;
}

export interface FakeEthtoolOptions {
  familyId?: number;
  table?: readonly string[];
  nochange?: readonly string[];
  /** Derives the active set from wanted (netdev_fix_features); default: fixed bits keep their state. */
  fix?: (dev: FakeEthtoolDevice, wanted: Set<string>) => Set<string>;
  /** What STRSET_GET of ETH_SS_FEATURES answers (default: the table); null: EOPNOTSUPP, as a kernel without it. */
  strsetNames?: readonly string[] | null;
}

class Refusal extends Error {
  constructor(
    readonly errno: number,
    message: string,
  ) {
    super(message);
  }
}

/** Fixed bits keep their state; changeable ones follow wanted; TSO needs scatter-gather (as the kernel drops it). */
export function defaultFix(dev: FakeEthtoolDevice, wanted: Set<string>): Set<string> {
  const out = new Set<string>();
  for (const b of dev.active) if (!dev.hw.has(b)) out.add(b);
  for (const b of wanted) if (dev.hw.has(b)) out.add(b);
  if (!out.has('tx-scatter-gather')) for (const b of [...out]) if (/^tx-tcp.*-segmentation$/.test(b)) out.delete(b);
  return out;
}

export class FakeEthtoolKernel implements Transport {
  readonly familyId: number;
  readonly table: readonly string[];
  readonly devices: FakeEthtoolDevice[] = [];
  /** Every request received, decoded. */
  readonly requests: IncomingMessage[] = [];
  familyLookups = 0;
  private readonly queue: Uint8Array[] = [];
  private readonly nochange: Set<string>;
  private readonly fix: (dev: FakeEthtoolDevice, wanted: Set<string>) => Set<string>;
  closed = false;
  private readonly strsetNames: readonly string[] | null;

  constructor(opts: FakeEthtoolOptions = {}) {
    this.familyId = opts.familyId ?? 0x15;
    this.table = opts.table ?? FAKE_FEATURE_TABLE;
    this.nochange = new Set(opts.nochange ?? ['vlan-challenged', 'tx-lockless', 'netns-local']);
    this.fix = opts.fix ?? defaultFix;
    this.strsetNames = opts.strsetNames === undefined ? this.table : opts.strsetNames;
  }

  addDevice(d: { index: number; name: string; hw: string[]; active: string[]; wanted?: string[]; privFlags?: Record<string, boolean> }): FakeEthtoolDevice {
    const dev: FakeEthtoolDevice = { index: d.index, name: d.name, hw: new Set(d.hw), active: new Set(d.active), wanted: new Set(d.wanted ?? d.active.filter((b) => d.hw.includes(b))) };
    if (d.privFlags !== undefined) dev.privFlags = new Map(Object.entries(d.privFlags));
    this.devices.push(dev);
    return dev;
  }

  send(data: Uint8Array): void {
    for (const m of decodeMessages(data)) {
      this.requests.push(m);
      try {
        for (const r of this.handle(m)) this.queue.push(r);
        this.queue.push(this.ack(m, 0));
      } catch (e) {
        if (!(e instanceof Refusal)) throw e;
        this.queue.push(this.ack(m, e.errno, e.message));
      }
    }
  }

  recv(): Uint8Array {
    const d = this.queue.shift();
    if (d === undefined) throw new Error('FakeEthtoolKernel: recv() with nothing queued');
    return d;
  }

  close(): void {
    this.closed = true;
  }

  private handle(m: IncomingMessage): Uint8Array[] {
    const { cmd } = decodeGenlHeader(m.payload);
    const a = new AttrSet(m.payload, GENL_HEADER_LEN);
    if (m.type === GENL.GENL_ID_CTRL) {
      if (cmd !== GENL.CTRL_CMD_GETFAMILY) throw new Refusal(E.EOPNOTSUPP, 'unsupported ctrl command');
      this.familyLookups++;
      const name = a.str(GENL.CTRL_ATTR_FAMILY_NAME);
      if (name !== 'ethtool') throw new Refusal(E.ENOENT, 'no such family');
      return [this.reply(m, GENL.GENL_ID_CTRL, GENL.CTRL_CMD_NEWFAMILY, [attr.str(GENL.CTRL_ATTR_FAMILY_NAME, name), attr.u16(GENL.CTRL_ATTR_FAMILY_ID, this.familyId), attr.u32(GENL.CTRL_ATTR_VERSION, ETHTOOL.ETHTOOL_GENL_VERSION)])];
    }
    if (m.type !== this.familyId) throw new Refusal(E.ENOENT, 'unknown family');
    switch (cmd) {
      case ETHTOOL.ETHTOOL_MSG_FEATURES_GET:
        return this.featuresGet(m, a);
      case ETHTOOL.ETHTOOL_MSG_FEATURES_SET:
        return this.featuresSet(m, a);
      case ETHTOOL.ETHTOOL_MSG_PRIVFLAGS_GET:
        return this.privFlagsGet(m, a);
      case ETHTOOL.ETHTOOL_MSG_PRIVFLAGS_SET:
        this.privFlagsSet(a);
        return [];
      case ETHTOOL.ETHTOOL_MSG_STRSET_GET:
        return this.stringSetGet(m, a);
      default:
        throw new Refusal(E.EOPNOTSUPP, 'unsupported ethtool command');
    }
  }

  private device(a: AttrSet, headerType: number): { dev: FakeEthtoolDevice; flags: number } {
    const h = a.nested(headerType);
    if (h === undefined) throw new Refusal(E.EINVAL, 'request header missing');
    const index = h.u32(ETHTOOL.ETHTOOL_A_HEADER_DEV_INDEX);
    const name = h.str(ETHTOOL.ETHTOOL_A_HEADER_DEV_NAME);
    const dev = this.devices.find((d) => (index === undefined || d.index === index) && (name === undefined || d.name === name));
    if (dev === undefined || (index === undefined && name === undefined)) throw new Refusal(E.ENODEV, 'no device matches name or ifindex');
    return { dev, flags: h.u32(ETHTOOL.ETHTOOL_A_HEADER_FLAGS) ?? 0 };
  }

  private replyHeader(dev: FakeEthtoolDevice, type: number): Attr {
    return attr.nest(type, [attr.u32(ETHTOOL.ETHTOOL_A_HEADER_DEV_INDEX, dev.index), attr.str(ETHTOOL.ETHTOOL_A_HEADER_DEV_NAME, dev.name)]);
  }

  /** A feature bit set as the kernel writes it: `mask` undefined makes a list. */
  private featureSet(type: number, compact: boolean, value: ReadonlySet<string>, mask?: ReadonlySet<string>): Attr {
    const idx = (s: ReadonlySet<string>): Set<number> => new Set(this.table.flatMap((n, i) => (n !== '' && s.has(n) ? [i] : [])));
    if (compact) return encodeCompactBitset(type, this.table.length, idx(value), mask === undefined ? undefined : idx(mask));
    const bits = this.table.flatMap((name, index) => ((mask ?? value).has(name) ? [{ index, name, value: value.has(name) }] : []));
    return encodeVerboseBitset(type, bits, mask === undefined);
  }

  private featuresGet(m: IncomingMessage, a: AttrSet): Uint8Array[] {
    const { dev, flags } = this.device(a, ETHTOOL.ETHTOOL_A_FEATURES_HEADER);
    const compact = (flags & ETHTOOL.ETHTOOL_FLAG_COMPACT_BITSETS) !== 0;
    const all = new Set(this.table.filter((n) => n !== ''));
    return [
      this.reply(m, this.familyId, ETHTOOL.ETHTOOL_MSG_FEATURES_GET_REPLY, [
        this.replyHeader(dev, ETHTOOL.ETHTOOL_A_FEATURES_HEADER),
        this.featureSet(ETHTOOL.ETHTOOL_A_FEATURES_HW, compact, dev.hw, all),
        this.featureSet(ETHTOOL.ETHTOOL_A_FEATURES_WANTED, compact, dev.wanted),
        this.featureSet(ETHTOOL.ETHTOOL_A_FEATURES_ACTIVE, compact, dev.active),
        this.featureSet(ETHTOOL.ETHTOOL_A_FEATURES_NOCHANGE, compact, this.nochange),
      ]),
    ];
  }

  private parseRequestBitset(raw: Uint8Array | undefined, names: readonly string[]): Bitset {
    if (raw === undefined) throw new Refusal(E.EINVAL, 'bit set missing');
    const set = decodeBitset(raw, names);
    for (const b of set.bits) if (!names.includes(b.name)) throw new Refusal(E.EINVAL, `cannot find bit ${JSON.stringify(b.name)}`);
    return set;
  }

  private featuresSet(m: IncomingMessage, a: AttrSet): Uint8Array[] {
    const { dev, flags } = this.device(a, ETHTOOL.ETHTOOL_A_FEATURES_HEADER);
    const req = this.parseRequestBitset(a.raw(ETHTOOL.ETHTOOL_A_FEATURES_WANTED), this.table);
    const named = this.table.filter((n) => n !== '');
    const reqValues = bitsetValues(req, named);
    const oldActive = new Set(dev.active);
    // Unrequested bits keep the old wanted state; only changeable bits are taken.
    const reqWanted = new Set(dev.wanted);
    for (const [n, on] of reqValues) {
      if (on) reqWanted.add(n);
      else reqWanted.delete(n);
    }
    dev.wanted = new Set([...reqWanted].filter((b) => dev.hw.has(b)));
    dev.active = this.fix(dev, dev.wanted);
    if ((flags & ETHTOOL.ETHTOOL_FLAG_OMIT_REPLY) !== 0) return [];
    const compact = (flags & ETHTOOL.ETHTOOL_FLAG_COMPACT_BITSETS) !== 0;
    const wantedMask = new Set([...reqValues.keys()].filter((n) => reqWanted.has(n) !== dev.active.has(n)));
    const activeMask = new Set(named.filter((n) => oldActive.has(n) !== dev.active.has(n)));
    return [
      this.reply(m, this.familyId, ETHTOOL.ETHTOOL_MSG_FEATURES_SET_REPLY, [
        this.replyHeader(dev, ETHTOOL.ETHTOOL_A_FEATURES_HEADER),
        this.featureSet(ETHTOOL.ETHTOOL_A_FEATURES_WANTED, compact, reqWanted, wantedMask),
        this.featureSet(ETHTOOL.ETHTOOL_A_FEATURES_ACTIVE, compact, dev.active, activeMask),
      ]),
    ];
  }

  private privFlags(dev: FakeEthtoolDevice): Map<string, boolean> {
    if (dev.privFlags === undefined) throw new Refusal(E.EOPNOTSUPP, '');
    return dev.privFlags;
  }

  private privFlagsGet(m: IncomingMessage, a: AttrSet): Uint8Array[] {
    const { dev, flags } = this.device(a, ETHTOOL.ETHTOOL_A_PRIVFLAGS_HEADER);
    const pf = this.privFlags(dev);
    const names = [...pf.keys()];
    const on = new Set(names.filter((n) => pf.get(n) === true));
    const bits = (flags & ETHTOOL.ETHTOOL_FLAG_COMPACT_BITSETS) !== 0
      ? encodeCompactBitset(ETHTOOL.ETHTOOL_A_PRIVFLAGS_FLAGS, names.length, new Set(names.flatMap((n, i) => (on.has(n) ? [i] : []))), new Set(names.map((_, i) => i)))
      : encodeVerboseBitset(ETHTOOL.ETHTOOL_A_PRIVFLAGS_FLAGS, names.map((name, index) => ({ index, name, value: on.has(name) })), false);
    return [this.reply(m, this.familyId, ETHTOOL.ETHTOOL_MSG_PRIVFLAGS_GET_REPLY, [this.replyHeader(dev, ETHTOOL.ETHTOOL_A_PRIVFLAGS_HEADER), bits])];
  }

  private privFlagsSet(a: AttrSet): void {
    const { dev } = this.device(a, ETHTOOL.ETHTOOL_A_PRIVFLAGS_HEADER);
    const pf = this.privFlags(dev);
    const names = [...pf.keys()];
    const req = this.parseRequestBitset(a.raw(ETHTOOL.ETHTOOL_A_PRIVFLAGS_FLAGS), names);
    for (const [n, on] of bitsetValues(req, names)) pf.set(n, on);
  }

  /** Requests for ETH_SS_FEATURES names, counted (the session asks once). */
  stringSetLookups = 0;

  private stringSetGet(m: IncomingMessage, a: AttrSet): Uint8Array[] {
    if (!a.has(ETHTOOL.ETHTOOL_A_STRSET_HEADER)) throw new Refusal(E.EINVAL, '');
    const ids = (a.nested(ETHTOOL.ETHTOOL_A_STRSET_STRINGSETS)?.all ?? []).map(({ data }) => new AttrSet(data).u32(ETHTOOL.ETHTOOL_A_STRINGSET_ID));
    if (ids.length !== 1 || ids[0] !== ETHTOOL.ETH_SS_FEATURES || this.strsetNames === null) throw new Refusal(E.EOPNOTSUPP, 'FakeEthtoolKernel knows only ETH_SS_FEATURES');
    this.stringSetLookups++;
    const strings = this.strsetNames.map((name, index) => attr.nest(ETHTOOL.ETHTOOL_A_STRINGS_STRING, [attr.u32(ETHTOOL.ETHTOOL_A_STRING_INDEX, index), attr.str(ETHTOOL.ETHTOOL_A_STRING_VALUE, name)]));
    const set = attr.nest(ETHTOOL.ETHTOOL_A_STRINGSETS_STRINGSET, [
      attr.u32(ETHTOOL.ETHTOOL_A_STRINGSET_ID, ETHTOOL.ETH_SS_FEATURES),
      attr.u32(ETHTOOL.ETHTOOL_A_STRINGSET_COUNT, this.strsetNames.length),
      attr.nest(ETHTOOL.ETHTOOL_A_STRINGSET_STRINGS, strings),
    ]);
    return [this.reply(m, this.familyId, ETHTOOL.ETHTOOL_MSG_STRSET_GET_REPLY, [attr.nest(ETHTOOL.ETHTOOL_A_STRSET_HEADER, []), attr.nest(ETHTOOL.ETHTOOL_A_STRSET_STRINGSETS, [set])])];
  }

  private reply(req: IncomingMessage, type: number, cmd: number, attrs: Attr[]): Uint8Array {
    return encodeBatch([{ type, flags: 0, header: encodeGenlHeader(cmd, ETHTOOL.ETHTOOL_GENL_VERSION), attrs }], req.seq);
  }

  /** NLMSG_ERROR: errno, the request's nlmsghdr (capped), NLMSGERR_ATTR_MSG when there is text. */
  private ack(req: IncomingMessage, errno: number, text = ''): Uint8Array {
    const orig = new Uint8Array(NLMSG_HDRLEN);
    const ov = new DataView(orig.buffer);
    ov.setUint32(0, NLMSG_HDRLEN + req.payload.length, LE);
    ov.setUint16(4, req.type, LE);
    ov.setUint16(6, req.flags, LE);
    ov.setUint32(8, req.seq, LE);
    ov.setUint32(12, req.pid, LE);
    const tlvs = text === '' ? new Uint8Array(0) : encodeAttrs([attr.str(NL.NLMSGERR_ATTR_MSG, text)]);
    const header = new Uint8Array(4 + NLMSG_HDRLEN + tlvs.length);
    new DataView(header.buffer).setInt32(0, -errno, LE);
    header.set(orig, 4);
    header.set(tlvs, 4 + NLMSG_HDRLEN);
    const flags = NL.NLM_F_CAPPED | (text === '' ? 0 : NL.NLM_F_ACK_TLVS);
    return encodeBatch([{ type: NL.NLMSG_ERROR, flags, header, attrs: [] }], req.seq);
  }
}
