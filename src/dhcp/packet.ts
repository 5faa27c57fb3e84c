/**
 * DHCPv4 packets (RFC 2131 over the BOOTP header of RFC 951, options of
 * RFC 2132): a pure encoder and a decoder that never throws anything but a
 * DhcpDecodeError, whatever bytes a network hands it. The numbers below are
 * the RFCs' (no kernel header declares them).
 */

export const DHCP_SERVER_PORT = 67;
export const DHCP_CLIENT_PORT = 68;
export const BOOTREQUEST = 1;
export const BOOTREPLY = 2;
const HTYPE_ETHER = 1;
/** op..file: the fixed BOOTP part. */
export const BOOTP_HEADER_LEN = 236;
const MAGIC = [99, 130, 83, 99] as const;
/** Some BOOTP relays drop shorter requests (RFC 1542 2.1). */
const MIN_PACKET = 300;
/** Set in `flags`: the server must broadcast its answers (we have no address to unicast to yet). */
export const FLAG_BROADCAST = 0x8000;

export const MessageType = {
  DISCOVER: 1, OFFER: 2, REQUEST: 3, DECLINE: 4, ACK: 5, NAK: 6, RELEASE: 7, INFORM: 8,
} as const;
export type MessageTypeName = keyof typeof MessageType;
const TYPE_NAMES = new Map<number, MessageTypeName>(Object.entries(MessageType).map(([k, v]) => [v, k as MessageTypeName]));
export const messageTypeName = (t: number): string => TYPE_NAMES.get(t) ?? `type ${t}`;

export const Opt = {
  PAD: 0, SUBNET_MASK: 1, ROUTER: 3, INTERFACE_MTU: 26, REQUESTED_IP: 50, LEASE_TIME: 51,
  OVERLOAD: 52, MESSAGE_TYPE: 53, SERVER_ID: 54, PARAM_REQUEST: 55, MESSAGE: 56, CLIENT_ID: 61, END: 255,
} as const;

export interface DhcpOptions {
  messageType?: number;
  subnetMask?: string;
  routers?: string[];
  mtu?: number;
  requestedIp?: string;
  leaseSeconds?: number;
  serverId?: string;
  paramRequest?: number[];
  /** Option 61 as sent: type byte then the identifier. */
  clientId?: Uint8Array;
  /** Option 56: the server's reason, on a NAK. */
  message?: string;
  /** Every other option, by code, raw. */
  other: Map<number, Uint8Array>;
}

export interface DhcpPacket {
  op: number;
  xid: number;
  secs: number;
  flags: number;
  ciaddr: string;
  yiaddr: string;
  siaddr: string;
  giaddr: string;
  /** Lower-case colon MAC (htype 1, hlen 6). */
  chaddr: string;
  options: DhcpOptions;
}

export class DhcpDecodeError extends Error {
  override name = 'DhcpDecodeError';
}

function fail(why: string): never {
  throw new DhcpDecodeError(why);
}

export function ipText(b: Uint8Array, at = 0): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

export function ipBytes(text: string): Uint8Array {
  const parts = text.split('.');
  const out = new Uint8Array(4);
  if (parts.length !== 4) throw new RangeError(`not an IPv4 address: ${JSON.stringify(text)}`);
  parts.forEach((p, i) => {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw new RangeError(`not an IPv4 address: ${JSON.stringify(text)}`);
    out[i] = Number(p);
  });
  return out;
}

function macBytes(mac: string): Uint8Array {
  const parts = mac.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) throw new RangeError(`not a MAC address: ${JSON.stringify(mac)}`);
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

/** A mask's prefix length; undefined when its ones are not contiguous. */
export function maskPrefix(mask: string): number | undefined {
  const b = ipBytes(mask);
  const n = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  let len = 0;
  while (len < 32 && (n & (0x80000000 >>> len)) !== 0) len++;
  const rebuilt = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return rebuilt === n ? len : undefined;
}

export function encodePacket(p: DhcpPacket): Buffer {
  const opts: number[] = [];
  const put = (code: number, value: ArrayLike<number>): void => {
    // Longer values are split over several instances of the option (RFC 3396).
    for (let i = 0; i === 0 || i < value.length; i += 255) {
      const part = Array.from(value).slice(i, i + 255);
      opts.push(code, part.length, ...part);
    }
  };
  const o = p.options;
  if (o.messageType !== undefined) put(Opt.MESSAGE_TYPE, [o.messageType]);
  if (o.clientId !== undefined) put(Opt.CLIENT_ID, o.clientId);
  if (o.requestedIp !== undefined) put(Opt.REQUESTED_IP, ipBytes(o.requestedIp));
  if (o.serverId !== undefined) put(Opt.SERVER_ID, ipBytes(o.serverId));
  if (o.leaseSeconds !== undefined) put(Opt.LEASE_TIME, u32(o.leaseSeconds));
  if (o.subnetMask !== undefined) put(Opt.SUBNET_MASK, ipBytes(o.subnetMask));
  if (o.routers !== undefined && o.routers.length > 0) put(Opt.ROUTER, o.routers.flatMap((r) => Array.from(ipBytes(r))));
  if (o.mtu !== undefined) put(Opt.INTERFACE_MTU, [o.mtu >> 8 & 0xff, o.mtu & 0xff]);
  if (o.message !== undefined) put(Opt.MESSAGE, Buffer.from(o.message, 'utf8'));
  if (o.paramRequest !== undefined) put(Opt.PARAM_REQUEST, o.paramRequest);
  for (const [code, v] of o.other) put(code, v);
  opts.push(Opt.END);

  const out = Buffer.alloc(Math.max(MIN_PACKET, BOOTP_HEADER_LEN + MAGIC.length + opts.length));
  out[0] = p.op;
  out[1] = HTYPE_ETHER;
  out[2] = 6;
  out[3] = 0;
  out.writeUInt32BE(p.xid >>> 0, 4);
  out.writeUInt16BE(p.secs & 0xffff, 8);
  out.writeUInt16BE(p.flags & 0xffff, 10);
  out.set(ipBytes(p.ciaddr), 12);
  out.set(ipBytes(p.yiaddr), 16);
  out.set(ipBytes(p.siaddr), 20);
  out.set(ipBytes(p.giaddr), 24);
  out.set(macBytes(p.chaddr), 28);
  out.set(MAGIC, BOOTP_HEADER_LEN);
  out.set(opts, BOOTP_HEADER_LEN + MAGIC.length);
  return out;
}

