/**
 * NetlinkSocket over a scripted Transport: the test reads the request headers
 * itself and answers with hand-built datagrams, so matching by sequence number,
 * batching, dumps and errors are checked independently of the decoders.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { constants as os } from 'node:os';
import { type Link, linkGet, linkList, linkSetMtu } from '../../src/netlink/link.js';
import { NetlinkError } from '../../src/netlink/message.js';
import { NetlinkSocket, type Outcome, type Transport } from '../../src/netlink/socket.js';

const E = os.errno;

interface SentHeader {
  len: number;
  type: number;
  flags: number;
  seq: number;
  /** The whole request, for echoing it in an error. */
  raw: Buffer;
}

/** Splits a send into nlmsghdrs, written here rather than with decodeMessages. */
function headers(data: Uint8Array): SentHeader[] {
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const out: SentHeader[] = [];
  for (let off = 0; off < b.length; ) {
    const len = b.readUInt32LE(off);
    out.push({ len, type: b.readUInt16LE(off + 4), flags: b.readUInt16LE(off + 6), seq: b.readUInt32LE(off + 8), raw: b.subarray(off, off + len) });
    off += (len + 3) & ~3;
  }
  return out;
}

/** One reply message. */
function msg(type: number, flags: number, seq: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const m = Buffer.alloc(16 + ((payload.length + 3) & ~3));
  m.writeUInt32LE(16 + payload.length, 0);
  m.writeUInt16LE(type, 4);
  m.writeUInt16LE(flags, 6);
  m.writeUInt32LE(seq, 8);
  m.set(payload, 16);
  return m;
}

/** NLMSG_ERROR the way the kernel sends it with CAP_ACK and EXT_ACK: error, request header, TLV message. */
function ack(req: SentHeader, errno = 0, text?: string): Buffer {
  const tlv = text === undefined ? Buffer.alloc(0) : (() => {
    const s = Buffer.from(`${text}\0`);
    const t = Buffer.alloc(4 + ((s.length + 3) & ~3));
    t.writeUInt16LE(4 + s.length, 0);
    t.writeUInt16LE(1, 2); // NLMSGERR_ATTR_MSG
    s.copy(t, 4);
    return t;
  })();
  const p = Buffer.alloc(4 + 16 + tlv.length);
  p.writeInt32LE(-errno, 0);
  req.raw.copy(p, 4, 0, 16);
  tlv.copy(p, 20);
  return msg(2, 0x100 | (text === undefined ? 0 : 0x200), req.seq, p);
}

/** NLMSG_DONE with its int error, and the extended-ack text when given (NLM_F_ACK_TLVS). */
function done(seq: number, errno = 0, text?: string): Buffer {
  const s = text === undefined ? Buffer.alloc(0) : Buffer.from(`${text}\0`);
  const p = Buffer.alloc(4 + (text === undefined ? 0 : 4 + ((s.length + 3) & ~3)));
  p.writeInt32LE(-errno, 0);
  if (text !== undefined) {
    p.writeUInt16LE(4 + s.length, 4);
    p.writeUInt16LE(1, 6); // NLMSGERR_ATTR_MSG
    s.copy(p, 8);
  }
  return msg(3, 2 | (text === undefined ? 0 : 0x200), seq, p);
}

/** RTM_NEWLINK with an index, IFLA_IFNAME and IFLA_MTU. */
function newlink(seq: number, index: number, name: string, mtu: number, flags = 0): Buffer {
  const n = Buffer.from(`${name}\0`);
  const p = Buffer.alloc(16 + 4 + ((n.length + 3) & ~3) + 8);
  p.writeInt32LE(index, 4);
  let off = 16;
  p.writeUInt16LE(4 + n.length, off);
  p.writeUInt16LE(3, off + 2);
  n.copy(p, off + 4);
  off += 4 + ((n.length + 3) & ~3);
  p.writeUInt16LE(8, off);
  p.writeUInt16LE(4, off + 2);
  p.writeUInt32LE(mtu, off + 4);
  return msg(16, flags, seq, p);
}

/** A Transport whose answers come from `respond`, one returned array element per recv(). */
class Scripted implements Transport {
  readonly sent: Uint8Array[] = [];
  readonly requests: SentHeader[] = [];
  private readonly datagrams: Uint8Array[] = [];
  recvs = 0;
  closed = false;
  constructor(private readonly respond: (reqs: SentHeader[]) => Uint8Array[]) {}
  send(data: Uint8Array): void {
    this.sent.push(Uint8Array.from(data));
    const reqs = headers(data);
    this.requests.push(...reqs);
    this.datagrams.push(...this.respond(reqs));
  }
  recv(): Uint8Array {
    const d = this.datagrams.shift();
    if (d === undefined) throw new Error('scripted transport: recv with nothing to give (would block)');
    this.recvs++;
    return d;
  }
  close(): void {
    this.closed = true;
  }
}

