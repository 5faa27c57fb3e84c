/**
 * Busybox-static OCI bundles in a temp dir: `runc spec` for the base config,
 * then edited here (process args, hooks pointing at this checkout's
 * bin/oci-netdevices, linux.netDevices, annotations).
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Cleanup, exec, processCleanup } from './netns.js';

function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'oci-netdevices') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('test/support: cannot find the oci-netdevices checkout');
    dir = up;
  }
}

/** Absolute path of the checkout (works from test/support and dist/test/support). */
export const REPO_ROOT = findRepoRoot();
/** Absolute path of this checkout's hook binary. */
export const HOOK_BIN = join(REPO_ROOT, 'bin', 'oci-netdevices');

export const BUSYBOX = '/bin/busybox';
/** Applets linked into every bundle (busybox has no ethtool). */
export const DEFAULT_APPLETS = ['sh', 'ip', 'ls', 'cat', 'sleep', 'echo', 'true', 'false', 'ping', 'grep', 'ifconfig', 'mount', 'hostname'];

export type HookStage = 'prestart' | 'createRuntime' | 'createContainer' | 'startContainer' | 'poststart' | 'poststop';

export interface OciHook {
  path: string;
  args?: string[];
  env?: string[];
  timeout?: number;
}

/** The array form of linux.netDevices. */
export interface NetDeviceArrayEntry {
  name: string;
  properties?: { name?: string; address?: string; mask?: string; mtu?: number; [k: string]: unknown };
  [k: string]: unknown;
}
/** The map form: host name -> { name: container name, ... }. */
export type NetDevicesMap = Record<string, { name?: string; [k: string]: unknown }>;
export type NetDevices = NetDeviceArrayEntry[] | NetDevicesMap;

export interface OciConfig {
  ociVersion: string;
  process: { terminal?: boolean; args?: string[]; env?: string[]; cwd?: string; [k: string]: unknown };
  root: { path: string; readonly?: boolean };
  hostname?: string;
  hooks?: Partial<Record<HookStage, OciHook[]>>;
  annotations?: Record<string, string>;
  linux: {
    namespaces?: Array<{ type: string; path?: string }>;
    netDevices?: NetDevices;
    [k: string]: unknown;
  };
  [k: string]: unknown;
}

export interface HookOptions {
  /** Stages to install (default: createRuntime and poststop). */
  stages?: Array<'createRuntime' | 'poststop'>;
  /** JSON-lines log file (default: <bundle>/hook.log); 'off' disables. */
  logFile?: string;
  /** --state-dir (default: the hook's own default /run/oci-netdevices). */
  stateDir?: string;
  /** Extra global options placed before `hook <stage>`, e.g. ['--teardown', 'kernel']. */
  extraArgs?: string[];
  /** Hook `env` (when set the runtime passes only this environment). */
  env?: string[];
  /** Hook `timeout` in seconds. */
  timeout?: number;
  /** Hook binary (default: this checkout's bin/oci-netdevices). */
  path?: string;
}

export interface Bundle {
  dir: string;
  rootfs: string;
  configPath: string;
  /** The hook log file set by useHook (undefined before). */
  logFile: string | undefined;
  /** Mutable config; call write() after changing it directly. */
  config: OciConfig;
  write(): void;
  setArgs(args: string[]): Bundle;
  /** Shorthand for setArgs(['/bin/sh', '-c', script]). */
  setScript(script: string): Bundle;
  setNetDevices(devices: NetDevices | undefined): Bundle;
  setAnnotations(annotations: Record<string, string>): Bundle;
  /** Installs this repo's hook (createRuntime + poststop by default) with a log file. */
  useHook(opts?: HookOptions): Bundle;
  /** Removes all hooks. */
  clearHooks(): Bundle;
  /** The raw log file text ('' when absent). */
  logText(): string;
  /** Parsed JSON lines of the log file (lines that are not JSON are skipped). */
  logLines(): Array<Record<string, unknown>>;
  cleanup(): void;
}

/** The argv our hook entry uses for one stage. */
export function hookArgs(stage: string, opts: Pick<HookOptions, 'logFile' | 'stateDir' | 'extraArgs'> = {}): string[] {
  const a = ['oci-netdevices'];
  if (opts.logFile !== undefined) a.push('--log-file', opts.logFile);
  if (opts.stateDir !== undefined) a.push('--state-dir', opts.stateDir);
  a.push(...(opts.extraArgs ?? []), 'hook', stage);
  return a;
}

