/**
 * What the hook keeps per container, and strict parsers for it: the files are
 * ours, but a crash or a full disk can leave anything behind, and recovery
 * must never act on a half-understood record.
 */
import type { DhcpLease } from '../dhcp/lease.js';
import type { HostOriginal, SavedAddress, SavedNexthop, SavedRoute } from './device-record.js';
import { type FieldKind, LINK_STATE_FIELDS } from './link-state.js';
import { type DeviceIdentity, parseIdentity } from './identity.js';
import { isContainerId, isIfname } from './state-dir.js';

export type TeardownMode = 'restore' | 'kernel';

export interface ContainerDevice {
  hostName: string;
  /** Name in the container (may be a template like eth%d in a journal). */
  containerName: string;
  original: HostOriginal;
  /** Known once applied. */
  containerIndex?: number;
  movedByRuntime?: boolean;
  /** MAC the device may carry in the container, to find it after a crash. */
  hardwareAddr?: string;
  /** Who the device is (src/state/identity.ts); absent in records of older versions. */
  identity?: DeviceIdentity;
  /** The DHCP lease the device holds: a DHCPRELEASE goes to its server at teardown. */
  dhcpLease?: DhcpLease;
  /** An ipvlan child made for the container: it dies with the netns, nothing comes home. */
  child?: 'ipvlan';
}

/** Common to the journal and devices.json: enough to bring every device home. */
export interface ContainerRecord {
  version: 1;
  id: string;
  teardown: TeardownMode;
  /** Bind-mount pin of the container netns (restore mode). */
  netnsPin?: string;
  devices: ContainerDevice[];
}

/** journal.json: written before the first kernel change, removed when the hook ends. */
export interface Journal extends ContainerRecord {
  /** The hook process that wrote it, and its start time (pids are reused). */
  hookPid: number;
  hookStart: string;
  /**
   * The container's process and its start time: recovery enters its netns through
   * /proc/<pid>/ns/net when there is no pin (teardown=kernel) and the process still runs.
   */
  containerPid?: number;
  containerStart?: string;
}

export class StateParseError extends Error {
  override name = 'StateParseError';
}

type Obj = Record<string, unknown>;

function fail(path: string, what: string): never {
  throw new StateParseError(`${path}: ${what}`);
}

function obj(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'must be an object');
  return v as Obj;
}

function str(o: Obj, k: string, path: string, max = 4096): string {
  const v = o[k];
  if (typeof v !== 'string' || v.length > max) fail(`${path}.${k}`, 'must be a string');
  return v;
}

function int(o: Obj, k: string, path: string, min = 0, max = 0xffffffff): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(`${path}.${k}`, `must be an integer in [${min}, ${max}]`);
  return v;
}

function optInt(o: Obj, k: string, path: string): number | undefined {
  return o[k] === undefined ? undefined : int(o, k, path);
}

function optStr(o: Obj, k: string, path: string): string | undefined {
  return o[k] === undefined ? undefined : str(o, k, path);
}

function bool(o: Obj, k: string, path: string): boolean {
  if (typeof o[k] !== 'boolean') fail(`${path}.${k}`, 'must be a boolean');
  return o[k] as boolean;
}

function flags(v: unknown, path: string): Record<string, boolean> {
  const o = obj(v, path);
  const out: Record<string, boolean> = {};
  for (const [k, b] of Object.entries(o)) {
    if (typeof b !== 'boolean') fail(`${path}.${k}`, 'must be a boolean');
    out[k] = b;
  }
  return out;
}

