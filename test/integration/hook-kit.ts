/**
 * Runs the real hook binary against real network namespaces: a "container"
 * is a sleep process in a namespace made with `ip netns add`, its bundle a
 * temp dir holding config.json. Everything made here is removed by cleanup().
 */
import { type SpawnSyncReturns, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEST_HOOK_BIN, frontDoorEnv } from '../support/front-door.js';
import type { FaultRule } from '../support/faulty-transport.js';

/** The Node CLI (recover, status...). */
export const HOOK_BIN = resolve(fileURLToPath(import.meta.url), '../../../../bin/oci-netdevices');
/** The hook with a netlink fault layer (test/support/faulty-hook.ts): for faults the kernel cannot be made to give. */
export const FAULTY_HOOK = resolve(fileURLToPath(import.meta.url), '../../support/faulty-hook.js');

let counter = 0;
export function uniqueName(prefix: string): string {
  counter++;
  const s = `${prefix}${process.pid.toString(36)}${counter.toString(36)}${Math.random().toString(36).slice(2, 5)}`;
  return s.slice(0, 15);
}

export function sh(cmd: string, ...args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface JsonLink {
  ifname: string;
  ifindex: number;
  mtu: number;
  address?: string;
  flags: string[];
  operstate?: string;
  addr_info?: Array<{ family: string; local: string; prefixlen: number; scope: string }>;
}

export function ipJson<T = JsonLink[]>(netns: string | undefined, ...args: string[]): T {
  const pre = netns === undefined ? [] : ['-n', netns];
  return JSON.parse(sh('ip', ...pre, '-j', ...args) || '[]') as T;
}

export function linkIn(netns: string | undefined, name: string): JsonLink | undefined {
  return ipJson(netns, 'addr', 'show').find((l) => l.ifname === name);
}

export class Sandbox {
  private readonly cleanups: Array<() => void> = [];
  private state: string | undefined;

  /** The hook's state directory for this sandbox (pins, claims, journals), made on first use. */
  get stateDir(): string {
    this.state ??= mkdtempSync(join(tmpdir(), 'ond-state-'));
    return this.state;
  }

  defer(fn: () => void): void {
    this.cleanups.push(fn);
  }

  netns(): string {
    const name = uniqueName('ns');
    sh('ip', 'netns', 'add', name);
    this.defer(() => spawnSync('ip', ['netns', 'del', name]));
    return name;
  }

  /** A veth pair on the host (or in `netns`); returns [end to move, peer]. */
  veth(netns?: string): [string, string] {
    const a = uniqueName('va');
    const b = uniqueName('vb');
    const pre = netns === undefined ? [] : ['-n', netns];
    sh('ip', ...pre, 'link', 'add', a, 'type', 'veth', 'peer', 'name', b);
    this.defer(() => {
      spawnSync('ip', [...pre, 'link', 'del', a]);
      spawnSync('ip', [...pre, 'link', 'del', b]);
    });
    return [a, b];
  }

  /** A process whose netns is a fresh namespace: the container. Returns its pid and netns name. */
  container(): { pid: number; netns: string } {
    const netns = this.netns();
    const child = spawn('ip', ['netns', 'exec', netns, 'sleep', '600'], { stdio: 'ignore', detached: true });
    this.defer(() => child.kill('SIGKILL'));
    // Wait until the sleep really runs inside the namespace (ip netns exec execs into it).
    const pid = child.pid!;
    for (let i = 0; i < 200; i++) {
      try {
        if (sh('readlink', `/proc/${pid}/exe`).includes('sleep')) break;
      } catch {
        /* not yet */
      }
      spawnSync('sleep', ['0.01']);
    }
    return { pid, netns };
  }

  /** Runs a hook stage with this sandbox's state directory. */
  hook(stage: string, state: Record<string, unknown>, opts: Parameters<typeof runHook>[2] = {}): HookRun {
    return runHook(stage, state, { stateDir: this.stateDir, ...opts });
  }

  bundle(config: unknown): string {
    const dir = mkdtempSync(join(tmpdir(), 'ond-bundle-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    this.defer(() => rmSync(dir, { recursive: true, force: true }));
    return dir;
  }

  cleanup(): void {
    // Devices still held by pinned container namespaces come home first, then everything goes.
    const state = this.state;
    if (state !== undefined) {
      spawnSync(HOOK_BIN, ['--state-dir', state, 'recover', '--all'], { stdio: 'ignore' });
      this.cleanups.unshift(() => rmSync(state, { recursive: true, force: true }));
      this.state = undefined;
    }
    while (this.cleanups.length > 0) {
      try {
        this.cleanups.pop()!();
      } catch {
        /* keep cleaning */
      }
    }
  }
}

export interface HookRun {
  status: number | null;
  stdout: string;
  stderr: string;
  /** With `faults`: the faults that fired, one line each (none: there was nothing left to fault). */
  fired: string[];
}

export function runHook(
  stage: string,
  state: Record<string, unknown>,
  opts: { env?: Record<string, string>; inNetns?: string; args?: string[]; stateDir?: string; faults?: readonly FaultRule[] } = {},
): HookRun {
  const stateArgs = opts.stateDir !== undefined ? ['--state-dir', opts.stateDir] : [];
  const bin = opts.faults === undefined ? [TEST_HOOK_BIN] : [process.execPath, FAULTY_HOOK];
  const argv = [...bin, '--log-file', 'off', ...stateArgs, ...(opts.args ?? []), 'hook', stage];
  const faultLog = opts.faults === undefined ? undefined : join(mkdtempSync(join(tmpdir(), 'ond-faults-')), 'fired');
  const faultEnv: Record<string, string> = opts.faults === undefined ? {} : { OND_TEST_FAULTS: JSON.stringify(opts.faults), OND_TEST_FAULT_LOG: faultLog! };
  const cmd = opts.inNetns === undefined ? argv : ['ip', 'netns', 'exec', opts.inNetns, ...argv];
  const r: SpawnSyncReturns<string> = spawnSync(cmd[0]!, cmd.slice(1), {
    input: JSON.stringify(state),
    encoding: 'utf8',
    env: { ...process.env, ...(opts.faults === undefined ? frontDoorEnv() : {}), ...faultEnv, ...opts.env },
  });
  let fired: string[] = [];
  if (faultLog !== undefined) {
    fired = existsSync(faultLog) ? readFileSync(faultLog, 'utf8').split('\n').filter((l) => l !== '') : [];
    rmSync(dirname(faultLog), { recursive: true, force: true });
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, fired };
}

export function runcState(id: string, pid: number, bundle: string): Record<string, unknown> {
  return { ociVersion: '1.0.2', id, status: 'creating', pid, bundle };
}

export function crunState(id: string, pid: number, bundle: string): Record<string, unknown> {
  // What crun 1.8 really writes: ociVersion "1.0" (not strict semver) and root as given in config.json.
  return { ociVersion: '1.0', id, status: 'created', pid, bundle, root: 'rootfs' };
}

export function baseConfig(linux: Record<string, unknown>): Record<string, unknown> {
  return { ociVersion: '1.0.2', linux: { namespaces: [{ type: 'network' }], ...linux } };
}
