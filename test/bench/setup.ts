/** Bench fixtures: veth pairs made in one `ip -batch`, a fresh netns with a sleeping "container". */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import tmp from 'tmp';

// Temp dirs go even when a run dies half way (an exception, Ctrl-C): the benchmark leaves nothing behind.
tmp.setGracefulCleanup();

/** A temp dir removed with its contents at teardown, or at exit at the latest. */
export function tempDir(prefix: string): { path: string; remove(): void } {
  const d = tmp.dirSync({ prefix, unsafeCleanup: true });
  return { path: d.name, remove: () => d.removeCallback() };
}

let seq = 0;
export function names(n: number, tag: string): { hosts: string[]; peers: string[] } {
  seq++;
  const base = `${tag}${process.pid.toString(36)}${seq.toString(36)}`.slice(0, 9);
  return { hosts: Array.from({ length: n }, (_, i) => `${base}h${i}`), peers: Array.from({ length: n }, (_, i) => `${base}p${i}`) };
}

export function ipBatch(lines: string[], opts: { netns?: string; force?: boolean } = {}): void {
  const args = [...(opts.netns !== undefined ? ['-n', opts.netns] : []), ...(opts.force === true ? ['-force'] : []), '-batch', '-'];
  const r = spawnSync('ip', args, { input: `${lines.join('\n')}\n`, encoding: 'utf8' });
  if (r.status !== 0 && opts.force !== true) throw new Error(`ip -batch failed: ${r.stderr}`);
}

export interface Fixture {
  hosts: string[];
  peers: string[];
  netns: string;
  pid: number;
  dir: string;
  teardown(): void;
}

export async function fixture(n: number, tag: string): Promise<Fixture> {
  const { hosts, peers } = names(n, tag);
  ipBatch(hosts.map((h, i) => `link add ${h} type veth peer name ${peers[i]}`));
  const netns = `bn${hosts[0]!}`.slice(0, 15);
  execFileSync('ip', ['netns', 'add', netns]);
  const child = spawn('ip', ['netns', 'exec', netns, 'sleep', '3600'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 30));
  const dir = tempDir('ond-bench-');
  return {
    hosts, peers, netns, pid: child.pid!, dir: dir.path,
    teardown: () => {
      child.kill('SIGKILL');
      spawnSync('ip', ['netns', 'del', netns]);
      // Deleting the host-side peer removes the pair wherever the other end is.
      ipBatch([...peers, ...hosts].map((l) => `link del ${l}`), { force: true });
      dir.remove();
    },
  };
}

export function writeJson(path: string, v: unknown): void {
  writeFileSync(path, JSON.stringify(v));
}
