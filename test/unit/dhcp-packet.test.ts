/**
 * The DHCP client's codec against packets captured from busybox udhcpd
 * (fixtures/dhcp/*.hex, answers to the DISCOVER/REQUEST below), our own
 * DISCOVER/REQUEST/RELEASE byte for byte, and malformed input: the decoder
 * throws DhcpDecodeError and nothing else. The exchange runs against a
 * scripted fake server: lease, NAK, silence (bounded), junk on the wire.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { DhcpError, type DhcpTransport, obtainLease, releaseLease } from '../../src/dhcp/client.js';
import { DhcpDecodeError, type DhcpPacket, MessageType, decodePacket, encodePacket, maskPrefix } from '../../src/dhcp/packet.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');
const golden = (name: string): Buffer => Buffer.from(readFileSync(join(ROOT, 'fixtures', 'dhcp', name), 'utf8').trim(), 'hex');
const MAC = '02:00:00:00:14:01';
const XID = 0x14141414;

const base = (type: number, extra: Partial<DhcpPacket['options']> = {}, op = 1): DhcpPacket => ({
  op, xid: XID, secs: 0, flags: 0x8000, ciaddr: '0.0.0.0', yiaddr: '0.0.0.0', siaddr: '0.0.0.0', giaddr: '0.0.0.0', chaddr: MAC,
  options: { messageType: type, other: new Map(), ...extra },
});

describe('DHCP packets: golden', () => {
  test('an OFFER captured from udhcpd decodes to its fields', () => {
    const p = decodePacket(golden('udhcpd-offer.hex'));
    assert.equal(p.op, 2);
    assert.equal(p.xid, XID);
    assert.equal(p.flags, 0x8000, 'the broadcast flag is echoed');
    assert.equal(p.yiaddr, '192.0.2.50');
    assert.equal(p.chaddr, MAC);
    assert.equal(p.options.messageType, MessageType.OFFER);
    assert.equal(p.options.serverId, '192.0.2.1');
    assert.equal(p.options.subnetMask, '255.255.255.0');
    assert.deepEqual(p.options.routers, ['192.0.2.1']);
    assert.equal(p.options.mtu, 1400);
    assert.equal(p.options.leaseSeconds, 600);
  });

  test('an ACK captured from udhcpd decodes to its fields', () => {
    const p = decodePacket(golden('udhcpd-ack.hex'));
    assert.equal(p.options.messageType, MessageType.ACK);
    assert.equal(p.yiaddr, '192.0.2.50');
    assert.equal(p.options.leaseSeconds, 600);
    assert.equal(p.options.serverId, '192.0.2.1');
  });

  test('a DISCOVER encodes byte for byte', () => {
    const cid = Uint8Array.from([1, 2, 0, 0, 0, 0x14, 1]);
    const b = encodePacket(base(MessageType.DISCOVER, { clientId: cid, paramRequest: [1, 3, 26, 51, 54] }));
    assert.equal(b.length, 300, 'padded to the BOOTP minimum');
    const header = '01010600' + '14141414' + '0000' + '8000' + '00000000'.repeat(4) + '020000001401' + '00'.repeat(10);
    assert.equal(b.subarray(0, 44).toString('hex'), header);
    assert.ok(b.subarray(44, 236).every((x) => x === 0), 'sname and file are empty');
    const opts = '63825363' + '350101' + '3d07010200000014' + '01' + '3705' + '01031a3336' + 'ff';
    assert.equal(b.subarray(236, 236 + opts.length / 2).toString('hex'), opts);
    assert.ok(b.subarray(236 + opts.length / 2).every((x) => x === 0));
  });

  test('a REQUEST carries requested IP (50) and server id (54); RELEASE is unicast-shaped', () => {
    const req = encodePacket(base(MessageType.REQUEST, { requestedIp: '192.0.2.50', serverId: '192.0.2.1' }));
    assert.equal(req.subarray(240, 255).toString('hex'), '350103' + '3204c0000232' + '3604c0000201');
    const sent: Buffer[] = [];
    const to: string[] = [];
    releaseLease({ send: (d, a) => { sent.push(Buffer.from(d)); to.push(a); }, recv: () => null, close: () => undefined },
      { address: '192.0.2.50', prefixLength: 24, serverId: '192.0.2.1', leaseSeconds: 600, obtainedAt: '2026-01-01T00:00:00Z', clientMac: MAC }, 7);
    assert.deepEqual(to, ['192.0.2.1']);
    const rel = decodePacket(sent[0]!);
    assert.equal(rel.options.messageType, MessageType.RELEASE);
    assert.equal(rel.ciaddr, '192.0.2.50');
    assert.equal(rel.flags, 0);
    assert.equal(rel.options.serverId, '192.0.2.1');
    assert.deepEqual(Array.from(rel.options.clientId!), [1, 2, 0, 0, 0, 0x14, 1]);
  });

  test('encode and decode agree on every option', () => {
    const p = base(MessageType.ACK, { subnetMask: '255.255.240.0', routers: ['10.0.0.1', '10.0.0.2'], mtu: 9000, leaseSeconds: 4294967295, serverId: '10.0.0.1', requestedIp: '10.0.0.5', message: 'hi', other: new Map([[12, Uint8Array.from([104, 105])]]) }, 2);
    const back = decodePacket(encodePacket(p));
    assert.deepEqual(back, p);
  });

  test('a long option is split and joined again (RFC 3396)', () => {
    const long = Uint8Array.from({ length: 600 }, (_, i) => i & 0xff);
    const back = decodePacket(encodePacket(base(MessageType.OFFER, { other: new Map([[43, long]]) }, 2)));
    assert.deepEqual(back.options.other.get(43), long);
  });

  test('maskPrefix', () => {
    assert.equal(maskPrefix('255.255.255.0'), 24);
    assert.equal(maskPrefix('0.0.0.0'), 0);
    assert.equal(maskPrefix('255.255.255.255'), 32);
    assert.equal(maskPrefix('255.0.255.0'), undefined);
  });
});

describe('DHCP packets: malformed', () => {
  const ack = golden('udhcpd-ack.hex');
  const withOptions = (hex: string): Buffer => Buffer.concat([ack.subarray(0, 240), Buffer.from(hex, 'hex')]);
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['empty', new Uint8Array(0), /shorter than a BOOTP header/],
    ['header only', ack.subarray(0, 239), /shorter than a BOOTP header/],
    ['op 3', Buffer.concat([Buffer.from([3]), ack.subarray(1)]), /op 3/],
    ['token ring', Buffer.concat([Buffer.from([2, 6]), ack.subarray(2)]), /hardware type 6/],
    ['no magic cookie', Buffer.concat([ack.subarray(0, 236), Buffer.from('00000000ff', 'hex')]), /magic cookie/],
    ['option without a length', withOptions('35'), /no length byte/],
    ['option past the end', withOptions('3304000002'), /claims 4 bytes, only 3 left/],
    ['no end option', withOptions('350105'), /no end option/],
    ['message type of 2 bytes', withOptions('35020505ff'), /option 53 must be 1 byte/],
    ['message type 0', withOptions('350100ff'), /message type 0/],
    ['server id of 3 bytes', withOptions('3603c00002ff'), /option 54 must be 4/],
    ['requested IP of 5 bytes', withOptions('3205c000023200ff'), /option 50 must be 4/],
    ['lease time of 2 bytes', withOptions('33020258ff'), /option 51 must be 4/],
    ['MTU of 1 byte', withOptions('1a0105ff'), /option 26 must be 2/],
    ['MTU 60', withOptions('1a02003cff'), /below IPv4's minimum/],
    ['router of 6 bytes', withOptions('0306c0000201c000ff'), /option 3 \(router\)/],
    ['empty router list', withOptions('0300ff'), /option 3 \(router\)/],
    ['non-contiguous mask', withOptions('0104ff00ff00ff'), /not contiguous/],
    ['client id of 1 byte', withOptions('3d0101ff'), /option 61/],
  ];
  for (const [name, bytes, why] of cases) {
    test(name, () => {
      assert.throws(() => decodePacket(bytes), (e: unknown) => e instanceof DhcpDecodeError && why.test(e.message));
    });
  }

  test('any bytes: a packet or a DhcpDecodeError, never anything else', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 700 }), fc.nat(700), (junk, at) => {
      for (const input of [junk, Buffer.concat([ack.subarray(0, Math.min(at, ack.length)), junk])]) {
        try {
          decodePacket(input);
        } catch (e) {
          if (!(e instanceof DhcpDecodeError)) throw e;
        }
      }
    }), { numRuns: 3000 });
  });
});

/** A scripted server: answers each client message by type with the packets `reply` returns. */
function fakeServer(reply: (req: DhcpPacket, n: number) => Uint8Array[]): DhcpTransport & { sent: DhcpPacket[] } {
  const queue: Uint8Array[] = [];
  const sent: DhcpPacket[] = [];
  return {
    sent,
    send: (data) => {
      const p = decodePacket(data);
      sent.push(p);
      queue.push(...reply(p, sent.length));
    },
    recv: () => {
      const data = queue.shift();
      return data === undefined ? null : { data, address: '192.0.2.1' };
    },
    close: () => undefined,
  };
}