const acked = (reqs: SentHeader[]): Uint8Array[] => [Buffer.concat(reqs.map((r) => ack(r)))];

describe('one request', () => {
  test('acked: value returned, NLM_F_REQUEST|NLM_F_ACK set, one send, one recv', () => {
    const t = new Scripted(acked);
    const sock = new NetlinkSocket(t);
    assert.equal(sock.run(linkSetMtu(7, 1400)), undefined);
    assert.equal(t.sent.length, 1);
    assert.equal(t.recvs, 1);
    assert.equal(t.requests.length, 1);
    assert.equal(t.requests[0]!.type, 16);
    assert.equal(t.requests[0]!.flags, 0x5);
    sock.close();
    assert.ok(t.closed);
  });

  test('refused: NetlinkError with Node-style errno, code, the kernel text and the request description', () => {
    const t = new Scripted((reqs) => [ack(reqs[0]!, E.ERANGE, 'MTU is out of range')]);
    const sock = new NetlinkSocket(t);
    assert.throws(
      () => sock.run(linkSetMtu(7, 99999)),
      (e: unknown) => {
        assert.ok(e instanceof NetlinkError);
        assert.equal(e.code, 'ERANGE');
        assert.equal(e.errno, -E.ERANGE);
        assert.equal(e.positiveErrno, E.ERANGE);
        assert.equal(e.syscall, 'netlink');
        assert.equal(e.kernelMessage, 'MTU is out of range');
        assert.equal(e.operation, 'set mtu 99999 on ifindex 7');
        assert.match(e.message, /^set mtu 99999 on ifindex 7: ERANGE \(.+\): MTU is out of range$/);
        return true;
      },
    );
  });

  test('a get: the reply then the ack, each in its own datagram', () => {
    const t = new Scripted((reqs) => [newlink(reqs[0]!.seq, 7, 'eth1', 1500, 0), ack(reqs[0]!)]);
    const link: Link = new NetlinkSocket(t).run(linkGet({ name: 'eth1' }));
    assert.equal(t.recvs, 2);
    assert.deepEqual(link, { index: 7, name: 'eth1', flags: 0, up: false, mtu: 1500 });
  });

  test('NLMSG_NOOP and NLMSG_OVERRUN with our sequence number are skipped', () => {
    const t = new Scripted((reqs) => [Buffer.concat([msg(1, 0, reqs[0]!.seq), msg(4, 0, reqs[0]!.seq), ack(reqs[0]!)])]);
    assert.equal(new NetlinkSocket(t).run(linkSetMtu(7, 1400)), undefined);
  });
});