/** A rootfs dir with busybox-static and applet symlinks (no config.json). */
export function makeRootfs(rootfs: string, applets: readonly string[] = DEFAULT_APPLETS): void {
  for (const d of ['bin', 'proc', 'sys', 'dev', 'tmp', 'etc', 'run']) mkdirSync(join(rootfs, d), { recursive: true });
  copyFileSync(BUSYBOX, join(rootfs, 'bin', 'busybox'));
  for (const a of applets) {
    if (a !== 'busybox' && !existsSync(join(rootfs, 'bin', a))) symlinkSync('busybox', join(rootfs, 'bin', a));
  }
  // podman bind-mounts these; make sure they exist.
  for (const f of ['etc/hosts', 'etc/resolv.conf', 'etc/hostname']) if (!existsSync(join(rootfs, f))) writeFileSync(join(rootfs, f), '');
  writeFileSync(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/:/bin/sh\n');
  writeFileSync(join(rootfs, 'etc', 'group'), 'root:x:0:\n');
}

/**
 * A bundle in a fresh temp dir: rootfs with busybox, config.json from `runc spec`
 * with terminal=false and the given process args (default: `ip -o addr show; ip -o link show`).
 * No hooks until useHook(). Removed at cleanup.
 */
export function createBundle(
  opts: { cleanup?: Cleanup; args?: string[]; script?: string; applets?: string[]; netDevices?: NetDevices; annotations?: Record<string, string>; hook?: HookOptions | boolean } = {},
): Bundle {
  const dir = mkdtempSync(join(tmpdir(), 'ond-bundle-'));
  const reg = opts.cleanup ?? processCleanup;
  const cleanup = reg.add(`bundle ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  const rootfs = join(dir, 'rootfs');
  makeRootfs(rootfs, opts.applets);
  exec(['runc', 'spec'], { cwd: dir });
  const configPath = join(dir, 'config.json');
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as OciConfig;
  config.process.terminal = false;
  config.process.args = opts.args ?? ['/bin/sh', '-c', opts.script ?? SHOW_NETWORK];

  const b: Bundle = {
    dir,
    rootfs,
    configPath,
    logFile: undefined,
    config,
    write() {
      writeFileSync(configPath, JSON.stringify(b.config, null, 2));
    },
    setArgs(args) {
      b.config.process.args = args;
      b.write();
      return b;
    },
    setScript(script) {
      return b.setArgs(['/bin/sh', '-c', script]);
    },
    setNetDevices(devices) {
      if (devices === undefined) delete b.config.linux.netDevices;
      else b.config.linux.netDevices = devices;
      b.write();
      return b;
    },
    setAnnotations(annotations) {
      b.config.annotations = { ...(b.config.annotations ?? {}), ...annotations };
      b.write();
      return b;
    },
    useHook(h = {}) {
      const logFile = h.logFile ?? join(dir, 'hook.log');
      b.logFile = logFile === 'off' ? undefined : logFile;
      const hooks: Partial<Record<HookStage, OciHook[]>> = { ...(b.config.hooks ?? {}) };
      for (const stage of h.stages ?? ['createRuntime', 'poststop']) {
        const entry: OciHook = { path: h.path ?? HOOK_BIN, args: hookArgs(stage, { logFile, stateDir: h.stateDir, extraArgs: h.extraArgs }) };
        if (h.env !== undefined) entry.env = h.env;
        if (h.timeout !== undefined) entry.timeout = h.timeout;
        hooks[stage] = [entry];
      }
      b.config.hooks = hooks;
      b.write();
      return b;
    },
    clearHooks() {
      delete b.config.hooks;
      b.write();
      return b;
    },
    logText() {
      return b.logFile !== undefined && existsSync(b.logFile) ? readFileSync(b.logFile, 'utf8') : '';
    },
    logLines() {
      const out: Array<Record<string, unknown>> = [];
      for (const line of b.logText().split('\n')) {
        if (line.trim() === '') continue;
        try {
          const v: unknown = JSON.parse(line);
          if (typeof v === 'object' && v !== null && !Array.isArray(v)) out.push(v as Record<string, unknown>);
        } catch {
          /* not JSON */
        }
      }
      return out;
    },
    cleanup,
  };
  if (opts.netDevices !== undefined) b.config.linux.netDevices = opts.netDevices;
  if (opts.annotations !== undefined) b.config.annotations = { ...opts.annotations };
  b.write();
  if (opts.hook === true) b.useHook();
  else if (typeof opts.hook === 'object') b.useHook(opts.hook);
  return b;
}

/** The script e2e containers run to show their network (busybox ip, one line per item). */
export const SHOW_NETWORK = 'ip -o addr show; ip -o link show';

export interface ContainerLink {
  index: number;
  name: string;
  mtu: number;
  flags: string[];
  up: boolean;
  mac: string | undefined;
  /** "a.b.c.d/len" and IPv6 addresses as printed. */
  addrs: string[];
}

/**
 * Parses what SHOW_NETWORK prints (busybox or iproute2 `ip -o addr` / `ip -o link`),
 * in either order, into links by name.
 */
export function parseIpOutput(out: string): Map<string, ContainerLink> {
  const byName = new Map<string, ContainerLink>();
  const get = (index: number, name: string): ContainerLink => {
    let l = byName.get(name);
    if (l === undefined) {
      l = { index, name, mtu: 0, flags: [], up: false, mac: undefined, addrs: [] };
      byName.set(name, l);
    }
    return l;
  };
  for (const line of out.split('\n')) {
    const link = /^(\d+):\s+([^:@\s]+)(?:@\S+)?:\s+<([^>]*)>\s+mtu\s+(\d+)/.exec(line);
    if (link !== null) {
      const l = get(Number(link[1]), link[2]!);
      l.flags = link[3]!.split(',').filter((f) => f !== '');
      l.up = l.flags.includes('UP');
      l.mtu = Number(link[4]);
      const mac = /link\/\S+\s+([0-9a-f:]{17})/.exec(line);
      if (mac !== null) l.mac = mac[1];
      continue;
    }
    const addr = /^(\d+):\s+(\S+)\s+inet6?\s+(\S+)/.exec(line);
    if (addr !== null) get(Number(addr[1]), addr[2]!).addrs.push(addr[3]!);
  }
  return byName;
}
