/** The proposal's `mask`: a contiguous dotted-quad netmask (IPv4) or a prefix length. */
import { parseIp } from './ip.js';
import type { Family } from './model.js';

/** The prefix length, or a message saying why the mask is refused. */
export function maskToPrefix(mask: unknown, family: Family): number | string {
  const max = family === 4 ? 32 : 128;
  if (typeof mask === 'number' || (typeof mask === 'string' && /^[0-9]+$/.test(mask))) {
    const n = Number(mask);
    if (!Number.isInteger(n) || n < 0 || n > max) return `prefix length ${JSON.stringify(mask)} is out of range 0..${max} for an IPv${family} address`;
    return n;
  }
  if (typeof mask !== 'string') return `must be a dotted-quad netmask or a prefix length, got ${mask === null ? 'null' : typeof mask}`;
  if (family === 6) return `${JSON.stringify(mask)} is not a prefix length (0..128), which an IPv6 address needs`;
  const ip = parseIp(mask);
  if (ip === undefined || ip.family !== 4) return `${JSON.stringify(mask)} is neither a dotted-quad netmask (e.g. 255.255.255.0) nor a prefix length (0..32)`;
  const ones = ip.bytes.reduce((acc, b) => acc + b.toString(2).padStart(8, '0'), '');
  if (!/^1*0*$/.test(ones)) return `${JSON.stringify(mask)} is not a contiguous netmask (its one bits must all come first)`;
  const zero = ones.indexOf('0');
  return zero < 0 ? 32 : zero;
}
