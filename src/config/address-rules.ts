/** Which addresses may be put on an interface, and network arithmetic for routes. */
import { formatIp } from './ip.js';
import type { Cidr, IpAddress } from './model.js';

/** undefined when the address may be assigned to an interface, else why not. */
export function interfaceAddressProblem(ip: IpAddress): string | undefined {
  const b = ip.bytes;
  if (b.every((x) => x === 0)) return `${ip.text} is the unspecified address and cannot be assigned`;
  if (ip.family === 4 && b[0]! >= 224 && b[0]! <= 239) return `${ip.text} is a multicast address and cannot be assigned`;
  if (ip.family === 6 && b[0] === 0xff) return `${ip.text} is a multicast address and cannot be assigned`;
  return undefined;
}

/** The network of a CIDR: host bits cleared. */
export function networkOf(c: Cidr): Cidr {
  const bytes = Uint8Array.from(c.bytes);
  for (let i = 0; i < bytes.length; i++) {
    const bits = Math.max(0, Math.min(8, c.prefixLength - i * 8));
    bytes[i]! &= (0xff << (8 - bits)) & 0xff;
  }
  return { family: c.family, bytes, prefixLength: c.prefixLength, text: formatIp(bytes) };
}

/** fe80::/10: present on every IPv6 link once it is up, so a gateway there needs no configured address. */
export function isIpv6LinkLocal(ip: IpAddress): boolean {
  return ip.family === 6 && ip.bytes[0] === 0xfe && (ip.bytes[1]! & 0xc0) === 0x80;
}

export function isLoopback(ip: IpAddress): boolean {
  if (ip.family === 4) return ip.bytes[0] === 127;
  return ip.bytes.subarray(0, 15).every((x) => x === 0) && ip.bytes[15] === 1;
}

export const cidrText = (c: Cidr): string => `${c.text}/${c.prefixLength}`;
