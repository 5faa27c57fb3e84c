/**
 * A one-shot DHCPv4 client: DISCOVER, OFFER, REQUEST, ACK with a bounded
 * wait per message and a bounded number of tries, and a RELEASE for the
 * lease at teardown. There is no renewal: the lease is applied as a static
 * address for the container's life (README, "DHCP"). The transport is given
 * (a UDP socket bound to the device inside the container netns in
 * production, a fake server in unit tests), so this module touches no kernel.
 */
import type { DhcpLease } from './lease.js';
import {
  BOOTREPLY, BOOTREQUEST, DHCP_SERVER_PORT, DhcpDecodeError, type DhcpPacket, FLAG_BROADCAST, MessageType, Opt,
  decodePacket, encodePacket, maskPrefix, messageTypeName,
} from './packet.js';

export type { DhcpLease } from './lease.js';

export interface DhcpTransport {
  send(data: Uint8Array, address: string, port: number): void;
  /** One datagram within `timeoutMs`, or null. */
  recv(timeoutMs: number): { data: Uint8Array; address: string } | null;
  close(): void;
}

export interface DhcpTiming {
  /** Tries per phase (DISCOVER, then REQUEST). */
  attempts: number;
  /** Wait for an answer to each try, in ms. */
  replyTimeoutMs: number;
}

export const DEFAULT_TIMING: DhcpTiming = { attempts: 3, replyTimeoutMs: 1000 };

export class DhcpError extends Error {
  override name = 'DhcpError';
}

export interface ExchangeOptions {
  /** Lower-case colon MAC of the interface: chaddr and the client identifier. */
  mac: string;
  /** Interface name, for the messages. */
  ifname: string;
  timing?: DhcpTiming;
  /** Awaited between receive slices: where signals and the hook's deadline get their turn. */
  checkpoint?: () => Promise<void>;
  now?: () => Date;
  xid?: () => number;
}


/** A transaction id (Web Crypto: node:crypto itself would load, ~3 ms, in every cold hook that imports this module). */
const randomXid = (): number => new DataView(globalThis.crypto.getRandomValues(new Uint8Array(4)).buffer).getUint32(0);
/** A receive slice: short, so a signal never waits for a whole reply timeout. */
const SLICE_MS = 100;
const PARAMS = [Opt.SUBNET_MASK, Opt.ROUTER, Opt.INTERFACE_MTU, Opt.LEASE_TIME, Opt.SERVER_ID];

const clientId = (mac: string): Uint8Array => Uint8Array.from([1, ...mac.split(':').map((h) => parseInt(h, 16))]);

function request(mac: string, xid: number, secs: number, type: number, extra: Partial<DhcpPacket['options']> = {}, ciaddr = '0.0.0.0'): Uint8Array {
  return encodePacket({
    op: BOOTREQUEST, xid, secs, flags: ciaddr === '0.0.0.0' ? FLAG_BROADCAST : 0,
    ciaddr, yiaddr: '0.0.0.0', siaddr: '0.0.0.0', giaddr: '0.0.0.0', chaddr: mac,
    options: { messageType: type, clientId: clientId(mac), other: new Map(), ...extra },
  });
}

interface Waited {
  packet?: DhcpPacket;
  /** Datagrams that were not for us or not DHCP, for the error message. */
  ignored: number;
  malformed: string[];
}

async function waitFor(t: DhcpTransport, xid: number, mac: string, types: readonly number[], timeoutMs: number, checkpoint: () => Promise<void>): Promise<Waited> {
  const out: Waited = { ignored: 0, malformed: [] };
  const end = Date.now() + timeoutMs;
  for (;;) {
    const left = end - Date.now();
    if (left <= 0) return out;
    const got = t.recv(Math.min(SLICE_MS, left));
    await checkpoint();
    if (got === null) continue;
    let p: DhcpPacket;
    try {
      p = decodePacket(got.data);
    } catch (e) {
      if (!(e instanceof DhcpDecodeError)) throw e;
      out.malformed.push(`from ${got.address}: ${e.message}`);
      continue;
    }
    if (p.op !== BOOTREPLY || p.xid !== xid || p.chaddr !== mac || p.options.messageType === undefined || !types.includes(p.options.messageType)) {
      out.ignored++;
      continue;
    }
    out.packet = p;
    return out;
  }
}

function noAnswer(what: string, ifname: string, timing: DhcpTiming, w: Waited[]): DhcpError {
  const ignored = w.reduce((n, x) => n + x.ignored, 0);
  const malformed = w.flatMap((x) => x.malformed);
  const extra = [
    ignored > 0 ? `${ignored} unrelated datagram(s) ignored` : '',
    malformed.length > 0 ? `${malformed.length} malformed packet(s) ignored (${malformed.slice(0, 3).join('; ')})` : '',
  ].filter((s) => s !== '').join(', ');
  return new DhcpError(`no DHCP ${what} on ${ifname} after ${timing.attempts} tries of ${timing.replyTimeoutMs} ms${extra !== '' ? ` (${extra})` : ''}`);
}

