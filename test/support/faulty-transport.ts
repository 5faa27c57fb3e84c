/**
 * Test-only fault layer around the real netlink transport: fails a chosen
 * message before the kernel sees it, or after the kernel applied it (the ack
 * replaced by an error, or the receive failing half way through a batch).
 * Installed through the production seam `wrapTransports` (src/netlink/open.ts).
 */
import { appendFileSync } from 'node:fs';
import { ETHTOOL, GENL, NL, RTNL } from '../../src/netlink/constants.js';
import { type TransportFactory, wrapTransports } from '../../src/netlink/open.js';
import type { Transport } from '../../src/netlink/socket.js';

export interface FaultRule {
  /** Which sockets: opened in the caller's netns ('host') or in a netns path ('ctr'); default both. */
  netns?: 'host' | 'ctr';
  /**
   * Message type name from the rtnetlink constants, e.g. 'RTM_NEWLINK', 'RTM_GETADDR'; or 'change':
   * any message that changes kernel state (rtnetlink NEW/DEL/SET, ethtool FEATURES_SET/PRIVFLAGS_SET).
   */
  type: string;
  /** Only messages that carry this top-level attribute (ifinfomsg attributes), e.g. 'IFLA_NET_NS_FD'. */
  attr?: string;
  /** Only dumps (true) or only non-dumps (false). */
  dump?: boolean;
  /** The n-th matching message of this process (1-based). */
  nth: number;
  /**
   * refuse:    the kernel never sees the message; its ack carries `errno`.
   * applied:   the kernel applies it; its ack is replaced by `errno` (it did the work and said no).
   * recv-fails: the kernel gets the whole batch; the receive fails (EIO) after `afterReplies` datagrams.
   */
  mode: 'refuse' | 'applied' | 'recv-fails';
  /**
   * With mode 'applied': send the message without this top-level attribute (ifinfomsg
   * attributes), e.g. 'IFLA_IFNAME': the kernel moves the device but never renames it,
   * and the ack says the rename was refused.
   */
  strip?: string;
  /** Positive errno for the refusal (default EIO, 5). */
  errno?: number;
  afterReplies?: number;
}

const HDR = 16;

interface Sent {
  protocol: number;
  type: number;
  /** generic netlink command (genl sockets only). */
  cmd?: number;
  flags: number;
  seq: number;
  start: number;
  len: number;
  attrs: Set<number>;
}

function parseSent(data: Uint8Array, protocol: number): Sent[] {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out: Sent[] = [];
  for (let off = 0; off + HDR <= data.length;) {
    const len = v.getUint32(off, true);
    const type = v.getUint16(off + 4, true);
    const attrs = new Set<number>();
    if (type === RTNL.RTM_NEWLINK || type === RTNL.RTM_SETLINK || type === RTNL.RTM_GETLINK || type === RTNL.RTM_DELLINK) {
      for (let a = off + HDR + RTNL.IFINFOMSG_LEN; a + 4 <= off + len;) {
        const alen = v.getUint16(a, true);
        attrs.add(v.getUint16(a + 2, true) & NL.NLA_TYPE_MASK);
        if (alen < 4) break;
        a += (alen + 3) & ~3;
      }
    }
    const cmd = protocol === NL.NETLINK_GENERIC && off + HDR < data.length ? data[off + HDR] : undefined;
    out.push({ protocol, type, ...(cmd !== undefined ? { cmd } : {}), flags: v.getUint16(off + 6, true), seq: v.getUint32(off + 8, true), start: off, len, attrs });
    off += (len + 3) & ~3;
  }
  return out;
}

/** One ifinfomsg request (`msg`, exactly its length) without its top-level attribute `type`, padded to 4. */
function withoutAttr(msg: Uint8Array, type: number): Uint8Array {
  const v = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  const parts: Uint8Array[] = [msg.subarray(0, HDR + RTNL.IFINFOMSG_LEN)];
  for (let a = HDR + RTNL.IFINFOMSG_LEN; a + 4 <= msg.length;) {
    const alen = v.getUint16(a, true);
    if (alen < 4) break;
    const next = Math.min(msg.length, a + ((alen + 3) & ~3));
    if ((v.getUint16(a + 2, true) & NL.NLA_TYPE_MASK) !== type) parts.push(msg.subarray(a, next));
    a = next;
  }
  const out = Buffer.concat(parts);
  const padded = new Uint8Array((out.length + 3) & ~3);
  padded.set(out);
  new DataView(padded.buffer).setUint32(0, out.length, true);
  return padded;
}

/** An NLMSG_ERROR datagram answering `m` with `errno` and the text `why` (extended ack). */
function errorAck(m: Sent, errno: number, why: string): Uint8Array {
  const text = Buffer.from(`${why}\0`);
  const tlvLen = 4 + text.length;
  const len = HDR + 4 + HDR + ((tlvLen + 3) & ~3);
  const out = new Uint8Array(len);
  const v = new DataView(out.buffer);
  v.setUint32(0, len, true);
  v.setUint16(4, NL.NLMSG_ERROR, true);
  v.setUint16(6, NL.NLM_F_CAPPED | NL.NLM_F_ACK_TLVS, true);
  v.setUint32(8, m.seq, true);
  v.setInt32(HDR, -errno, true);
  v.setUint32(HDR + 4, HDR, true);
  v.setUint16(HDR + 8, m.type, true);
  v.setUint32(HDR + 12, m.seq, true);
  v.setUint16(HDR + 4 + HDR, tlvLen, true);
  v.setUint16(HDR + 4 + HDR + 2, NL.NLMSGERR_ATTR_MSG, true);
  out.set(text, HDR + 4 + HDR + 4);
  return out;
}

