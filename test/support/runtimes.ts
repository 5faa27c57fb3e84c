/**
 * Real runtimes: runc / crun `run` in the foreground, podman with a plain rootfs,
 * and the one cgroup step crun 1.8 needs on hybrid-cgroup hosts. Every container
 * is force-deleted afterwards, whatever happened.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bundle } from './bundle.js';
import { type Cleanup, type ExecResult, execAsync, execResult, processCleanup, randomName } from './netns.js';

export type Runtime = 'runc' | 'crun';
export const RUNTIMES: readonly Runtime[] = ['runc', 'crun'];

export interface RunResult extends ExecResult {
  id: string;
}

const CGROUP_ROOT = '/sys/fs/cgroup';
const CGROUP2_MAGIC = 0x63677270;

function isMountpoint(path: string): boolean {
  return execResult(['mountpoint', '-q', path]).code === 0;
}

/**
 * crun 1.8 refuses a hybrid cgroup layout while any controller sits on the v2
 * hierarchy ("cgroups in hybrid mode not supported, drop all controllers from
 * cgroupv2"); binding each such controller (here: hugetlb) to its own v1
 * hierarchy fixes it. Idempotent; does nothing on pure v1 or pure v2 hosts.
 * Returns the controllers it mounted.
 */
export function ensureCrunCgroups(): string[] {
  if (statfsSync(CGROUP_ROOT).type === CGROUP2_MAGIC) return []; // pure v2
  const unified = join(CGROUP_ROOT, 'unified', 'cgroup.controllers');
  if (!existsSync(unified)) return []; // pure v1
  const onV2 = readFileSync(unified, 'utf8').trim().split(/\s+/).filter((c) => c !== '');
  const mounted: string[] = [];
  for (const c of onV2) {
    const dir = join(CGROUP_ROOT, c);
    if (isMountpoint(dir)) continue;
    mkdirSync(dir, { recursive: true });
    const r = execResult(['mount', '-t', 'cgroup', '-o', c, 'cgroup', dir]);
    if (r.code !== 0) throw new Error(`ensureCrunCgroups: mount ${c}: ${r.stderr.trim()}`);
    mounted.push(c);
  }
  return mounted;
}

function bundleDir(b: Bundle | string): string {
  return typeof b === 'string' ? b : b.dir;
}

/** Force-deletes a runc/crun container (ignores "does not exist"). */
export function deleteContainer(runtime: Runtime, id: string, root?: string): void {
  execResult([runtime, ...(root === undefined ? [] : ['--root', root]), 'delete', '-f', id]);
}

/** Container ids the runtime knows about (`runc list` / `crun list`). */
export function listContainers(runtime: Runtime, root?: string): string[] {
  const r = execResult([runtime, ...(root === undefined ? [] : ['--root', root]), 'list', '-q']);
  if (r.code !== 0) return [];
  return r.stdout.split('\n').map((s) => s.trim()).filter((s) => s !== '' && s !== 'NAME');
}

/**
 * `<runtime> run -b <bundle> <id>` in the foreground with stdin closed; returns
 * exit code and output. The container is `delete -f`d afterwards (and again at cleanup).
 */
export async function runContainer(
  runtime: Runtime,
  bundle: Bundle | string,
  id: string = randomName('ond-'),
  opts: { cleanup?: Cleanup; timeoutMs?: number; root?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  if (runtime === 'crun') ensureCrunCgroups();
  const global = opts.root === undefined ? [] : ['--root', opts.root];
  (opts.cleanup ?? processCleanup).add(`${runtime} container ${id}`, () => deleteContainer(runtime, id, opts.root));
  try {
    const r = await execAsync([runtime, ...global, 'run', '-b', bundleDir(bundle), id], { timeoutMs: opts.timeoutMs ?? 60_000, env: opts.env });
    return { ...r, id };
  } finally {
    deleteContainer(runtime, id, opts.root);
  }
}

// ---------------------------------------------------------------- podman

export interface PodmanOptions {
  /** Plain rootfs directory (see makeRootfs / Bundle.rootfs). */
  rootfs: string;
  /** Command in the container. */
  args: string[];
  runtime?: string;
  hooksDir?: string;
  annotations?: Record<string, string>;
  env?: Record<string, string>;
  /** Container name (default random); removed with `podman rm -f` afterwards. */
  name?: string;
  /** More `podman run` flags (placed before --rootfs). */
  flags?: string[];
  cleanup?: Cleanup;
  timeoutMs?: number;
}

/** Global flags every podman call uses (the store on these machines is vfs). */
export const PODMAN_GLOBAL = ['--storage-driver', 'vfs'];

/** podman parses --annotation as CSV: quote values containing commas or quotes. */
export function podmanAnnotation(key: string, value: string): string {
  const kv = `${key}=${value}`;
  return /[",]/.test(kv) ? `"${kv.replace(/"/g, '""')}"` : kv;
}

/**
 * `podman run --rm` with a plain rootfs, no network setup, the ulimit flags this
 * machine needs and optional hooks dir / annotations. Options go before --rootfs.
 */
export async function podmanRun(o: PodmanOptions): Promise<RunResult> {
  const runtime = o.runtime ?? 'runc';
  if (runtime === 'crun' || runtime.endsWith('/crun')) ensureCrunCgroups();
  const name = o.name ?? randomName('ond-pm-');
  const rm = (): void => {
    execResult(['podman', ...PODMAN_GLOBAL, 'rm', '-f', '-t', '0', name]);
  };
  (o.cleanup ?? processCleanup).add(`podman container ${name}`, rm);
  const argv = ['podman', ...PODMAN_GLOBAL, '--runtime', runtime, 'run', '--rm', '--name', name];
  argv.push('--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', '--network', 'none');
  if (o.hooksDir !== undefined) argv.push('--hooks-dir', o.hooksDir);
  for (const [k, v] of Object.entries(o.annotations ?? {})) argv.push('--annotation', podmanAnnotation(k, v));
  for (const [k, v] of Object.entries(o.env ?? {})) argv.push('--env', `${k}=${v}`);
  argv.push(...(o.flags ?? []), '--rootfs', o.rootfs, ...o.args);
  try {
    const r = await execAsync(argv, { timeoutMs: o.timeoutMs ?? 120_000 });
    return { ...r, id: name };
  } finally {
    rm();
  }
}

/**
 * A hooks.d dir with one 1.0.0 hook JSON that runs `path args` at `stages`
 * for containers carrying annotation `annotationKey` (anchored regex).
 */
export function writePodmanHooksDir(o: {
  path: string;
  args?: string[];
  stages: string[];
  annotationKey: string;
  env?: string[];
  cleanup?: Cleanup;
}): string {
  const dir = mkdtempSync(join(tmpdir(), 'ond-hooksd-'));
  (o.cleanup ?? processCleanup).add(`hooks dir ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  const esc = o.annotationKey.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const hook: Record<string, unknown> = { path: o.path };
  if (o.args !== undefined) hook.args = o.args;
  if (o.env !== undefined) hook.env = o.env;
  const doc = { version: '1.0.0', hook, when: { annotations: { [`^${esc}$`]: '.*' } }, stages: o.stages };
  writeFileSync(join(dir, 'oci-netdevices.json'), JSON.stringify(doc, null, 2));
  return dir;
}

/** podman container names known to the store (running or not). */
export function podmanContainers(): string[] {
  const r = execResult(['podman', ...PODMAN_GLOBAL, 'ps', '-a', '--format', '{{.Names}}']);
  return r.code === 0 ? r.stdout.split('\n').filter((s) => s.trim() !== '') : [];
}
