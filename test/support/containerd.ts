/**
 * A private containerd 2.x for the e2e tier: its own config, root, state,
 * sockets, NRI socket, CNI (macvlan on a veth we own) and CDI dir in a temp
 * dir; a busybox image built locally (no registry) serving as workload and
 * pause image; stopped by pid, with its /run/containerd and cgroup leftovers
 * removed. Recipes: ../shared/engines.md 1.2, 2.2, 2.3.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, openSync, readFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, rmdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CriClient, criClient } from './cri-client.js';
import { type Cleanup, createVethPair, exec, execResult, sleepMs, waitFor } from './netns.js';

export const IMAGE = 'localhost/ond-busybox:1';
export const PAUSE = 'localhost/ond-pause:1';

export function hasContainerd(): boolean {
  return spawnSync('sh', ['-c', 'command -v containerd && command -v ctr'], { stdio: 'ignore' }).status === 0;
}

export interface Handler {
  name: string;
  binary: string;
  podAnnotations: string[];
  containerAnnotations: string[];
}

export interface ContainerdOptions {
  /** Extra runtime handlers (the wrapper as BinaryName). */
  handlers?: Handler[];
  /** Environment for containerd and so for shims, runtimes and hooks. */
  env?: NodeJS.ProcessEnv;
}

export interface Containerd {
  dir: string;
  socket: string;
  nriSocket: string;
  cdiDir: string;
  cri: CriClient;
  /** Every pod and container id the tests made, for the leftovers' cleanup. */
  ids: Set<string>;
  /** Runs a pod (POD network), returns its id and config. */
  runPod(name: string, annotations: Record<string, string>, handler?: string): Promise<{ id: string; config: Record<string, unknown> }>;
  /** Creates and starts a sleeping busybox container in the pod. */
  startContainer(pod: { id: string; config: Record<string, unknown> }, name: string, extra?: Record<string, unknown>): Promise<string>;
  exec(id: string, cmd: string[]): Promise<{ stdout: string; stderr: string; exit_code: number }>;
  stopPod(id: string): Promise<void>;
  /** Every pod sandbox containerd knows: id, name, state (0 READY, 1 NOTREADY). */
  listPods(): Promise<{ id: string; name: string; state: number }[]>;
  removePod(id: string): Promise<void>;
  podNetns(id: string): Promise<string>;
  log(): string;
  /** Stops and removes every pod of ours through CRI, then stops the daemon by pid. */
  shutdown(): Promise<void>;
}

const q = (s: string): string => `'${s}'`;

function config(dir: string, handlers: readonly Handler[]): string {
  const base = exec(['containerd', 'config', 'default']);
  const runcRoot = join(dir, 'runc');
  let text = base
    .replace(/^root = .*$/m, `root = ${q(join(dir, 'root'))}`)
    .replace(/^state = .*$/m, `state = ${q(join(dir, 'state'))}`)
    .replace("address = '/run/containerd/containerd.sock'", `address = ${q(join(dir, 'containerd.sock'))}`)
    .replace(/socket_path = '\/var\/run\/nri\/nri.sock'/, `socket_path = ${q(join(dir, 'nri', 'nri.sock'))}`)
    .replace("plugin_path = '/opt/nri/plugins'", `plugin_path = ${q(join(dir, 'nri', 'plugins'))}`)
    .replace("plugin_config_path = '/etc/nri/conf.d'", `plugin_config_path = ${q(join(dir, 'nri', 'conf.d'))}`)
    // Our plugin's moves run in the request; a loaded CI machine can take longer than the 2 s default.
    .replace("plugin_request_timeout = '2s'", "plugin_request_timeout = '20s'")
    .replace("conf_dir = '/etc/cni/net.d'", `conf_dir = ${q(join(dir, 'cni', 'net.d'))}`)
    .replace(/sandbox = '.*'/, `sandbox = ${q(PAUSE)}`)
    .replace(/cdi_spec_dirs = .*/, `cdi_spec_dirs = [${q(join(dir, 'cdi'))}]`)
    .replace('restrict_oom_score_adj = false', 'restrict_oom_score_adj = true')
    .replace('netns_mounts_under_state_dir = false', 'netns_mounts_under_state_dir = true')
    .replace("Root = ''", `Root = ${q(runcRoot)}`);
  for (const h of handlers) {
    const t = `plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.${h.name}`;
    text += `\n[${t}]\n  runtime_type = 'io.containerd.runc.v2'\n  pod_annotations = [${h.podAnnotations.map(q).join(', ')}]\n  container_annotations = [${h.containerAnnotations.map(q).join(', ')}]\n[${t}.options]\n  BinaryName = ${q(h.binary)}\n  Root = ${q(runcRoot)}\n`;
  }
  return text;
}

