/**
 * Runs bin/oci-netdevices as a runtime would, without a runtime: the
 * "container" is a `sleep` started in a netns we created (its pid gives
 * /proc/<pid>/ns/net), the bundle a temp dir with a config.json, and the
 * state JSON on stdin in runc's or crun's shape.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOOK_BIN, type NetDevices } from './bundle.js';
import { TEST_HOOK_BIN, frontDoorEnv } from './front-door.js';
import { type Cleanup, type ExecResult, type Netns, createNetns, execAsync, execResult, nsInode, processCleanup, randomName, waitFor } from './netns.js';

export { HOOK_BIN };

export type StateForm = 'runc' | 'crun';

/** A container state as a runtime writes it on a hook's stdin (the hook parses it into its own OciState). */
export interface WireState {
  ociVersion: string;
  id: string;
  status: string;
  pid?: number;
  bundle: string;
  root?: string;
  annotations?: Record<string, string>;
  [k: string]: unknown;
}

/** What runc 1.1 sends to createRuntime hooks. */
export function runcState(id: string, pid: number, bundle: string, annotations?: Record<string, string>): WireState {
  const s: WireState = { ociVersion: '1.0.2-dev', id, status: 'creating', pid, bundle };
  if (annotations !== undefined) s.annotations = annotations;
  return s;
}

/** What crun 1.8 sends to createRuntime hooks: status "created" and an extra "root". */
export function crunState(id: string, pid: number, bundle: string, annotations?: Record<string, string>): WireState {
  // What crun 1.8 really writes: ociVersion "1.0" (not strict semver) and root as given in config.json.
  const s: WireState = { ociVersion: '1.0', id, status: 'created', pid, bundle, root: 'rootfs' };
  if (annotations !== undefined) s.annotations = annotations;
  return s;
}

/** createRuntime state in either shape. */
export function createRuntimeState(form: StateForm, id: string, pid: number, bundle: string, annotations?: Record<string, string>): WireState {
  return form === 'runc' ? runcState(id, pid, bundle, annotations) : crunState(id, pid, bundle, annotations);
}

/** poststop state: runc sends no pid, crun sends pid 0. */
export function poststopState(form: StateForm, id: string, bundle: string): WireState {
  return form === 'runc'
    ? { ociVersion: '1.0.2-dev', id, status: 'stopped', bundle }
    : { ociVersion: '1.0.0', id, status: 'stopped', pid: 0, bundle, root: join(bundle, 'rootfs') };
}

export interface HookRunOptions {
  /** Run the hook inside this netns (`ip netns exec`); default: the host netns, as runtimes do. */
  netns?: string | Netns;
  /** --log-file (default 'off'). */
  logFile?: string;
  /** --state-dir (default: hook's default). */
  stateDir?: string;
  /** Extra global options before `hook <stage>`. */
  args?: string[];
  /** Environment added to (or with replaceEnv, instead of) process.env. */
  env?: Record<string, string>;
  replaceEnv?: boolean;
  /** Working directory (runtimes use the bundle for create/run). */
  cwd?: string;
  timeoutMs?: number;
}

/** The full argv used to run the hook. */
export function hookArgv(stage: string, o: HookRunOptions = {}): string[] {
  const argv = [TEST_HOOK_BIN, '--log-file', o.logFile ?? 'off'];
  if (o.stateDir !== undefined) argv.push('--state-dir', o.stateDir);
  argv.push(...(o.args ?? []), 'hook', stage);
  const ns = typeof o.netns === 'string' ? o.netns : o.netns?.name;
  return ns === undefined ? argv : ['ip', 'netns', 'exec', ns, ...argv];
}

function hookEnv(o: HookRunOptions): NodeJS.ProcessEnv {
  return o.replaceEnv === true ? { ...frontDoorEnv(), ...o.env } : { ...process.env, ...frontDoorEnv(), ...o.env };
}

function stdinText(state: WireState | string): string {
  return typeof state === 'string' ? state : JSON.stringify(state);
}

