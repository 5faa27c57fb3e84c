/**
 * The parts of a device's host state that rtnetlink does not carry: its whole
 * ethtool feature set and private flags, and its net.ipv6.conf.<dev>.* files
 * (the kernel reports IPv6 settings in IFLA_AF_SPEC but takes only the token
 * and addrgenmode back that way, so they are written as files; they are read
 * from the link dump where ipv6-devconf.ts pairs a file with its entry).
 */
import { closeSync, openSync, readSync, readdirSync, writeFileSync } from 'node:fs';
import { native } from '../native/binding.js';
import type { EthtoolSession } from '../ethtool/session.js';
import type { Link } from '../netlink/link.js';
import type { HostExtras } from './host-original.js';
import { devconfValue } from './ipv6-devconf.js';

/** net.ipv6.conf.<dev>.* of the caller's own netns. */
export interface Ipv6Conf {
  /** Every file of net.ipv6.conf.<dev> (`default`: what a device gets when it enters the netns). */
  read(dev: string): Record<string, string> | undefined;
  /**
   * The names of net.ipv6.conf.<dev>'s files; undefined when there is no such directory (IPv6 off).
   * Every device's directory holds the same files (the kernel registers one table for all).
   */
  list(dev: string): string[] | undefined;
  readOne(dev: string, key: string): string | undefined;
  write(dev: string, key: string, value: string): void;
}

const DIR = '/proc/sys/net/ipv6/conf';

/**
 * Files that are not settings of the device: `stable_secret` reads EIO until set and is a
 * secret; `mc_forwarding` is the multicast router's, read only.
 */
const SKIP = new Set(['stable_secret', 'mc_forwarding']);

const buf = Buffer.alloc(4096);
let listed: string[] | undefined;

function readValue(path: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    return buf.subarray(0, readSync(fd, buf, 0, buf.length, 0)).toString('utf8').trim();
  } catch {
    return undefined; // unreadable: not restorable either
  } finally {
    closeSync(fd);
  }
}

export const procIpv6Conf: Ipv6Conf = {
  read(dev) {
    let files: Array<[string, string]>;
    try {
      files = native().readDirFiles(`${DIR}/${dev}`, buf.length);
    } catch {
      return undefined; // IPv6 disabled on this kernel, or no such device
    }
    const out: Record<string, string> = {};
    for (const [n, v] of files.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) if (!SKIP.has(n)) out[n] = v.trim();
    return out;
  },
  list(dev) {
    try {
      // One listing serves every device after it (0.2 ms a device saved in the resident engine).
      listed ??= readdirSync(`${DIR}/${dev}`);
      return [...listed];
    } catch {
      return undefined;
    }
  },
  readOne(dev, key) {
    return SKIP.has(key) ? undefined : readValue(`${DIR}/${dev}/${key}`);
  },
  write(dev, key, value) {
    writeFileSync(`${DIR}/${dev}/${key}`, `${value}\n`);
  },
};

/** Everything changeable about the device's ethtool state, as the wanted bits and flags. */
export function readEthtoolState(session: EthtoolSession, index: number): Pick<HostExtras, 'featuresAll' | 'privateFlagsAll'> {
  const f = session.features(index);
  const featuresAll: Record<string, boolean> = {};
  for (const [name, changeable] of f.hw) if (changeable && f.nochange.get(name) !== true) featuresAll[name] = f.wanted.get(name) === true;
  const out: Pick<HostExtras, 'featuresAll' | 'privateFlagsAll'> = { featuresAll };
  const flags = session.privateFlags(index);
  if (!(flags instanceof Error) && flags.size > 0) out.privateFlagsAll = Object.fromEntries(flags);
  return out;
}

/**
 * net.ipv6.conf.<dev>.* as the files read, in name order: each value from `devconf` (the link's
 * IFLA_INET6_CONF) where ipv6-devconf.ts pairs the file with an entry, the rest from its file.
 * Without `devconf` every file is read.
 */
export function readIpv6Conf(dev: string, devconf: Int32Array | undefined, io: Ipv6Conf = procIpv6Conf): Record<string, string> | undefined {
  if (devconf === undefined) return io.read(dev);
  const names = io.list(dev);
  if (names === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const n of names.sort()) {
    if (SKIP.has(n)) continue;
    const v = devconfValue(n, devconf) ?? io.readOne(dev, n);
    if (v !== undefined) out[n] = v;
  }
  return out;
}

/** The snapshot's extras for one host device; a part the kernel refuses to show is left out (and so not restored). */
export function readHostExtras(link: Pick<Link, 'name' | 'index' | 'ipv6Conf'>, ethtool: (() => EthtoolSession) | undefined, ipv6: Ipv6Conf = procIpv6Conf): HostExtras {
  const out: HostExtras = {};
  if (ethtool !== undefined) {
    try {
      Object.assign(out, readEthtoolState(ethtool(), link.index));
    } catch {
      /* no ethtool netlink for this device */
    }
  }
  const conf = readIpv6Conf(link.name, link.ipv6Conf, ipv6);
  if (conf !== undefined) out.ipv6Conf = conf;
  return out;
}