/** An OCI image-layout tarball with busybox-static (engines.md 0, mkimage.sh), named `IMAGE`. */
function busyboxImage(dir: string): string {
  const w = join(dir, 'image');
  const rootfs = join(w, 'rootfs');
  for (const d of ['bin', 'proc', 'sys', 'dev', 'etc', 'tmp', 'run']) mkdirSync(join(rootfs, d), { recursive: true });
  copyFileSync('/bin/busybox', join(rootfs, 'bin', 'busybox'));
  for (const a of exec(['/bin/busybox', '--list']).split('\n').filter((x) => x !== '' && x !== 'busybox')) symlinkSync('busybox', join(rootfs, 'bin', a));
  const blobs = join(w, 'layout', 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const layer = join(w, 'layer.tar');
  exec(['tar', '--numeric-owner', '--owner=0', '--group=0', '--sort=name', '--mtime=@0', '-C', rootfs, '-cf', layer, '.']);
  const blob = (data: Buffer): { digest: string; size: number } => {
    const d = createHash('sha256').update(data).digest('hex');
    writeFileSync(join(blobs, d), data);
    return { digest: `sha256:${d}`, size: data.length };
  };
  const l = blob(readFileSync(layer));
  const cfg = blob(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Env: ['PATH=/bin'], Cmd: ['/bin/sleep', '2147483647'], WorkingDir: '/' }, rootfs: { type: 'layers', diff_ids: [l.digest] } })));
  const man = blob(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...cfg }, layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...l }] })));
  writeFileSync(join(w, 'layout', 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...man, platform: { architecture: 'amd64', os: 'linux' }, annotations: { 'io.containerd.image.name': IMAGE, 'org.opencontainers.image.ref.name': '1' } }] }));
  writeFileSync(join(w, 'layout', 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const tar = join(dir, 'busybox.tar');
  exec(['tar', '-C', join(w, 'layout'), '-cf', tar, 'oci-layout', 'index.json', 'blobs']);
  rmSync(w, { recursive: true, force: true });
  return tar;
}

/** Starts containerd; everything it made is removed by `c` (or by stop()). */
export async function startContainerd(c: Cleanup, opts: ContainerdOptions = {}): Promise<Containerd> {
  const dir = mkdtempSync(join(tmpdir(), 'ond-ctrd-'));
  for (const d of ['root', 'state', 'cni/net.d', 'cni/ipam', 'cdi', 'nri/plugins', 'nri/conf.d', 'runc', 'logs']) mkdirSync(join(dir, d), { recursive: true });
  const socket = join(dir, 'containerd.sock');
  const ids = new Set<string>();
  const pods = new Set<string>();
  c.add(`containerd dir ${dir}`, () => {
    // Mounts containerd left under its state (the shm of a sandbox whose RunPodSandbox failed).
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[4] ?? '').filter((m) => m.startsWith(`${dir}/`));
    for (const m of mounts.reverse()) execResult(['umount', '-l', m]);
    rmSync(dir, { recursive: true, force: true });
  });

  // CRI needs a network giving eth0 an address: macvlan on a veth of ours (no random host links).
  const master = createVethPair({ cleanup: c, prefix: 'ondm', up: true });
  writeFileSync(join(dir, 'cni', 'net.d', '10-ond.conflist'), JSON.stringify({
    cniVersion: '1.0.0', name: 'ond-net',
    plugins: [{ type: 'macvlan', master: master.name, mode: 'bridge', ipam: { type: 'host-local', dataDir: join(dir, 'cni', 'ipam'), ranges: [[{ subnet: '10.251.0.0/24' }]] } }],
  }));
  writeFileSync(join(dir, 'config.toml'), config(dir, opts.handlers ?? []));

  const logFile = join(dir, 'containerd.log');
  const out = (): number => openSync(logFile, 'a');
  const child: ChildProcess = spawn('containerd', ['--config', join(dir, 'config.toml')], { env: { ...process.env, ...opts.env }, stdio: ['ignore', out(), out()], detached: true });
  let exited = false;
  child.on('exit', () => (exited = true));
  const stopDaemon = async (): Promise<void> => {
    if (exited || child.pid === undefined) return;
    child.kill('SIGTERM');
    for (let i = 0; i < 100 && !exited; i++) await sleepMs(100);
    if (!exited) child.kill('SIGKILL');
  };
  c.add('containerd leftovers', () => removeLeftovers(socket, ids));
  c.add(`containerd pid ${child.pid}`, () => {
    if (!exited) {
      child.kill('SIGKILL');
      spawnSync('sleep', ['0.3']);
    }
  });
  await waitFor('containerd socket', () => existsSync(socket) || exited, { timeoutMs: 30_000 });
  if (exited) throw new Error(`containerd exited at start:\n${readLog(logFile)}`);
  const ctr = (...args: string[]): string => exec(['ctr', '-a', socket, '-n', 'k8s.io', ...args]);
  ctr('images', 'import', busyboxImage(dir));
  ctr('images', 'tag', IMAGE, PAUSE);

  const cri = criClient(socket, dir);
  const podConfig = (name: string, annotations: Record<string, string>): Record<string, unknown> => ({
    metadata: { name, uid: `uid-${name}`, namespace: 'ond-e2e', attempt: 0 },
    hostname: name, log_directory: join(dir, 'logs', name), annotations,
    linux: { security_context: { namespace_options: { network: 0, pid: 1, ipc: 0 } } },
  });
  const ctrd: Containerd = {
    dir, socket, nriSocket: join(dir, 'nri', 'nri.sock'), cdiDir: join(dir, 'cdi'), cri, ids,
    async runPod(name, annotations, handler = '') {
      const config = podConfig(name, annotations);
      mkdirSync(join(dir, 'logs', name), { recursive: true });
      const r = await cri.call('RunPodSandbox', { config, runtime_handler: handler });
      const id = r.pod_sandbox_id as string;
      ids.add(id);
      pods.add(id);
      return { id, config };
    },
    async startContainer(pod, name, extra = {}) {
      const r = await cri.call('CreateContainer', {
        pod_sandbox_id: pod.id, sandbox_config: pod.config,
        config: { metadata: { name, attempt: 0 }, image: { image: IMAGE }, command: ['/bin/sleep', '600'], log_path: `${name}.log`, ...extra },
      });
      const id = r.container_id as string;
      ids.add(id);
      await cri.call('StartContainer', { container_id: id });
      return id;
    },
    async exec(id, cmd) {
      const r = await cri.call('ExecSync', { container_id: id, cmd, timeout: 30 });
      return { stdout: Buffer.from(r.stdout as Uint8Array).toString(), stderr: Buffer.from(r.stderr as Uint8Array).toString(), exit_code: r.exit_code as number };
    },
    async stopPod(id) {
      await cri.call('StopPodSandbox', { pod_sandbox_id: id });
    },
    async listPods() {
      const r = await cri.call('ListPodSandbox', {});
      return (r.items as { id: string; metadata: { name: string }; state: number }[]).map((p) => ({ id: p.id, name: p.metadata.name, state: p.state }));
    },
    async removePod(id) {
      await cri.call('RemovePodSandbox', { pod_sandbox_id: id });
    },
    async podNetns(id) {
      const r = await cri.call('PodSandboxStatus', { pod_sandbox_id: id, verbose: true });
      const info = JSON.parse((r.info as Record<string, string>).info ?? '{}') as { runtimeSpec?: { linux?: { namespaces?: { type: string; path?: string }[] } } };
      const ns = info.runtimeSpec?.linux?.namespaces?.find((n) => n.type === 'network')?.path;
      if (ns === undefined) throw new Error(`pod ${id}: no network namespace path in its status`);
      return ns;
    },
    log: () => readLog(logFile),
    async shutdown() {
      // Also pods whose RunPodSandbox failed: containerd 2.1 keeps those (NOTREADY) and their shim.
      const listed = await cri.call('ListPodSandbox', {}).then((r) => (r.items as { id: string }[]).map((p) => p.id), () => []);
      for (const id of listed) ids.add(id);
      for (const id of new Set([...pods, ...listed])) {
        await cri.call('StopPodSandbox', { pod_sandbox_id: id }).catch(() => undefined);
        await cri.call('RemovePodSandbox', { pod_sandbox_id: id }).catch(() => undefined);
      }
      cri.close();
      // What CRI forgot but the daemon still runs: the sandbox of a pod whose RunPodSandbox failed in NRI.
      const ctr = (...a: string[]): ReturnType<typeof execResult> => execResult(['ctr', '-a', socket, '-n', 'k8s.io', ...a], { timeoutMs: 20_000 });
      for (const id of ctr('tasks', 'ls', '-q').stdout.split('\n').filter((x) => x !== '')) {
        ids.add(id);
        ctr('tasks', 'kill', '-s', 'KILL', id);
        for (let i = 0; i < 20 && ctr('tasks', 'delete', id).code !== 0; i++) await sleepMs(100);
      }
      for (const id of ctr('containers', 'ls', '-q').stdout.split('\n').filter((x) => x !== '')) {
        ids.add(id);
        ctr('containers', 'delete', id);
      }
      await stopDaemon();
      removeLeftovers(socket, ids);
    },
  };
  return ctrd;
}

