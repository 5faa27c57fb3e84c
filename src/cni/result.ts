/**
 * What plugins print, checked as untrusted input: a result (SPEC.md "Success")
 * for 0.4.0, 1.0.0 and 1.1.0, or an error (SPEC.md "Error": code, msg,
 * details). Known fields must have their spec types; unknown fields are kept
 * as they are (the raw result goes back into prevResult and into the status).
 */
import { parseIp as parseAddress } from '../config/ip.js';
import { type CniVersion, type Obj, isCniVersion, isObj } from './model.js';

export interface CniInterface {
  name: string;
  mac?: string;
  sandbox?: string;
}

export interface CniIp {
  /** CIDR, e.g. 10.1.0.5/24. */
  address: string;
  gateway?: string;
  /** Index into interfaces. */
  interface?: number;
}

export interface CniResult {
  cniVersion: CniVersion;
  interfaces: CniInterface[];
  ips: CniIp[];
  /** The result as the plugin printed it. */
  raw: Obj;
}

export interface CniErrorBody {
  code: number;
  msg: string;
  details?: string;
}

export class CniResultError extends Error {
  override name = 'CniResultError';
}

function fail(what: string): never {
  throw new CniResultError(what);
}

function optString(o: Obj, k: string, path: string): string | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length > 4096) fail(`${path}.${k} must be a string`);
  return v;
}

/** 4, 6, or 0 for not an address (as node:net's isIP, whose module a cold hook need not load; an IPv6 zone is allowed). */
function isIP(s: string): 0 | 4 | 6 {
  const zone = s.includes(':') ? s.indexOf('%') : -1;
  return parseAddress(zone > 0 ? s.slice(0, zone) : s)?.family ?? 0;
}

function isCidr(s: string): boolean {
  const slash = s.lastIndexOf('/');
  if (slash < 0) return false;
  const family = isIP(s.slice(0, slash));
  const len = s.slice(slash + 1);
  if (family === 0 || !/^(0|[1-9][0-9]{0,2})$/.test(len)) return false;
  return Number(len) <= (family === 4 ? 32 : 128);
}

function list(o: Obj, k: string, path: string): unknown[] {
  const v = o[k];
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length > 1024) fail(`${path}.${k} must be an array`);
  return v;
}

function parseInterface(v: unknown, path: string): CniInterface {
  if (!isObj(v)) fail(`${path} must be an object`);
  const name = optString(v, 'name', path);
  if (name === undefined) fail(`${path}.name is required`);
  const i: CniInterface = { name };
  const mac = optString(v, 'mac', path);
  if (mac !== undefined) i.mac = mac;
  const sandbox = optString(v, 'sandbox', path);
  if (sandbox !== undefined) i.sandbox = sandbox;
  return i;
}

function parseIp(v: unknown, path: string, version: CniVersion, interfaces: number): CniIp {
  if (!isObj(v)) fail(`${path} must be an object`);
  const address = optString(v, 'address', path);
  if (address === undefined || !isCidr(address)) fail(`${path}.address must be an address in CIDR notation`);
  // 0.4.0 carries the family as "version"; 1.0.0 dropped it.
  if (version === '0.4.0' && v.version !== '4' && v.version !== '6') fail(`${path}.version must be "4" or "6" in a ${version} result`);
  const ip: CniIp = { address };
  const gateway = optString(v, 'gateway', path);
  if (gateway !== undefined) {
    if (isIP(gateway) === 0) fail(`${path}.gateway must be an IP address`);
    ip.gateway = gateway;
  }
  if (v.interface !== undefined) {
    const n = v.interface;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n >= interfaces) fail(`${path}.interface must index interfaces (0..${interfaces - 1})`);
    ip.interface = n;
  }
  return ip;
}

function parseRoute(v: unknown, path: string): void {
  if (!isObj(v)) fail(`${path} must be an object`);
  const dst = optString(v, 'dst', path);
  if (dst === undefined || !isCidr(dst)) fail(`${path}.dst must be a destination in CIDR notation`);
  const gw = optString(v, 'gw', path);
  if (gw !== undefined && isIP(gw) === 0) fail(`${path}.gw must be an IP address`);
}

/** A parsed JSON value as a CNI result; throws CniResultError naming the offending field. */
export function parseResult(v: unknown, path = 'result'): CniResult {
  if (!isObj(v)) fail(`${path} must be a JSON object`);
  if (!isCniVersion(v.cniVersion)) fail(`${path}.cniVersion ${JSON.stringify(v.cniVersion)} is not a version we read (0.4.0, 1.0.0, 1.1.0)`);
  const version = v.cniVersion;
  const interfaces = list(v, 'interfaces', path).map((x, i) => parseInterface(x, `${path}.interfaces[${i}]`));
  const ips = list(v, 'ips', path).map((x, i) => parseIp(x, `${path}.ips[${i}]`, version, interfaces.length));
  list(v, 'routes', path).forEach((x, i) => parseRoute(x, `${path}.routes[${i}]`));
  if (v.dns !== undefined && !isObj(v.dns)) fail(`${path}.dns must be an object`);
  return { cniVersion: version, interfaces, ips, raw: v };
}

/** Result text from a plugin's stdout. */
export function parseResultText(text: string, path = 'result'): CniResult {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    fail(`${path} is not JSON (${(e as Error).message})`);
  }
  return parseResult(v, path);
}

/** The spec's error object from a failed plugin's stdout, or undefined when stdout holds none. */
export function parseErrorText(text: string): CniErrorBody | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObj(v) || typeof v.code !== 'number' || !Number.isInteger(v.code)) return undefined;
  const msg = typeof v.msg === 'string' ? v.msg.slice(0, 4096) : '';
  const e: CniErrorBody = { code: v.code, msg };
  if (typeof v.details === 'string') e.details = v.details.slice(0, 4096);
  return e;
}

/** The container interface named `ifName` (with a sandbox, as the spec marks container interfaces), its MAC and its addresses. */
export function interfaceData(r: CniResult, ifName: string): { interfaceName: string; hardwareAddress?: string; ips: string[] } {
  const at = r.interfaces.findIndex((i) => i.name === ifName && i.sandbox !== undefined && i.sandbox !== '');
  const index = at >= 0 ? at : r.interfaces.findIndex((i) => i.name === ifName);
  const iface = index >= 0 ? r.interfaces[index] : undefined;
  const ips = r.ips.filter((ip) => ip.interface === undefined || ip.interface === index).map((ip) => ip.address);
  return { interfaceName: ifName, ips, ...(iface?.mac !== undefined ? { hardwareAddress: iface.mac } : {}) };
}