function list<T>(v: unknown, path: string, each: (item: unknown, path: string) => T, max = 65536): T[] {
  if (!Array.isArray(v) || v.length > max) fail(path, 'must be an array');
  return v.map((item, i) => each(item, `${path}[${i}]`));
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

function b64(o: Obj, k: string, path: string, max = 64): string {
  const s = str(o, k, path, max);
  if (!B64.test(s) || s.length % 4 !== 0) fail(`${path}.${k}`, 'must be base64');
  return s;
}

function family(o: Obj, path: string): 4 | 6 {
  if (o.family !== 4 && o.family !== 6) fail(`${path}.family`, 'must be 4 or 6');
  return o.family;
}

function parseAddress(v: unknown, path: string): SavedAddress {
  const o = obj(v, path);
  const a: SavedAddress = { family: family(o, path), bytes: b64(o, 'bytes', path), prefixLength: int(o, 'prefixLength', path, 0, 128), text: str(o, 'text', path), scope: int(o, 'scope', path, 0, 255), flags: int(o, 'flags', path) };
  if (o.peer !== undefined) a.peer = b64(o, 'peer', path);
  if (o.broadcast !== undefined) a.broadcast = b64(o, 'broadcast', path);
  const label = optStr(o, 'label', path);
  if (label !== undefined) a.label = label;
  const metric = optInt(o, 'metric', path);
  if (metric !== undefined) a.metric = metric;
  if (o.proto !== undefined) a.proto = int(o, 'proto', path, 0, 255);
  if (o.lifetime !== undefined) {
    const l = obj(o.lifetime, `${path}.lifetime`);
    a.lifetime = { preferred: int(l, 'preferred', `${path}.lifetime`), valid: int(l, 'valid', `${path}.lifetime`) };
  }
  return a;
}

function parseNexthop(v: unknown, path: string): SavedNexthop {
  const o = obj(v, path);
  const n: SavedNexthop = { oif: int(o, 'oif', path, 0, 0x7fffffff), flags: int(o, 'flags', path, 0, 255), hops: int(o, 'hops', path, 0, 255) };
  if (o.gateway !== undefined) n.gateway = b64(o, 'gateway', path);
  return n;
}

function parseRoute(v: unknown, path: string): SavedRoute {
  const o = obj(v, path);
  const r: SavedRoute = { family: family(o, path), dst: b64(o, 'dst', path), dstLength: int(o, 'dstLength', path, 0, 128), scope: int(o, 'scope', path, 0, 255), text: str(o, 'text', path) };
  if (o.gateway !== undefined) r.gateway = b64(o, 'gateway', path);
  if (o.prefSrc !== undefined) r.prefSrc = b64(o, 'prefSrc', path);
  for (const k of ['table', 'priority', 'nhId'] as const) {
    const n = optInt(o, k, path);
    if (n !== undefined) r[k] = n;
  }
  for (const k of ['protocol', 'type', 'pref'] as const) if (o[k] !== undefined) r[k] = int(o, k, path, 0, 255);
  if (o.flags !== undefined) r.flags = int(o, 'flags', path);
  if (o.nexthops !== undefined) r.nexthops = list(o.nexthops, `${path}.nexthops`, parseNexthop, 256);
  if (o.metrics !== undefined) r.metrics = b64(o, 'metrics', path, 4096);
  return r;
}

function strings(v: unknown, path: string): Record<string, string> {
  const o = obj(v, path);
  const out: Record<string, string> = {};
  for (const k of Object.keys(o)) out[k] = str(o, k, path, 256);
  return out;
}

function numbers(v: unknown, path: string): Record<string, number> {
  const o = obj(v, path);
  const out: Record<string, number> = {};
  for (const k of Object.keys(o)) out[k] = int(o, k, path);
  return out;
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){1,31}$/;

function field(o: Obj, k: string, kind: FieldKind, path: string): unknown {
  switch (kind) {
    case 'u32':
      return int(o, k, path);
    case 'bool':
      return bool(o, k, path);
    case 'string':
      return str(o, k, path, 256);
    case 'mac': {
      const s = str(o, k, path, 96);
      if (!MAC.test(s)) fail(`${path}.${k}`, 'must be a MAC address');
      return s;
    }
  }
}

function ifname(o: Obj, k: string, path: string): string {
  const s = str(o, k, path, 64);
  if (!isIfname(s)) fail(`${path}.${k}`, 'must be an interface name');
  return s;
}

export function parseOriginal(v: unknown, path: string): HostOriginal {
  const o = obj(v, path);
  const r: HostOriginal = {
    name: ifname(o, 'name', path),
    index: int(o, 'index', path, 1, 0x7fffffff),
    up: bool(o, 'up', path),
    mtu: int(o, 'mtu', path),
    addresses: list(o.addresses, `${path}.addresses`, parseAddress),
    routes: list(o.routes, `${path}.routes`, parseRoute),
    features: flags(o.features, `${path}.features`),
    privateFlags: flags(o.privateFlags, `${path}.privateFlags`),
  };
  // Every link attribute the table knows (link-attributes.ts); records of older versions have fewer.
  for (const [key, kind] of Object.entries(LINK_STATE_FIELDS)) {
    if (key !== 'mtu' && o[key] !== undefined) (r as unknown as Record<string, unknown>)[key] = field(o, key, kind, path);
  }
  if (o.takenAt !== undefined) r.takenAt = int(o, 'takenAt', path, 0, Number.MAX_SAFE_INTEGER);
  if (o.featuresAll !== undefined) r.featuresAll = flags(o.featuresAll, `${path}.featuresAll`);
  if (o.privateFlagsAll !== undefined) r.privateFlagsAll = flags(o.privateFlagsAll, `${path}.privateFlagsAll`);
  if (o.altnames !== undefined) {
    r.altnames = list(o.altnames, `${path}.altnames`, (x, p) => {
      if (typeof x !== 'string' || x.length === 0 || Buffer.byteLength(x) > 127 || x.includes('/')) fail(p, 'must be an interface name');
      return x;
    }, 64);
  }
  if (o.ipv4Conf !== undefined) r.ipv4Conf = numbers(o.ipv4Conf, `${path}.ipv4Conf`);
  if (o.ipv6Conf !== undefined) {
    r.ipv6Conf = strings(o.ipv6Conf, `${path}.ipv6Conf`);
    for (const k of Object.keys(r.ipv6Conf)) if (!/^[a-z0-9_]+$/.test(k)) fail(`${path}.ipv6Conf.${k}`, 'must be a sysctl name');
  }
  return r;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const ETHERNET_MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

function ipv4(o: Obj, k: string, path: string): string {
  const s = str(o, k, path, 15);
  if (!IPV4.test(s)) fail(`${path}.${k}`, 'must be an IPv4 address');
  return s;
}

function parseLease(v: unknown, path: string): DhcpLease {
  const o = obj(v, path);
  const mac = str(o, 'clientMac', path, 17);
  if (!ETHERNET_MAC.test(mac)) fail(`${path}.clientMac`, 'must be a MAC address');
  const l: DhcpLease = {
    address: ipv4(o, 'address', path), prefixLength: int(o, 'prefixLength', path, 0, 32), serverId: ipv4(o, 'serverId', path),
    leaseSeconds: int(o, 'leaseSeconds', path), obtainedAt: str(o, 'obtainedAt', path, 32), clientMac: mac,
  };
  if (o.router !== undefined) l.router = ipv4(o, 'router', path);
  if (o.mtu !== undefined) l.mtu = int(o, 'mtu', path, 68, 0xffff);
  return l;
}

function parseDevice(v: unknown, path: string): ContainerDevice {
  const o = obj(v, path);
  const d: ContainerDevice = { hostName: ifname(o, 'hostName', path), containerName: str(o, 'containerName', path, 64), original: parseOriginal(o.original, `${path}.original`) };
  const idx = optInt(o, 'containerIndex', path);
  if (idx !== undefined) d.containerIndex = idx;
  if (o.movedByRuntime !== undefined) d.movedByRuntime = bool(o, 'movedByRuntime', path);
  const mac = optStr(o, 'hardwareAddr', path);
  if (mac !== undefined) d.hardwareAddr = mac;
  if (o.identity !== undefined) d.identity = parseIdentity(o.identity, `${path}.identity`);
  if (o.dhcpLease !== undefined) d.dhcpLease = parseLease(o.dhcpLease, `${path}.dhcpLease`);
  if (o.child !== undefined) {
    if (o.child !== 'ipvlan') fail(`${path}.child`, 'must be "ipvlan"');
    d.child = 'ipvlan';
  }
  return d;
}

function parseRecordFields(o: Obj, path: string): ContainerRecord {
  if (o.version !== 1) fail(`${path}.version`, 'must be 1');
  const id = str(o, 'id', path, 128);
  if (!isContainerId(id)) fail(`${path}.id`, 'must be a container id');
  if (o.teardown !== 'restore' && o.teardown !== 'kernel') fail(`${path}.teardown`, 'must be "restore" or "kernel"');
  const r: ContainerRecord = { version: 1, id, teardown: o.teardown, devices: list(o.devices, `${path}.devices`, parseDevice, 4096) };
  const pin = optStr(o, 'netnsPin', path);
  if (pin !== undefined) {
    if (!pin.startsWith('/') || pin.split('/').includes('..')) fail(`${path}.netnsPin`, 'must be an absolute path');
    r.netnsPin = pin;
  }
  return r;
}

/** Parses devices.json text; throws StateParseError on anything unexpected. */
export function parseContainerRecord(text: string, what = 'devices.json'): ContainerRecord {
  return parseRecordFields(obj(parseJson(text, what), what), what);
}

export function parseJournal(text: string, what = 'journal.json'): Journal {
  const o = obj(parseJson(text, what), what);
  const j: Journal = { ...parseRecordFields(o, what), hookPid: int(o, 'hookPid', what, 1, 0x7fffffff), hookStart: str(o, 'hookStart', what, 32) };
  if (o.containerPid !== undefined) {
    j.containerPid = int(o, 'containerPid', what, 1, 0x7fffffff);
    j.containerStart = str(o, 'containerStart', what, 32);
  }
  return j;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new StateParseError(`${what}: not JSON (${(e as Error).message})`);
  }
}

export function serialise(r: ContainerRecord): string {
  return `${JSON.stringify(r)}\n`;
}