function readLog(file: string): string {
  return execResult(['tail', '-n', '60', file]).stdout;
}

/** The shim sockets, runc state and cgroups of our ids (the shim keeps them outside `root`/`state`). */
function removeLeftovers(socket: string, ids: ReadonlySet<string>): void {
  for (const id of ids) {
    const shim = join('/run/containerd/s', createHash('sha256').update(join(socket, 'k8s.io', id)).digest('hex'));
    rmSync(shim, { force: true });
    for (const ctl of safeList('/sys/fs/cgroup')) {
      const cg = join('/sys/fs/cgroup', ctl, 'k8s.io', id);
      if (existsSync(cg)) {
        try {
          rmdirSync(cg);
        } catch {
          /* still busy: nothing more we can do without killing what is not ours */
        }
      }
    }
  }
  for (const ctl of safeList('/sys/fs/cgroup')) tryRmdir(join('/sys/fs/cgroup', ctl, 'k8s.io'));
  for (const d of ['/run/containerd/s', '/run/containerd/fifo', '/run/containerd/runc/k8s.io', '/run/containerd/runc', '/run/containerd']) tryRmdir(d);
}

function safeList(d: string): string[] {
  try {
    return readdirSync(d).filter((x) => {
      try {
        return statSync(join(d, x)).isDirectory();
      } catch {
        return false;
      }
    });
  } catch {
    return [];
  }
}

/** Only when empty: another containerd on the machine may be using it. */
function tryRmdir(d: string): void {
  try {
    rmdirSync(d);
  } catch {
    /* not empty or not there */
  }
}