function u32(n: number): number[] {
  return [n >>> 24 & 0xff, n >>> 16 & 0xff, n >>> 8 & 0xff, n & 0xff];
}

/** Collects the options (RFC 3396: one code given twice is one value, concatenated). */
function rawOptions(b: Uint8Array, from: number): Map<number, Uint8Array> {
  const parts = new Map<number, number[]>();
  let i = from;
  let ended = false;
  while (i < b.length) {
    const code = b[i]!;
    if (code === Opt.PAD) {
      i++;
      continue;
    }
    if (code === Opt.END) {
      ended = true;
      break;
    }
    if (i + 1 >= b.length) fail(`option ${code} at offset ${i} has no length byte`);
    const len = b[i + 1]!;
    if (i + 2 + len > b.length) fail(`option ${code} at offset ${i} claims ${len} bytes, only ${b.length - i - 2} left`);
    const acc = parts.get(code) ?? [];
    for (let k = 0; k < len; k++) acc.push(b[i + 2 + k]!);
    parts.set(code, acc);
    i += 2 + len;
  }
  if (!ended) fail('the options have no end option (255)');
  return new Map([...parts].map(([k, v]) => [k, Uint8Array.from(v)]));
}

function exact(code: number, v: Uint8Array, len: number): Uint8Array {
  if (v.length !== len) fail(`option ${code} must be ${len} byte(s), is ${v.length}`);
  return v;
}

const readU32 = (v: Uint8Array): number => ((v[0]! << 24) | (v[1]! << 16) | (v[2]! << 8) | v[3]!) >>> 0;

export function decodePacket(data: Uint8Array): DhcpPacket {
  if (data.length < BOOTP_HEADER_LEN + MAGIC.length) fail(`${data.length} bytes: shorter than a BOOTP header with the DHCP magic cookie (${BOOTP_HEADER_LEN + MAGIC.length})`);
  const b = data;
  const op = b[0]!;
  if (op !== BOOTREQUEST && op !== BOOTREPLY) fail(`op ${op} is neither BOOTREQUEST (1) nor BOOTREPLY (2)`);
  if (b[1] !== HTYPE_ETHER || b[2] !== 6) fail(`hardware type ${b[1]} / length ${b[2]}: only Ethernet (1/6) is understood`);
  for (let k = 0; k < MAGIC.length; k++) if (b[BOOTP_HEADER_LEN + k] !== MAGIC[k]) fail('no DHCP magic cookie (99.130.83.99): a plain BOOTP packet');
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const raw = rawOptions(b, BOOTP_HEADER_LEN + MAGIC.length);
  const options: DhcpOptions = { other: new Map() };
  for (const [code, v] of raw) {
    switch (code) {
      case Opt.MESSAGE_TYPE: {
        const t = exact(code, v, 1)[0]!;
        if (t < 1 || t > 18) fail(`message type ${t} is not a DHCP message type`);
        options.messageType = t;
        break;
      }
      case Opt.SUBNET_MASK: {
        const m = ipText(exact(code, v, 4));
        if (maskPrefix(m) === undefined) fail(`subnet mask ${m} is not contiguous`);
        options.subnetMask = m;
        break;
      }
      case Opt.ROUTER:
        if (v.length === 0 || v.length % 4 !== 0) fail(`option 3 (router) must be a non-empty list of 4-byte addresses, is ${v.length} bytes`);
        options.routers = Array.from({ length: v.length / 4 }, (_, k) => ipText(v, k * 4));
        break;
      case Opt.INTERFACE_MTU: {
        const mtu = (exact(code, v, 2)[0]! << 8) | v[1]!;
        if (mtu < 68) fail(`MTU option ${mtu} is below IPv4's minimum of 68`);
        options.mtu = mtu;
        break;
      }
      case Opt.REQUESTED_IP:
        options.requestedIp = ipText(exact(code, v, 4));
        break;
      case Opt.LEASE_TIME:
        options.leaseSeconds = readU32(exact(code, v, 4));
        break;
      case Opt.SERVER_ID:
        options.serverId = ipText(exact(code, v, 4));
        break;
      case Opt.PARAM_REQUEST:
        options.paramRequest = Array.from(v);
        break;
      case Opt.CLIENT_ID:
        if (v.length < 2) fail(`option 61 (client identifier) must be at least 2 bytes, is ${v.length}`);
        options.clientId = v;
        break;
      case Opt.MESSAGE:
        options.message = Buffer.from(v).toString('utf8');
        break;
      default:
        options.other.set(code, v);
    }
  }
  return {
    op,
    xid: dv.getUint32(4),
    secs: dv.getUint16(8),
    flags: dv.getUint16(10),
    ciaddr: ipText(b, 12),
    yiaddr: ipText(b, 16),
    siaddr: ipText(b, 20),
    giaddr: ipText(b, 24),
    chaddr: Array.from(b.subarray(28, 34), (x) => x.toString(16).padStart(2, '0')).join(':'),
    options,
  };
}