describe('batches', () => {
  const failing = new Map([
    [1, { errno: E.EBUSY, text: 'device is busy' }],
    [3, { errno: E.EINVAL, text: 'MTU greater than device maximum' }],
  ]);

  test('five requests, the 2nd and 4th refused: outcomes in request order with their own errors', () => {
    // Answers in reverse order, one datagram each: matching must go by sequence number.
    const t = new Scripted((reqs) => reqs.map((r, i) => ack(r, failing.get(i)?.errno ?? 0, failing.get(i)?.text)).reverse());
    const reqs = [1, 2, 3, 4, 5].map((i) => linkSetMtu(10 + i, 1400 + i));
    const out = new NetlinkSocket(t).runBatch(reqs);
    assert.equal(t.sent.length, 1);
    assert.equal(t.requests.length, 5);
    // Consecutive sequence numbers in one send.
    assert.deepEqual(t.requests.map((r) => r.seq - t.requests[0]!.seq), [0, 1, 2, 3, 4]);
    assert.equal(out.length, 5);
    const summary = out.map((o) => (o.ok ? 'ok' : { code: o.error.code, errno: o.error.errno, kernelMessage: o.error.kernelMessage, operation: o.error.operation }));
    assert.deepEqual(summary, [
      'ok',
      { code: 'EBUSY', errno: -E.EBUSY, kernelMessage: 'device is busy', operation: 'set mtu 1402 on ifindex 12' },
      'ok',
      { code: 'EINVAL', errno: -E.EINVAL, kernelMessage: 'MTU greater than device maximum', operation: 'set mtu 1404 on ifindex 14' },
      'ok',
    ]);
    for (const o of out) if (!o.ok) assert.ok(o.error instanceof NetlinkError);
  });

  test('replies split across datagrams at arbitrary message boundaries', () => {
    const t = new Scripted((reqs) => {
      const all = reqs.map((r, i) => ack(r, failing.get(i)?.errno ?? 0, failing.get(i)?.text));
      return [Buffer.concat(all.slice(0, 2)), all[2]!, Buffer.concat(all.slice(3))];
    });
    const out = new NetlinkSocket(t).runBatch([1, 2, 3, 4, 5].map((i) => linkSetMtu(i, 1500)));
    assert.equal(t.recvs, 3);
    assert.deepEqual(out.map((o) => (o.ok ? 'ok' : o.error.code)), ['ok', 'EBUSY', 'ok', 'EINVAL', 'ok']);
  });

  test('gets in one batch: replies and acks interleaved over datagrams', () => {
    const t = new Scripted((reqs) => [
      newlink(reqs[0]!.seq, 3, 'a', 1500),
      Buffer.concat([newlink(reqs[1]!.seq, 4, 'b', 9000), ack(reqs[1]!)]),
      Buffer.concat([ack(reqs[0]!), ack(reqs[2]!, E.ENODEV)]),
    ]);
    const out = new NetlinkSocket(t).runBatch([linkGet({ index: 3 }), linkGet({ index: 4 }), linkGet({ index: 5 })]);
    assert.deepEqual(out.map((o) => (o.ok ? [o.value.index, o.value.name, o.value.mtu] : o.error.code)), [[3, 'a', 1500], [4, 'b', 9000], 'ENODEV']);
  });

  test('messages with a foreign sequence number, and late duplicates, are ignored', () => {
    const t = new Scripted((reqs) => {
      const first = reqs[0]!.seq;
      return [
        Buffer.concat([ack({ ...reqs[0]!, seq: first - 1 }, E.EPERM, 'old request'), newlink(first + 7, 1, 'stray', 1)]),
        ack(reqs[0]!),
        ack(reqs[0]!, E.EIO, 'late duplicate for a finished request'),
        Buffer.concat([ack({ ...reqs[0]!, seq: first + 2 }, E.EPERM, 'beyond the batch'), ack(reqs[1]!)]),
      ];
    });
    const out = new NetlinkSocket(t).runBatch([linkSetMtu(1, 1500), linkSetMtu(2, 1500)]);
    assert.deepEqual(out, [{ ok: true, value: undefined }, { ok: true, value: undefined }]);
    assert.equal(t.recvs, 4);
  });

  test('sequence numbers keep increasing from one batch to the next', () => {
    const t = new Scripted(acked);
    const sock = new NetlinkSocket(t);
    sock.runBatch([linkSetMtu(1, 1500), linkSetMtu(2, 1500)]);
    sock.run(linkSetMtu(3, 1500));
    const seqs = t.requests.map((r) => r.seq);
    assert.deepEqual(seqs.map((s) => s - seqs[0]!), [0, 1, 2]);
  });

  test('an empty batch sends nothing', () => {
    const t = new Scripted(acked);
    assert.deepEqual(new NetlinkSocket(t).runBatch([]), []);
    assert.equal(t.sent.length, 0);
  });
});

