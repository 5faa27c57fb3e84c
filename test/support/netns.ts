/**
 * Network namespace, veth and ifb helpers for integration and e2e tests.
 *
 * Every resource made here is registered in a Cleanup registry (the one passed
 * in `opts.cleanup`, else a process-wide fallback that runs at process exit),
 * so nothing stays behind even when a test fails half way. Cleanup steps are
 * synchronous (they must also run from a process 'exit' handler) and never
 * throw; they only ever delete names this module generated.
 *
 * Typical use with node:test:
 *
 *   test('x', async (t) => {
 *     const c = cleanupAfter(t);            // runs in t.after, even on failure
 *     const ns = createNetns({ cleanup: c });
 *     const v = createVethPair({ cleanup: c });
 *     ...
 *   });
 */
import { type ChildProcess, type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readlinkSync, statSync } from 'node:fs';

// ---------------------------------------------------------------- processes

export interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
}

/** Runs argv synchronously and returns everything; never throws for a non-zero exit. */
export function execResult(argv: readonly string[], opts: ExecOptions = {}): ExecResult {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new Error('execResult: empty argv');
  const r: SpawnSyncReturns<string> = spawnSync(cmd, args, {
    encoding: 'utf8',
    input: opts.input ?? '',
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    timeout: opts.timeoutMs ?? 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error !== undefined && r.status === null && r.signal === null) {
    return { code: null, signal: null, stdout: '', stderr: String(r.error.message) };
  }
  return { code: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/** Runs argv synchronously and returns stdout; throws (with stderr) on failure. */
export function exec(argv: readonly string[], opts: ExecOptions = {}): string {
  const r = execResult(argv, opts);
  if (r.code !== 0) {
    throw new Error(`${argv.join(' ')}: exit ${r.code ?? r.signal}: ${r.stderr.trim()}`);
  }
  return r.stdout;
}

/** Same as execResult but asynchronous (does not block the event loop while waiting). */
export function execAsync(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  const [cmd, ...args] = argv;
  if (cmd === undefined) return Promise.reject(new Error('execAsync: empty argv'));
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n[test harness: killed after ${opts.timeoutMs ?? 60_000} ms]`;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, stdout, stderr: stderr + String(e.message) });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

/** True when `tool` is on PATH. */
export function hasTool(tool: string): boolean {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', tool], { stdio: 'ignore' }).status === 0;
}

export const isRoot = (): boolean => process.getuid?.() === 0;

export function sleepMs(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// ---------------------------------------------------------------- cleanup

type Step = { label: string; fn: () => void; done: boolean };

/**
 * LIFO registry of cleanup steps. run() executes every step even when some
 * fail and returns the failures (as text) instead of throwing, unless asked.
 */
export class Cleanup {
  private readonly steps: Step[] = [];

  /** Registers a step; returns a function that runs just this step now (once). */
  add(label: string, fn: () => void): () => void {
    const step: Step = { label, fn, done: false };
    this.steps.push(step);
    pending.add(step);
    return () => runStep(step);
  }

  get size(): number {
    return this.steps.filter((s) => !s.done).length;
  }

  /** Runs all outstanding steps, newest first. Returns the errors (empty when all went well). */
  run(): string[] {
    const errors: string[] = [];
    while (this.steps.length > 0) {
      const step = this.steps.pop()!;
      const err = runStep(step);
      if (err !== undefined) errors.push(err);
    }
    return errors;
  }
}

const pending = new Set<Step>();

function runStep(step: Step): string | undefined {
  if (step.done) return undefined;
  step.done = true;
  pending.delete(step);
  try {
    step.fn();
    return undefined;
  } catch (e) {
    return `${step.label}: ${e instanceof Error ? e.message : String(e)}`;
  }
}

/** Fallback registry for helpers called without `cleanup`: runs at process exit. */
export const processCleanup = new Cleanup();

let exitHooked = false;
function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  // Whatever is still registered anywhere (a test that threw before its t.after ran,
  // a forgotten registry) is removed when the test file's process ends.
  process.on('exit', () => {
    for (const step of [...pending].reverse()) runStep(step);
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      for (const step of [...pending].reverse()) runStep(step);
      process.kill(process.pid, sig);
    });
  }
}
hookExit();

/** A registry that runs in `t.after` (node:test TestContext, or anything with `after`). */
export function cleanupAfter(t: { after(fn: () => void | Promise<void>): void }): Cleanup {
  const c = new Cleanup();
  t.after(() => {
    const errors = c.run();
    if (errors.length > 0) process.stderr.write(`test cleanup problems:\n  ${errors.join('\n  ')}\n`);
  });
  return c;
}

/** Runs fn with a fresh registry and always runs the registry afterwards. */
export async function withCleanup<T>(fn: (c: Cleanup) => T | Promise<T>): Promise<T> {
  const c = new Cleanup();
  try {
    return await fn(c);
  } finally {
    const errors = c.run();
    if (errors.length > 0) process.stderr.write(`test cleanup problems:\n  ${errors.join('\n  ')}\n`);
  }
}

// ---------------------------------------------------------------- names

let nameCounter = 0;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A unique interface/netns name: `prefix` + random lowercase alphanumerics,
 * at most 15 bytes (IFNAMSIZ - 1). The prefix may be at most 11 bytes.
 */
export function randomName(prefix: string, maxLen = 15): string {
  if (Buffer.byteLength(prefix) > maxLen - 4) throw new Error(`randomName: prefix "${prefix}" too long`);
  if (!/^[A-Za-z0-9_.-]*$/.test(prefix)) throw new Error(`randomName: bad prefix "${prefix}"`);
  nameCounter = (nameCounter + 1) % ALPHABET.length;
  const n = maxLen - Buffer.byteLength(prefix);
  const bytes = randomBytes(n);
  let s = ALPHABET[nameCounter]!;
  for (let i = 1; i < n; i++) s += ALPHABET[bytes[i]! % ALPHABET.length]!;
  return prefix + s;
}

// ---------------------------------------------------------------- ip -j

/** `netns` argument accepted everywhere: a netns name (under /run/netns) or a Netns. */
export type NetnsRef = string | { name: string } | undefined;

const nsName = (ns: NetnsRef): string | undefined => (typeof ns === 'string' ? ns : ns?.name);
const nsArgs = (ns: NetnsRef): string[] => {
  const n = nsName(ns);
  return n === undefined ? [] : ['-n', n];
};

/** Runs `ip [-n ns] -j <args>` and parses the JSON (empty output is []). */
export function ipJson<T = unknown[]>(args: readonly string[], opts: { netns?: NetnsRef; details?: boolean } = {}): T {
  const out = exec(['ip', ...nsArgs(opts.netns), '-j', ...(opts.details === true ? ['-d'] : []), ...args]).trim();
  return JSON.parse(out === '' ? '[]' : out) as T;
}

/** Runs `ip [-n ns] <args>` (no JSON), throwing on failure. */
export function ip(args: readonly string[], opts: { netns?: NetnsRef } = {}): string {
  return exec(['ip', ...nsArgs(opts.netns), ...args]);
}

export interface AddrInfo {
  family: 'inet' | 'inet6' | string;
  local: string;
  prefixlen: number;
  scope?: string;
  broadcast?: string;
  label?: string;
  [k: string]: unknown;
}

export interface LinkInfo {
  ifindex: number;
  ifname: string;
  flags: string[];
  mtu: number;
  operstate?: string;
  link_type?: string;
  address?: string;
  link?: string;
  link_index?: number;
  link_netnsid?: number;
  linkinfo?: { info_kind?: string; info_data?: Record<string, unknown>; [k: string]: unknown };
  gso_max_size?: number;
  gso_max_segs?: number;
  gro_max_size?: number;
  num_tx_queues?: number;
  num_rx_queues?: number;
  addr_info?: AddrInfo[];
  [k: string]: unknown;
}

export interface RouteInfo {
  dst: string;
  dev?: string;
  gateway?: string;
  protocol?: string;
  scope?: string;
  prefsrc?: string;
  metric?: number;
  flags?: string[];
  [k: string]: unknown;
}

/** Every link in the netns (host when undefined), with details (`ip -j -d link show`). */
export function links(netns?: NetnsRef): LinkInfo[] {
  return ipJson<LinkInfo[]>(['link', 'show'], { netns, details: true });
}

/** One link by name from `ip -j -d link show`, or undefined if there is none. */
export function linkInfo(name: string, netns?: NetnsRef): LinkInfo | undefined {
  return links(netns).find((l) => l.ifname === name);
}

/** The addresses of one link (`ip -j addr show dev`); [] if the link does not exist. */
export function addrs(name: string, netns?: NetnsRef): AddrInfo[] {
  const r = execResult(['ip', ...nsArgs(netns), '-j', 'addr', 'show', 'dev', name]);
  if (r.code !== 0) return [];
  const parsed = JSON.parse(r.stdout.trim() || '[]') as LinkInfo[];
  return parsed[0]?.addr_info ?? [];
}

/** Addresses as "a.b.c.d/len" strings, for easy assertions; `family` 4 or 6 filters. */
export function addrStrings(name: string, netns?: NetnsRef, family?: 4 | 6): string[] {
  const want = family === undefined ? undefined : family === 4 ? 'inet' : 'inet6';
  return addrs(name, netns)
    .filter((a) => want === undefined || a.family === want)
    .map((a) => `${a.local}/${a.prefixlen}`);
}

/** Routes of the main table, optionally of one device and one family. */
export function routes(netns?: NetnsRef, dev?: string, family: 4 | 6 = 4): RouteInfo[] {
  return ipJson<RouteInfo[]>([`-${family}`, 'route', 'show', ...(dev === undefined ? [] : ['dev', dev])], { netns });
}

/** Whether a link exists (host when netns is undefined). */
export function linkExists(name: string, netns?: NetnsRef): boolean {
  return execResult(['ip', ...nsArgs(netns), 'link', 'show', 'dev', name]).code === 0;
}

// ---------------------------------------------------------------- polling

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

/** Polls until pred() is true; throws `timed out waiting for <what>` otherwise. */
export async function waitFor(what: string, pred: () => boolean, opts: WaitOptions = {}): Promise<void> {
  const end = Date.now() + (opts.timeoutMs ?? 10_000);
  for (;;) {
    if (pred()) return;
    if (Date.now() > end) throw new Error(`timed out after ${opts.timeoutMs ?? 10_000} ms waiting for ${what}`);
    await sleepMs(opts.intervalMs ?? 25);
  }
}

/** Veth deletion (e.g. when a container netns dies) is asynchronous: poll until the link is gone. */
export function waitForLinkGone(name: string, opts: WaitOptions & { netns?: NetnsRef } = {}): Promise<void> {
  return waitFor(`link ${name} to disappear`, () => !linkExists(name, opts.netns), opts);
}

/** Polls until the link exists. */
export function waitForLink(name: string, opts: WaitOptions & { netns?: NetnsRef } = {}): Promise<void> {
  return waitFor(`link ${name} to appear`, () => linkExists(name, opts.netns), opts);
}

// ---------------------------------------------------------------- netns

export interface Netns {
  name: string;
  /** /run/netns/<name> */
  path: string;
  /** Runs argv inside the namespace (`ip netns exec`); returns stdout, throws on failure. */
  exec(argv: readonly string[], opts?: ExecOptions): string;
  /** Same, but returns code/stdout/stderr and never throws. */
  run(argv: readonly string[], opts?: ExecOptions): ExecResult;
  /** Starts a long-running process in the namespace (killed at cleanup). */
  spawn(argv: readonly string[]): ChildProcess;
  /** Removes the namespace (kills what spawn() started, deletes links made in it, `ip netns del`). */
  cleanup(): void;
}

/** Inode of a namespace file (to compare /proc/<pid>/ns/net with /run/netns/<name>). */
export function nsInode(path: string): number {
  return statSync(path).ino;
}

/**
 * `ip netns add <random name>`; lo is brought up unless `loUp: false`.
 * Cleanup kills processes spawned through it, then `ip netns del`.
 */
export function createNetns(opts: { cleanup?: Cleanup; prefix?: string; loUp?: boolean } = {}): Netns {
  const name = randomName(opts.prefix ?? 'tns');
  exec(['ip', 'netns', 'add', name]);
  const children: ChildProcess[] = [];
  const reg = opts.cleanup ?? processCleanup;
  const cleanup = reg.add(`netns ${name}`, () => {
    for (const c of children) {
      if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) {
        try {
          process.kill(c.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    if (existsSync(`/run/netns/${name}`)) {
      const r = execResult(['ip', 'netns', 'del', name]);
      if (r.code !== 0 && existsSync(`/run/netns/${name}`)) throw new Error(r.stderr.trim());
    }
  });
  if (opts.loUp !== false) exec(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
  return {
    name,
    path: `/run/netns/${name}`,
    exec: (argv, o) => exec(['ip', 'netns', 'exec', name, ...argv], o),
    run: (argv, o) => execResult(['ip', 'netns', 'exec', name, ...argv], o),
    spawn: (argv) => {
      const c = spawn('ip', ['netns', 'exec', name, ...argv], { stdio: 'ignore' });
      c.on('error', () => undefined);
      children.push(c);
      return c;
    },
    cleanup,
  };
}

export interface VethPair {
  /** The end meant to be moved (e.g. into a container). */
  name: string;
  /** The peer, which stays where it was made. */
  peer: string;
  /** Namespace both ends were created in (undefined: host). */
  netns: string | undefined;
  /** Deletes whichever end still exists in its original namespace. Never throws. */
  cleanup(): void;
}

/**
 * `ip link add <name> type veth peer name <peer>` with random names, on the host or
 * in `netns`. Cleanup deletes the pair if it still exists where it was created
 * (an end that moved elsewhere disappears with its peer).
 */
export function createVethPair(
  opts: { netns?: NetnsRef; cleanup?: Cleanup; prefix?: string; peerPrefix?: string; mtu?: number; up?: boolean } = {},
): VethPair {
  const ns = nsName(opts.netns);
  const name = randomName(opts.prefix ?? 'tva');
  const peer = randomName(opts.peerPrefix ?? 'tvb');
  const pre = nsArgs(ns);
  exec(['ip', ...pre, 'link', 'add', name, ...(opts.mtu === undefined ? [] : ['mtu', String(opts.mtu)]), 'type', 'veth', 'peer', 'name', peer]);
  const reg = opts.cleanup ?? processCleanup;
  const cleanup = reg.add(`veth ${name}/${peer}`, () => {
    for (const n of [name, peer]) {
      if (linkExists(n, ns)) execResult(['ip', ...pre, 'link', 'del', n]);
    }
  });
  if (opts.up === true) {
    exec(['ip', ...pre, 'link', 'set', name, 'up']);
    exec(['ip', ...pre, 'link', 'set', peer, 'up']);
  }
  return { name, peer, netns: ns, cleanup };
}

export interface Ifb {
  name: string;
  netns: string | undefined;
  cleanup(): void;
}

/** `ip link add <random> type ifb` on the host or in `netns`. Never touches ifb0/ifb1. */
export function createIfb(opts: { netns?: NetnsRef; cleanup?: Cleanup; prefix?: string } = {}): Ifb {
  const ns = nsName(opts.netns);
  const name = randomName(opts.prefix ?? 'tifb');
  const pre = nsArgs(ns);
  exec(['ip', ...pre, 'link', 'add', name, 'type', 'ifb']);
  const reg = opts.cleanup ?? processCleanup;
  const cleanup = reg.add(`ifb ${name}`, () => {
    if (linkExists(name, ns)) execResult(['ip', ...pre, 'link', 'del', name]);
  });
  return { name, netns: ns, cleanup };
}

// ---------------------------------------------------------------- leak checks

export interface HostSnapshot {
  links: string[];
  netns: string[];
  nsfsMounts: string[];
}

/** What exists on the host now: link names, `ip netns list` names, nsfs mount points. */
export function hostSnapshot(): HostSnapshot {
  const linkNames = links().map((l) => l.ifname).sort();
  const netnsNames = ipJson<Array<{ name: string }>>(['netns', 'list'])
    .map((n) => n.name)
    .sort();
  const mounts = exec(['cat', '/proc/self/mountinfo'])
    .split('\n')
    .filter((l) => / - nsfs /.test(l))
    .map((l) => l.split(' ')[4] ?? '')
    .sort();
  return { links: linkNames, netns: netnsNames, nsfsMounts: mounts };
}

/**
 * Things present in `after` that were not in `before` (empty arrays: nothing leaked).
 * Other tests may run on the same host at the same time: pass `mine` to keep only what
 * concerns this test (e.g. its device names, its state dir, its container id).
 */
export function snapshotDiff(before: HostSnapshot, after: HostSnapshot, mine?: (nameOrPath: string) => boolean): HostSnapshot {
  const keep = mine ?? ((): boolean => true);
  const extra = (a: string[], b: string[]): string[] => b.filter((x) => !a.includes(x) && keep(x));
  return { links: extra(before.links, after.links), netns: extra(before.netns, after.netns), nsfsMounts: extra(before.nsfsMounts, after.nsfsMounts) };
}

/** A `mine` filter for snapshotDiff: exact names, plus paths/names containing any of `parts`. */
export function concerning(names: readonly string[], parts: readonly string[] = []): (x: string) => boolean {
  return (x) => names.includes(x) || parts.some((p) => p !== '' && x.includes(p));
}

/** The netns a pid lives in, as the `net:[inode]` link text. */
export function netnsOfPid(pid: number): string {
  return readlinkSync(`/proc/${pid}/ns/net`);
}