/** DISCOVER/OFFER/REQUEST/ACK; a NAK starts over (within the same tries). */
export async function obtainLease(t: DhcpTransport, o: ExchangeOptions): Promise<DhcpLease> {
  const timing = o.timing ?? DEFAULT_TIMING;
  const checkpoint = o.checkpoint ?? (async () => undefined);
  const now = o.now ?? (() => new Date());
  const xid = (o.xid ?? randomXid)();
  const started = Date.now();
  const secs = (): number => Math.min(0xffff, Math.floor((Date.now() - started) / 1000));
  const waits: Waited[] = [];
  const naks: string[] = [];
  let tries = 0;
  while (tries < timing.attempts) {
    let offer: DhcpPacket | undefined;
    while (offer === undefined && tries < timing.attempts) {
      tries++;
      t.send(request(o.mac, xid, secs(), MessageType.DISCOVER, { paramRequest: PARAMS }), '255.255.255.255', DHCP_SERVER_PORT);
      const w = await waitFor(t, xid, o.mac, [MessageType.OFFER], timing.replyTimeoutMs, checkpoint);
      waits.push(w);
      offer = w.packet;
    }
    if (offer === undefined) break;
    const serverId = offer.options.serverId;
    if (serverId === undefined) throw new DhcpError(`the DHCP OFFER on ${o.ifname} (for ${offer.yiaddr}) has no server identifier (option 54)`);
    let answer: DhcpPacket | undefined;
    for (let k = 0; k < timing.attempts && answer === undefined; k++) {
      // DHCPREQUEST in SELECTING state: broadcast, ciaddr 0, requested IP and server id (RFC 2131 4.3.2).
      t.send(request(o.mac, xid, secs(), MessageType.REQUEST, { requestedIp: offer.yiaddr, serverId, paramRequest: PARAMS }), '255.255.255.255', DHCP_SERVER_PORT);
      const w = await waitFor(t, xid, o.mac, [MessageType.ACK, MessageType.NAK], timing.replyTimeoutMs, checkpoint);
      waits.push(w);
      answer = w.packet;
    }
    if (answer === undefined) throw noAnswer(`ACK for ${offer.yiaddr} from ${serverId}`, o.ifname, timing, waits);
    if (answer.options.messageType === MessageType.NAK) {
      naks.push(`${serverId} refused ${offer.yiaddr}${answer.options.message !== undefined ? `: ${answer.options.message}` : ''}`);
      continue;
    }
    return leaseOf(answer, serverId, o, now());
  }
  if (naks.length > 0) throw new DhcpError(`DHCP on ${o.ifname}: every REQUEST was refused (NAK: ${naks.join('; ')})`);
  throw noAnswer('OFFER', o.ifname, timing, waits);
}

function leaseOf(ack: DhcpPacket, offeredBy: string, o: ExchangeOptions, at: Date): DhcpLease {
  const opt = ack.options;
  const what = `the DHCP ${messageTypeName(opt.messageType!)} on ${o.ifname}`;
  if (ack.yiaddr === '0.0.0.0') throw new DhcpError(`${what} gives no address (yiaddr 0.0.0.0)`);
  if (opt.subnetMask === undefined) throw new DhcpError(`${what} for ${ack.yiaddr} has no subnet mask (option 1): the prefix of the address is unknown`);
  if (opt.leaseSeconds === undefined) throw new DhcpError(`${what} for ${ack.yiaddr} has no lease time (option 51)`);
  const lease: DhcpLease = {
    address: ack.yiaddr, prefixLength: maskPrefix(opt.subnetMask)!, serverId: opt.serverId ?? offeredBy,
    leaseSeconds: opt.leaseSeconds, obtainedAt: at.toISOString().replace(/\.\d{3}Z$/, 'Z'), clientMac: o.mac,
  };
  const router = opt.routers?.[0];
  if (router !== undefined) lease.router = router;
  if (opt.mtu !== undefined) lease.mtu = opt.mtu;
  return lease;
}

/**
 * DHCPRELEASE, unicast to the server from the leased address (RFC 2131 4.4.6); `to` another
 * destination (the broadcast address, when the device no longer has the address). Not answered.
 */
export function releaseLease(t: DhcpTransport, lease: DhcpLease, xid: number = randomXid(), to: string = lease.serverId): void {
  t.send(request(lease.clientMac, xid, 0, MessageType.RELEASE, { serverId: lease.serverId }, lease.address), to, DHCP_SERVER_PORT);
}