/** Does the message change kernel state (as opposed to reading it)? */
function changes(m: Sent): boolean {
  if (m.protocol === NL.NETLINK_ROUTE) return m.type >= RTNL.RTM_NEWLINK && (m.type - RTNL.RTM_NEWLINK) % 4 !== 2; // NEW, DEL, (GET), SET
  if (m.protocol === NL.NETLINK_GENERIC) return m.type !== GENL.GENL_ID_CTRL && (m.cmd === ETHTOOL.ETHTOOL_MSG_FEATURES_SET || m.cmd === ETHTOOL.ETHTOOL_MSG_PRIVFLAGS_SET);
  return false;
}

function matchesType(r: FaultRule, m: Sent): boolean {
  if (r.type === 'change') return changes(m);
  return m.protocol === NL.NETLINK_ROUTE && RTNL[r.type as keyof typeof RTNL] === m.type;
}

function seqOf(datagram: Uint8Array): number {
  return new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength).getUint32(8, true);
}

class FaultyTransport implements Transport {
  private readonly injected: Uint8Array[] = [];
  private readonly replaceAck = new Map<number, Uint8Array>();
  private failRecvAfter: number | undefined;
  private readonly stripFor = new Map<number, string>();

  constructor(
    private readonly inner: Transport,
    private readonly protocol: number,
    private readonly where: 'host' | 'ctr',
    private readonly faults: Faults,
  ) {}

  send(data: Uint8Array): void {
    const msgs = parseSent(data, this.protocol);
    const keep: Sent[] = [];
    for (const m of msgs) {
      const hit = this.faults.hit(m, this.where);
      if (hit === undefined) {
        keep.push(m);
        continue;
      }
      const errno = hit.errno ?? 5;
      const why = `injected fault (${hit.mode}) at ${hit.type} #${hit.nth}`;
      this.faults.fired(why);
      if (hit.mode === 'refuse') this.injected.push(errorAck(m, errno, why));
      else {
        keep.push(m);
        if (hit.mode === 'applied') {
          this.replaceAck.set(m.seq, errorAck(m, errno, why));
          if (hit.strip !== undefined) this.stripFor.set(m.seq, hit.strip);
        }
        else this.failRecvAfter = hit.afterReplies ?? 1;
      }
    }
    const stripped = new Map<Sent, Uint8Array>();
    for (const m of keep) {
      const rule = this.stripFor.get(m.seq);
      if (rule !== undefined) stripped.set(m, withoutAttr(data.subarray(m.start, m.start + m.len), RTNL[rule as keyof typeof RTNL]));
    }
    if (keep.length === msgs.length && stripped.size === 0) this.inner.send(data);
    else if (keep.length > 0) {
      const parts = keep.map((m) => stripped.get(m) ?? data.subarray(m.start, m.start + ((m.len + 3) & ~3)));
      this.inner.send(Buffer.concat(parts));
    }
  }

  recv(): Uint8Array {
    if (this.injected.length > 0) return this.injected.shift()!;
    if (this.failRecvAfter !== undefined) {
      if (this.failRecvAfter === 0) {
        this.failRecvAfter = undefined;
        throw Object.assign(new Error('recvmsg: EIO (injected receive failure)'), { errno: -5, code: 'EIO', syscall: 'recvmsg' });
      }
      this.failRecvAfter--;
    }
    const d = this.inner.recv();
    const replaced = d.length >= HDR ? this.replaceAck.get(seqOf(d)) : undefined;
    if (replaced !== undefined) {
      this.replaceAck.delete(seqOf(d));
      return replaced;
    }
    return d;
  }

  close(): void {
    this.inner.close();
  }
}

class Faults {
  private readonly seen: number[];

  constructor(
    private readonly rules: readonly FaultRule[],
    private readonly logFile: string | undefined,
  ) {
    this.seen = rules.map(() => 0);
  }

  hit(m: Sent, where: 'host' | 'ctr'): FaultRule | undefined {
    let found: FaultRule | undefined;
    this.rules.forEach((r, i) => {
      if (r.netns !== undefined && r.netns !== where) return;
      if (!matchesType(r, m)) return;
      if (r.attr !== undefined && !m.attrs.has(RTNL[r.attr as keyof typeof RTNL])) return;
      if (r.dump !== undefined && r.dump !== ((m.flags & NL.NLM_F_DUMP) === NL.NLM_F_DUMP)) return;
      this.seen[i]!++;
      if (this.seen[i] === r.nth) found ??= r;
    });
    return found;
  }

  fired(why: string): void {
    if (this.logFile !== undefined) appendFileSync(this.logFile, `${why}\n`);
  }
}

/** Installs the rules for every netlink socket this process opens from now on. */
export function installFaults(rules: readonly FaultRule[], logFile?: string): void {
  const faults = new Faults(rules, logFile);
  wrapTransports((native: TransportFactory) => (protocol, netnsPath, opts) => new FaultyTransport(native(protocol, netnsPath, opts), protocol, netnsPath === null ? 'host' : 'ctr', faults));
}