/** Runs `bin/oci-netdevices hook <stage>` with `state` on stdin (async). */
export function runHook(stage: string, state: WireState | string, o: HookRunOptions = {}): Promise<ExecResult> {
  return execAsync(hookArgv(stage, o), { input: stdinText(state), env: hookEnv(o), cwd: o.cwd, timeoutMs: o.timeoutMs ?? 60_000 });
}

/** Same, synchronously. */
export function runHookSync(stage: string, state: WireState | string, o: HookRunOptions = {}): ExecResult {
  return execResult(hookArgv(stage, o), { input: stdinText(state), env: hookEnv(o), cwd: o.cwd, timeoutMs: o.timeoutMs ?? 60_000 });
}

/** A temp "bundle" dir holding config.json (and an empty rootfs dir). Removed at cleanup. */
export function hookBundle(config: unknown, cleanup: Cleanup = processCleanup): string {
  const dir = mkdtempSync(join(tmpdir(), 'ond-hbundle-'));
  cleanup.add(`bundle ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2));
  return dir;
}

/** A minimal config.json with a network namespace and the given netDevices. */
export function minimalConfig(netDevices?: NetDevices, extra: { annotations?: Record<string, string>; linux?: Record<string, unknown> } = {}): Record<string, unknown> {
  const linux: Record<string, unknown> = { namespaces: [{ type: 'network' }], ...extra.linux };
  if (netDevices !== undefined) linux.netDevices = netDevices;
  const cfg: Record<string, unknown> = { ociVersion: '1.0.2', process: { args: ['sleep', '1000'], cwd: '/' }, root: { path: 'rootfs' }, linux };
  if (extra.annotations !== undefined) cfg.annotations = extra.annotations;
  return cfg;
}

export interface FakeContainer {
  id: string;
  pid: number;
  netns: Netns;
  /** /proc/<pid>/ns/net */
  nsPath: string;
  bundle: string;
  process: ChildProcess;
  /** createRuntime state in runc's or crun's shape. */
  state(form?: StateForm): WireState;
  poststop(form?: StateForm): WireState;
  /** Rewrites the bundle's config.json. */
  setConfig(config: unknown): void;
  readConfig(): unknown;
  /** Kills the sleep (the netns stays while /run/netns/<name> exists). */
  kill(): void;
  /** Kills the process and deletes the netns (devices in it die with it). */
  destroy(): void;
}

/**
 * A stand-in container: a fresh netns, `sleep 1000` running in it, and a bundle
 * whose config.json is `config` (default: minimalConfig()). Resolves once the
 * process really is inside the namespace.
 */
export async function startFakeContainer(o: { config?: unknown; cleanup?: Cleanup; netns?: Netns; id?: string } = {}): Promise<FakeContainer> {
  const cleanup = o.cleanup ?? processCleanup;
  const netns = o.netns ?? createNetns({ cleanup });
  const bundle = hookBundle(o.config ?? minimalConfig(), cleanup);
  const child = spawn('ip', ['netns', 'exec', netns.name, 'sleep', '1000'], { stdio: 'ignore' });
  child.on('error', () => undefined);
  const pid = child.pid;
  if (pid === undefined) throw new Error('startFakeContainer: could not spawn ip netns exec');
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  };
  cleanup.add(`fake container ${pid}`, kill);
  const want = nsInode(netns.path);
  // ip netns exec setns()s then execs sleep: wait until the pid is sleep inside our netns.
  await waitFor(`pid ${pid} to run sleep in ${netns.name}`, () => {
    try {
      return nsInode(`/proc/${pid}/ns/net`) === want && readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'sleep';
    } catch {
      return false;
    }
  }, { timeoutMs: 10_000, intervalMs: 10 });
  const id = o.id ?? randomName('ctr-', 30);
  return {
    id,
    pid,
    netns,
    nsPath: `/proc/${pid}/ns/net`,
    bundle,
    process: child,
    state: (form = 'runc') => createRuntimeState(form, id, pid, bundle),
    poststop: (form = 'runc') => poststopState(form, id, bundle),
    setConfig: (config) => writeFileSync(join(bundle, 'config.json'), JSON.stringify(config, null, 2)),
    readConfig: () => JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')) as unknown,
    kill,
    destroy: () => {
      kill();
      netns.cleanup();
    },
  };
}