describe('dumps', () => {
  test('multi-part replies over several datagrams end with NLMSG_DONE', () => {
    const t = new Scripted((reqs) => {
      const s = reqs[0]!.seq;
      return [Buffer.concat([newlink(s, 1, 'lo', 65536, 2), newlink(s, 2, 'eth0', 1500, 2)]), Buffer.concat([newlink(s, 3, 'eth1', 9000, 2), msg(1, 2, s)]), done(s)];
    });
    const links = new NetlinkSocket(t).run(linkList());
    assert.equal(t.requests[0]!.flags, 0x305);
    assert.deepEqual(links.map((l) => [l.index, l.name, l.mtu]), [[1, 'lo', 65536], [2, 'eth0', 1500], [3, 'eth1', 9000]]);
  });

  test('an empty dump', () => {
    const t = new Scripted((reqs) => [done(reqs[0]!.seq)]);
    assert.deepEqual(new NetlinkSocket(t).run(linkList()), []);
  });

  test('NLMSG_DONE carrying an error fails the dump', () => {
    const t = new Scripted((reqs) => [newlink(reqs[0]!.seq, 1, 'lo', 65536, 2), done(reqs[0]!.seq, E.EINTR)]);
    assert.throws(() => new NetlinkSocket(t).run(linkList()), (e: unknown) => e instanceof NetlinkError && e.code === 'EINTR' && e.errno === -E.EINTR && e.operation === 'list links');
  });

  test('NLMSG_DONE with an error keeps the kernel text', () => {
    const t = new Scripted((reqs) => [done(reqs[0]!.seq, E.EOPNOTSUPP, 'dump not supported here')]);
    assert.throws(() => new NetlinkSocket(t).run(linkList()), (e: unknown) => e instanceof NetlinkError && e.errno === -E.EOPNOTSUPP && e.kernelMessage === 'dump not supported here');
  });

  test('a reply that cannot be parsed fails the call, but every answer of the batch is read first', () => {
    // The first request's reply is truncated garbage; the others' acks must not stay in the socket.
    const t = new Scripted((reqs) => [Buffer.concat([msg(16, 0, reqs[0]!.seq, Buffer.from([1, 2, 3])), ack(reqs[0]!), ack(reqs[1]!), ack(reqs[2]!)])]);
    const sock = new NetlinkSocket(t);
    assert.throws(() => sock.runBatch<unknown>([linkGet({ name: 'eth0' }), linkSetMtu(2, 1500), linkSetMtu(3, 1500)]));
    assert.equal(t.recvs, 1);
    // The socket is still in step: the next request gets its own answer.
    const t2 = new Scripted((reqs) => [ack(reqs[0]!)]);
    assert.doesNotThrow(() => new NetlinkSocket(t2).run(linkSetMtu(4, 1500)));
  });

  test('a dump next to plain requests in one batch', () => {
    const t = new Scripted((reqs) => [ack(reqs[0]!), newlink(reqs[1]!.seq, 5, 'x', 1500, 2), ack(reqs[2]!, E.ENODEV), done(reqs[1]!.seq)]);
    const out: Outcome<unknown>[] = new NetlinkSocket(t).runBatch<unknown>([linkSetMtu(1, 1500), linkList(), linkSetMtu(2, 1500)]);
    assert.equal(out[0]!.ok, true);
    assert.deepEqual(out[1]!.ok && (out[1]!.value as Link[]).map((l) => l.name), ['x']);
    assert.equal(!out[2]!.ok && out[2]!.error.code, 'ENODEV');
  });
});

describe('large batches', () => {
  const LIMIT = 256 * 1024;

  test('more than 256 KiB of requests go out in several sends, each within 256 KiB, answers matched across them', () => {
    const n = 8000; // 8000 x 40-byte RTM_NEWLINK = 320000 bytes
    const t = new Scripted((reqs) => reqs.map((r) => ack(r, r.len === 40 && Buffer.from(r.raw).readInt32LE(20) === 7000 ? E.EBUSY : 0)));
    const reqs = Array.from({ length: n }, (_, i) => linkSetMtu(i + 1, 1500));
    const out = new NetlinkSocket(t).runBatch(reqs);
    const total = t.sent.reduce((s, b) => s + b.length, 0);
    assert.equal(total, n * 40);
    assert.ok(t.sent.length >= Math.ceil(total / LIMIT), `${t.sent.length} sends`);
    for (const b of t.sent) assert.ok(b.length <= LIMIT, `a send of ${b.length} bytes`);
    // Every request exactly once, in order, with consecutive sequence numbers.
    assert.equal(t.requests.length, n);
    t.requests.forEach((r, i) => assert.equal(r.seq, t.requests[0]!.seq + i));
    assert.deepEqual(t.requests.map((r) => r.raw.readInt32LE(20)), reqs.map((_, i) => i + 1));
    assert.equal(out.length, n);
    const failed = out.flatMap((o, i) => (o.ok ? [] : [[i, o.error.code]]));
    assert.deepEqual(failed, [[6999, 'EBUSY']]);
  });

  test('large messages count by their real size: no send exceeds 256 KiB', () => {
    // Each request carries one 8 KiB attribute: a guess by attribute count would put ~16000 in one send.
    const big = { type: 3, data: new Uint8Array(8192) };
    const reqs = Array.from({ length: 100 }, (_, i) => {
      const r = linkSetMtu(i + 1, 1500);
      return { ...r, message: { ...r.message, attrs: [...r.message.attrs, big] } };
    });
    const t = new Scripted(acked);
    const out = new NetlinkSocket(t).runBatch(reqs);
    assert.equal(out.filter((o) => o.ok).length, 100);
    assert.ok(t.sent.length >= 4, `${t.sent.length} sends`);
    for (const b of t.sent) assert.ok(b.length <= LIMIT, `a send of ${b.length} bytes`);
  });
});