const answer = (req: DhcpPacket, type: number, extra: Partial<DhcpPacket['options']> = {}): Uint8Array => encodePacket({
  ...req, op: 2, yiaddr: '192.0.2.50',
  options: { messageType: type, serverId: '192.0.2.1', subnetMask: '255.255.255.0', routers: ['192.0.2.1'], mtu: 1400, leaseSeconds: 600, other: new Map(), ...extra },
});

describe('DHCP exchange', () => {
  const fast = { attempts: 3, replyTimeoutMs: 50 };

  test('DISCOVER, OFFER, REQUEST, ACK: the lease', async () => {
    const srv = fakeServer((req) => [answer(req, req.options.messageType === MessageType.DISCOVER ? MessageType.OFFER : MessageType.ACK)]);
    const lease = await obtainLease(srv, { mac: MAC, ifname: 'net1', timing: fast, now: () => new Date('2026-01-02T03:04:05.678Z'), xid: () => XID });
    assert.deepEqual(lease, { address: '192.0.2.50', prefixLength: 24, serverId: '192.0.2.1', leaseSeconds: 600, router: '192.0.2.1', mtu: 1400, obtainedAt: '2026-01-02T03:04:05Z', clientMac: MAC });
    assert.deepEqual(srv.sent.map((p) => p.options.messageType), [MessageType.DISCOVER, MessageType.REQUEST]);
    assert.equal(srv.sent[1]!.options.requestedIp, '192.0.2.50');
    assert.equal(srv.sent[1]!.options.serverId, '192.0.2.1');
  });

  test('answers for another xid or MAC, and junk, are ignored', async () => {
    const srv = fakeServer((req) => {
      const good = answer(req, req.options.messageType === MessageType.DISCOVER ? MessageType.OFFER : MessageType.ACK);
      return [Uint8Array.from([1, 2, 3]), answer({ ...req, xid: req.xid + 1 }, MessageType.OFFER), answer({ ...req, chaddr: '02:00:00:00:00:99' }, MessageType.ACK), good];
    });
    const lease = await obtainLease(srv, { mac: MAC, ifname: 'net1', timing: fast });
    assert.equal(lease.address, '192.0.2.50');
  });

  test('a NAK starts over; refusals on every try fail with the server\'s reason', async () => {
    let naks = 1;
    const srv = fakeServer((req) => {
      if (req.options.messageType === MessageType.DISCOVER) return [answer(req, MessageType.OFFER)];
      return [naks-- > 0 ? answer(req, MessageType.NAK, { message: 'address taken' }) : answer(req, MessageType.ACK)];
    });
    assert.equal((await obtainLease(srv, { mac: MAC, ifname: 'net1', timing: fast })).address, '192.0.2.50');
    const never = fakeServer((req) => [answer(req, req.options.messageType === MessageType.DISCOVER ? MessageType.OFFER : MessageType.NAK, { message: 'no' })]);
    await assert.rejects(obtainLease(never, { mac: MAC, ifname: 'net1', timing: fast }), (e: unknown) => e instanceof DhcpError && /every REQUEST was refused \(NAK: 192\.0\.2\.1 refused 192\.0\.2\.50: no/.test(e.message));
  });

  test('a silent network: bounded, the error names the interface and the tries', async () => {
    const srv = fakeServer(() => []);
    const t0 = Date.now();
    await assert.rejects(obtainLease(srv, { mac: MAC, ifname: 'net1', timing: { attempts: 3, replyTimeoutMs: 100 } }), (e: unknown) => e instanceof DhcpError && e.message === 'no DHCP OFFER on net1 after 3 tries of 100 ms');
    const took = Date.now() - t0;
    assert.ok(took >= 290 && took < 1500, `took ${took} ms`);
    assert.equal(srv.sent.length, 3);
  });

  test('only malformed answers: the error says so', async () => {
    const srv = fakeServer(() => [Uint8Array.from([2, 1, 6])]);
    await assert.rejects(obtainLease(srv, { mac: MAC, ifname: 'net1', timing: fast }), /3 malformed packet\(s\) ignored \(from 192\.0\.2\.1: 3 bytes/);
  });

  test('an ACK without a subnet mask or lease time is refused', async () => {
    const srv = fakeServer((req) => [req.options.messageType === MessageType.DISCOVER ? answer(req, MessageType.OFFER) : encodePacket({ ...req, op: 2, yiaddr: '192.0.2.50', options: { messageType: MessageType.ACK, serverId: '192.0.2.1', leaseSeconds: 60, other: new Map() } })]);
    await assert.rejects(obtainLease(srv, { mac: MAC, ifname: 'net1', timing: fast }), /has no subnet mask \(option 1\)/);
  });

  test('the checkpoint runs between receive slices: an interrupt ends the wait at once', async () => {
    const srv = fakeServer(() => []);
    let calls = 0;
    const t0 = Date.now();
    await assert.rejects(obtainLease(srv, {
      mac: MAC, ifname: 'net1', timing: { attempts: 3, replyTimeoutMs: 5000 },
      checkpoint: async () => {
        if (++calls === 3) throw new Error('interrupted by SIGTERM');
      },
    }), /interrupted by SIGTERM/);
    assert.ok(Date.now() - t0 < 1000, 'not the 15 s of the whole wait');
  });
});
