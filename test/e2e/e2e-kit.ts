/** Busybox-static OCI bundles run by real runc and crun, with our hooks. */
import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HOOK_BIN, type Sandbox } from '../integration/hook-kit.js';

export const REPO = resolve(fileURLToPath(import.meta.url), '../../../..');
export type Runtime = 'runc' | 'crun';

const APPLETS = ['sh', 'ip', 'ls', 'cat', 'sleep', 'ping', 'echo', 'true'];

export function ensureCrunCgroups(): void {
  spawnSync('bash', [join(REPO, 'test', 'crun-cgroup-fix.sh')], { stdio: 'ignore' });
}

export interface Bundle {
  dir: string;
  logFile: string;
  config: Record<string, unknown> & { process: Record<string, unknown>; linux: Record<string, unknown> };
  write(): void;
}

/** A bundle whose process runs `script` with busybox sh; hooks point at this checkout. */
export function busyboxBundle(box: Sandbox, script: string, opts: { stateDir?: string; hooks?: Array<'createRuntime' | 'poststop'> } = {}): Bundle {
  const dir = mkdtempSync(join(tmpdir(), 'ond-e2e-'));
  box.defer(() => rmSync(dir, { recursive: true, force: true }));
  const rootfs = join(dir, 'rootfs');
  for (const d of ['bin', 'proc', 'sys', 'dev', 'tmp']) mkdirSync(join(rootfs, d), { recursive: true });
  copyFileSync('/bin/busybox', join(rootfs, 'bin', 'busybox'));
  for (const a of APPLETS) symlinkSync('busybox', join(rootfs, 'bin', a));
  const r = spawnSync('runc', ['spec'], { cwd: dir });
  if (r.status !== 0) throw new Error(`runc spec failed: ${r.stderr}`);
  const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Bundle['config'];
  const logFile = join(dir, 'hook.log');
  config.process.terminal = false;
  config.process.args = ['/bin/sh', '-c', script];
  const args = (stage: string): string[] => {
    const a = ['oci-netdevices', '--log-file', logFile];
    if (opts.stateDir !== undefined) a.push('--state-dir', opts.stateDir);
    return [...a, 'hook', stage];
  };
  const hooks: Record<string, unknown> = {};
  for (const stage of opts.hooks ?? ['createRuntime', 'poststop']) hooks[stage] = [{ path: HOOK_BIN, args: args(stage) }];
  config.hooks = hooks;
  const b: Bundle = { dir, logFile, config, write: () => writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2)) };
  b.write();
  return b;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** `<runtime> run` in the foreground; the container is deleted afterwards whatever happens. */
export function runContainer(box: Sandbox, runtime: Runtime, bundle: Bundle, id: string): RunResult {
  if (runtime === 'crun') ensureCrunCgroups();
  box.defer(() => spawnSync(runtime, ['delete', '-f', id], { stdio: 'ignore' }));
  const r = spawnSync(runtime, ['run', '-b', bundle.dir, id], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface ContainerLink {
  index: number;
  name: string;
  mtu: number;
  up: boolean;
  addrs: string[];
}

/** Parses busybox `ip -o link` + `ip -o addr` output printed by the container. */
export function parseIpOutput(out: string): Map<string, ContainerLink> {
  const links = new Map<string, ContainerLink>();
  for (const line of out.split('\n')) {
    const link = /^(\d+): ([^:@\s]+)(?:@\S+)?: <([^>]*)> mtu (\d+)/.exec(line);
    if (link !== null) {
      links.set(link[2]!, { index: Number(link[1]), name: link[2]!, mtu: Number(link[4]), up: link[3]!.split(',').includes('UP'), addrs: [] });
      continue;
    }
    const addr = /^\d+: (\S+)\s+inet6? (\S+)/.exec(line);
    if (addr !== null) links.get(addr[1]!)?.addrs.push(addr[2]!);
  }
  return links;
}

export const SHOW_NETWORK = 'ip -o link; ip -o addr';

/** `runtime args...`, its stdout; a non-zero exit throws with its stderr. */
export function runtimeCmd(runtime: Runtime, ...args: string[]): string {
  const r = spawnSync(runtime, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${runtime} ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** `create` hands its stdio to the container process: give it a file, not a pipe we would wait on. */
export function createContainer(runtime: Runtime, dir: string, id: string): void {
  const out = join(dir, 'create.out');
  const fd = openSync(out, 'w');
  try {
    const r = spawnSync(runtime, ['create', '-b', dir, id], { stdio: ['ignore', fd, fd], timeout: 60_000 });
    if (r.status !== 0) throw new Error(`${runtime} create: exit ${r.status}: ${readFileSync(out, 'utf8')}`);
  } finally {
    closeSync(fd);
  }
}

export const containerState = (runtime: Runtime, id: string): { status: string; pid: number } => JSON.parse(runtimeCmd(runtime, 'state', id)) as { status: string; pid: number };

export async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  for (const end = Date.now() + ms; !ok(); ) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
