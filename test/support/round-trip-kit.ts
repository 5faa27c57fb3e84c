/**
 * A host device configured the way real hosts configure them (issue 10), and
 * the full host snapshot that must be the same after it came home: used by the
 * round-trip integration tests (in a throwaway netns playing the host) and by
 * the runc/crun e2e test (on the host itself).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

type Json = Record<string, unknown>;

/** Runs argv in `netns` (undefined: here) and returns stdout. */
export function inNs(netns: string | undefined, ...argv: string[]): string {
  const cmd = netns === undefined ? argv : ['ip', 'netns', 'exec', netns, ...argv];
  return execFileSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const json = <T = Json[]>(netns: string | undefined, ...args: string[]): T => JSON.parse(inNs(netns, 'ip', '-j', ...args) || '[]') as T;

export interface RichDevice {
  dev: string;
  peer: string;
  altname: string;
  table: number;
  /** The addresses that travel into the container (permanent, global), as `local` strings. */
  carried: string[];
}

/**
 * Gives `dev` (one end of a veth whose `peer` stays up beside it): IPv4 with brd and label, a
 * peer address, noprefixroute, an address metric, one with valid_lft 3600 preferred_lft 1800,
 * IPv6 global (with and without nodad) and link-local, routes with metric/proto, onlink, in
 * `table`, with src (IPv4 and IPv6), a txqueuelen, an alias, an altname, a group, allmulticast,
 * IPv4 and IPv6 per-device settings and an ethtool feature changed.
 */
export function configureRichDevice(netns: string | undefined, dev: string, peer: string, o: { net: number; table: number; altname: string }): RichDevice {
  const n = o.net;
  const ip = (...a: string[]): string => inNs(netns, 'ip', ...a);
  ip('link', 'set', dev, 'txqueuelen', '700', 'alias', 'uplink web', 'group', '5', 'allmulticast', 'on');
  ip('link', 'property', 'add', 'dev', dev, 'altname', o.altname);
  inNs(netns, 'sysctl', '-q', '-w', `net.ipv4.conf.${dev}.arp_ignore=1`, `net.ipv6.conf.${dev}.hop_limit=33`, `net.ipv6.conf.${dev}.accept_ra=0`);
  inNs(netns, 'ethtool', '-K', dev, 'tso', 'off');
  ip('addr', 'add', `10.${n}.1.1/24`, 'brd', `10.${n}.1.254`, 'label', `${dev}:web`, 'dev', dev);
  ip('addr', 'add', `10.${n}.2.1`, 'peer', `10.${n}.2.2/32`, 'dev', dev);
  ip('addr', 'add', `10.${n}.3.1/24`, 'noprefixroute', 'dev', dev);
  ip('addr', 'add', `10.${n}.4.1/24`, 'metric', '77', 'dev', dev);
  ip('addr', 'add', `10.${n}.5.1/24`, 'valid_lft', '3600', 'preferred_lft', '1800', 'dev', dev);
  ip('addr', 'add', `2001:db8:${n}:1::1/64`, 'dev', dev);
  ip('addr', 'add', `2001:db8:${n}:2::1/64`, 'nodad', 'dev', dev);
  ip('link', 'set', peer, 'up');
  ip('link', 'set', dev, 'up');
  waitNoTentative(netns, dev);
  ip('route', 'add', `10.${n}.10.0/24`, 'via', `10.${n}.1.2`, 'dev', dev, 'metric', '100', 'proto', 'static');
  ip('route', 'add', `10.${n}.11.0/24`, 'via', '192.0.2.1', 'dev', dev, 'onlink');
  ip('route', 'add', `10.${n}.12.0/24`, 'via', `10.${n}.1.3`, 'dev', dev, 'table', String(o.table));
  ip('route', 'add', `10.${n}.13.0/24`, 'dev', dev, 'src', `10.${n}.1.1`);
  ip('-6', 'route', 'add', `2001:db8:${n}:10::/64`, 'via', `2001:db8:${n}:1::2`, 'dev', dev, 'metric', '200', 'proto', 'static');
  ip('-6', 'route', 'add', `2001:db8:${n}:11::/64`, 'dev', dev, 'src', `2001:db8:${n}:1::1`);
  return {
    dev, peer, altname: o.altname, table: o.table,
    carried: [`10.${n}.1.1`, `10.${n}.2.1`, `10.${n}.3.1`, `10.${n}.4.1`, `2001:db8:${n}:1::1`, `2001:db8:${n}:2::1`],
  };
}

/** Waits until no address of `dev` is tentative (DAD done), at most 10 s. */
export function waitNoTentative(netns: string | undefined, dev: string): void {
  const until = Date.now() + 10_000;
  while (Date.now() < until) {
    const out = inNs(netns, 'ip', '-6', 'addr', 'show', 'dev', dev);
    if (!out.includes('tentative')) return;
    execFileSync('sleep', ['0.05']);
  }
  throw new Error(`${dev}: addresses still tentative after 10 s`);
}

function sysctls(netns: string | undefined, dev: string): Record<string, string> {
  // Read from inside the netns: /proc/sys/net is the reader's netns.
  const out: Record<string, string> = {};
  for (const fam of ['ipv4', 'ipv6']) {
    const text = inNs(netns, 'sh', '-c', `cd /proc/sys/net/${fam}/conf/${dev} && for f in *; do [ "$f" = stable_secret ] || printf '%s=%s\\n' "$f" "$(cat $f)"; done`);
    for (const line of text.trim().split('\n')) {
      const i = line.indexOf('=');
      out[`${fam}.${line.slice(0, i)}`] = line.slice(i + 1);
    }
  }
  return out;
}

const FOREVER = 4294967295;

/**
 * Everything about the host side that must come back: `ip -j -d link`, `ip -j -d addr`,
 * `ip -j -d route show table all` (both families), `ethtool -k`, the device's sysctls.
 * Only finite lifetimes are normalised (they count down); `lifetimes` returns them.
 * Run after DAD settled (waitNoTentative).
 */
export function fullSnapshot(netns: string | undefined, devs: readonly string[]): { snap: unknown; lifetimes: Record<string, [number, number]> } {
  for (const d of devs) waitNoTentative(netns, d);
  const lifetimes: Record<string, [number, number]> = {};
  const scope = (x: Json): boolean => devs.includes(String(x.ifname)) || devs.includes(String(x.dev));
  const addrs = json(netns, '-d', 'addr').filter(scope).map((l) => ({
    ...l,
    addr_info: (l.addr_info as Json[]).map((a) => {
      const v = a.valid_life_time as number;
      const p = a.preferred_life_time as number;
      if (v === FOREVER && p === FOREVER) return a;
      lifetimes[String(a.local)] = [v, p];
      return { ...a, valid_life_time: 'finite', preferred_life_time: 'finite' };
    }),
  }));
  const snap = {
    links: json(netns, '-d', 'link').filter(scope),
    addrs,
    routes4: json(netns, '-d', 'route', 'show', 'table', 'all').filter(scope),
    routes6: json(netns, '-6', '-d', 'route', 'show', 'table', 'all').filter(scope),
    ethtool: devs.map((d) => inNs(netns, 'ethtool', '-k', d)),
    sysctls: devs.map((d) => sysctls(netns, d)),
  };
  return { snap, lifetimes };
}

/** The container's view of a device's addresses, DAD settled. */
export function containerAddrs(netnsPath: string, dev: string): Json[] {
  const run = (): Json[] => (JSON.parse(execFileSync('nsenter', [`--net=${netnsPath}`, 'ip', '-j', '-d', 'addr', 'show', 'dev', dev], { encoding: 'utf8' })) as Json[])[0]!.addr_info as Json[];
  const until = Date.now() + 10_000;
  let a = run();
  while (a.some((x) => x.tentative === true) && Date.now() < until) {
    execFileSync('sleep', ['0.05']);
    a = run();
  }
  return a;
}

/** A host address entry as it must look in the container: the label follows the rename. */
export function expectedInside(hostEntry: Json, from: string, to: string): Json {
  const label = hostEntry.label;
  const e: Json = { ...hostEntry };
  if (typeof label === 'string') e.label = label === from ? to : label.startsWith(`${from}:`) ? `${to}${label.slice(from.length)}` : label;
  return e;
}

/** Names in the state directory's claims (empty: every claim released). */
export function claims(stateDir: string): string[] {
  try {
    return readdirSync(`${stateDir}/claims`);
  } catch {
    return [];
  }
}

export function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}
