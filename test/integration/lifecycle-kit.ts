/**
 * Shared by the undo-* and lifecycle-* tests: a host snapshot to compare
 * before/after, what the hook left in its state directory, and hook runs in
 * the background (for signals, SIGKILL and races).
 */
import { TEST_HOOK_BIN, frontDoorEnv } from '../support/front-door.js';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOOK_BIN, type Sandbox, baseConfig, ipJson, sh } from './hook-kit.js';

type Json = Record<string, unknown>;

/**
 * Everything about host devices that must come back: `ip -j -d link`,
 * `ip -j addr`, IPv4 and IPv6 routes through them, `ethtool -k`.
 * Normalised away, and why:
 *  - IPv6 link-local (scope link) addresses: the kernel deletes and regenerates
 *    them when a link goes down/up or changes netns; the value is the same
 *    (derived from the MAC, which is restored) but it passes DAD again, so
 *    its flags/lifetimes differ for a moment.
 *  - address lifetimes of non-permanent addresses (none here; zeroed for safety).
 * Nothing else is normalised: name, ifindex, MTU, MAC, flags, operstate,
 * GSO/GRO sizes, master, addresses, routes and features must be identical.
 */
export function snapshot(devs: readonly string[], netns?: string): unknown {
  const pre = netns === undefined ? [] : ['ip', 'netns', 'exec', netns];
  const run = (...a: string[]): string => sh(...((pre.length > 0 ? [...pre, ...a] : a) as [string, ...string[]]));
  return devs.map((d) => ({
    link: ipJson<Json[]>(netns, '-d', 'link', 'show', 'dev', d),
    addrs: ipJson<Json[]>(netns, 'addr', 'show', 'dev', d).map((l) => ({
      ...l,
      addr_info: (l.addr_info as Json[] | undefined)?.filter((a) => a.scope !== 'link').map((a) => ({ ...a, valid_life_time: 0, preferred_life_time: 0 })),
    })),
    routes4: ipJson<Json[]>(netns, '-4', 'route', 'show', 'dev', d),
    routes6: ipJson<Json[]>(netns, '-6', 'route', 'show', 'dev', d).filter((r) => !String(r.dst).startsWith('fe80::')),
    features: run('ethtool', '-k', d),
  }));
}

/** Files the hook keeps: container directories, claims; plus its pins still mounted. */
export function stateLeft(dir: string): string[] {
  const files = ['containers', 'claims'].flatMap((k) => (existsSync(join(dir, k)) ? readdirSync(join(dir, k)).map((f) => `${k}/${f}`) : []));
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(` ${dir}/`)).map((l) => `mount ${l.split(' ')[4]}`);
  return [...files, ...mounts];
}

/** Three veths with host addresses and static routes, asked for with addresses, MTU, MAC, GSO, routes and ethtool. */
export function threeDevices(box: Sandbox, base = 10): { devs: string[]; config: Record<string, unknown> } {
  const devs = [box.veth()[0], box.veth()[0], box.veth()[0]];
  devs.forEach((d, i) => {
    sh('ip', 'addr', 'add', `10.${base}.${i}.1/24`, 'dev', d);
    sh('ip', 'addr', 'add', `fd00:${base}:${i}::1/64`, 'dev', d, 'nodad');
    sh('ip', 'link', 'set', d, 'up');
    sh('ip', 'route', 'add', `10.${base + 1}.${i}.0/24`, 'via', `10.${base}.${i}.254`, 'dev', d);
  });
  const netDevices = devs.map((d, i) => ({
    name: d,
    properties: { name: `eth${i + 1}`, address: `10.${base + 2}.${i}.2`, mask: '24', mtu: 1400 + i },
    networkConfig: {
      interface: { hardwareAddr: `02:00:00:00:${base.toString(16).padStart(2, '0')}:0${i + 1}`, addresses: [`2001:db8:${i}::2/64`], gsoMaxSize: 32768 },
      routes: [{ destination: `10.${base + 3}.${i}.0/24`, gateway: `10.${base + 2}.${i}.1` }],
      ethtool: { features: { tso: false, gro: i % 2 === 0 } },
    },
  }));
  return { devs, config: baseConfig({ netDevices }) };
}

export interface Running {
  pid: number;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  kill(sig: NodeJS.Signals): void;
}

/** Starts `hook <stage>` in the background with `state` on stdin. */
export function startHook(stateDir: string, stage: string, state: Record<string, unknown>, args: string[] = [], env: Record<string, string> = {}): Running {
  const c = spawn(TEST_HOOK_BIN, ['--log-file', 'off', '--state-dir', stateDir, ...args, 'hook', stage], { stdio: ['pipe', 'ignore', 'pipe'], env: { ...process.env, ...frontDoorEnv(), ...env } });
  let stderr = '';
  c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  c.stdin.end(JSON.stringify(state));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => c.on('exit', (code, signal) => resolve({ code, signal, stderr })));
  return { pid: c.pid!, done, kill: (sig) => c.kill(sig) };
}

/** Resolves once `path` exists (polling), or rejects after `ms`. */
export async function waitForFile(path: string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!existsSync(path)) {
    if (Date.now() > until) throw new Error(`${path} did not appear within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

export function manyDevices(box: Sandbox, n: number): { devs: string[]; config: Record<string, unknown> } {
  const devs = Array.from({ length: n }, () => box.veth()[0]);
  devs.forEach((d, i) => {
    sh('ip', 'addr', 'add', `10.251.${i}.1/24`, 'dev', d);
    sh('ip', 'link', 'set', d, 'up');
  });
  const config = baseConfig({ netDevices: devs.map((d, i) => ({ name: d, properties: { name: `e${i}`, address: `10.250.${i}.2`, mask: '24', mtu: 1300 } })) });
  return { devs, config };
}

/** Runs the CLI (not a hook) with this state directory. */
export function cli(stateDir: string, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(HOOK_BIN, ['--log-file', 'off', '--state-dir', stateDir, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The container's last process exits: its netns dies unless something pins it. */
export function stopContainer(ctr: { pid: number; netns: string }): void {
  sh('ip', 'netns', 'del', ctr.netns);
  try {
    process.kill(ctr.pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}
