/**
 * busybox udhcpd in a netns of the test's own, on the peer end of a veth:
 * private config, lease file in a temp dir, stopped by pid. The lease file
 * (written on SIGUSR1) tells whether a lease is held or was released.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Sandbox, sh } from './hook-kit.js';

export interface DhcpServer {
  netns: string;
  /** The veth end in the server netns. */
  peer: string;
  dir: string;
  /** Each lease in udhcpd's lease file now: MAC, address, seconds left (0 once released or expired). */
  leases(): Promise<Array<{ mac: string; address: string; secondsLeft: number }>>;
  log(): string;
  stop(): void;
}

export interface ServerOptions {
  /** Run no server at all: the network never answers. */
  silent?: boolean;
  mtu?: number;
  router?: boolean;
}

/** Moves `peer` into a new netns with 192.0.2.1/24 and serves exactly one address, 192.0.2.50. */
export async function startUdhcpd(box: Sandbox, peer: string, opts: ServerOptions = {}): Promise<DhcpServer> {
  const netns = box.netns();
  sh('ip', 'link', 'set', peer, 'netns', netns);
  sh('ip', '-n', netns, 'addr', 'add', '192.0.2.1/24', 'dev', peer);
  sh('ip', '-n', netns, 'link', 'set', peer, 'up');
  const dir = mkdtempSync(join(tmpdir(), 'ond-udhcpd-'));
  box.defer(() => rmSync(dir, { recursive: true, force: true }));
  const leaseFile = join(dir, 'leases');
  writeFileSync(leaseFile, '');
  writeFileSync(join(dir, 'udhcpd.conf'), [
    'start 192.0.2.50', 'end 192.0.2.50', `interface ${peer}`, `lease_file ${leaseFile}`, `pidfile ${join(dir, 'pid')}`,
    'option subnet 255.255.255.0', ...(opts.router !== false ? ['option router 192.0.2.1'] : []), ...(opts.mtu !== undefined ? [`option mtu ${opts.mtu}`] : []),
    'option lease 600', 'auto_time 0', '',
  ].join('\n'));
  let child: ChildProcess | undefined;
  let out = '';
  if (opts.silent !== true) {
    // -a 100: udhcpd pings an address before offering it, 2 s by default.
    child = spawn('ip', ['netns', 'exec', netns, 'busybox', 'udhcpd', '-f', '-a', '100', join(dir, 'udhcpd.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    const c = child;
    box.defer(() => c.kill('SIGKILL'));
    for (let i = 0; i < 100 && !out.includes('started'); i++) await new Promise((r) => setTimeout(r, 20));
    if (!out.includes('started')) throw new Error(`udhcpd did not start: ${out}`);
  }
  return {
    netns, peer, dir,
    log: () => out,
    stop: () => child?.kill('SIGTERM'),
    leases: async () => {
      if (child === undefined) return [];
      const before = existsSync(leaseFile) ? statSync(leaseFile).mtimeMs : 0;
      child.kill('SIGUSR1');
      for (let i = 0; i < 100; i++) {
        if (statSync(leaseFile).mtimeMs !== before && statSync(leaseFile).size >= 8) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      // 8 bytes of write time, then struct dyn_lease per lease: expires (remaining), nip, mac[6], hostname[20], pad[2].
      const b = readFileSync(leaseFile);
      const out2: Array<{ mac: string; address: string; secondsLeft: number }> = [];
      for (let at = 8; at + 36 <= b.length; at += 36) {
        out2.push({
          secondsLeft: b.readUInt32BE(at),
          address: Array.from(b.subarray(at + 4, at + 8)).join('.'),
          mac: Array.from(b.subarray(at + 8, at + 14), (x) => x.toString(16).padStart(2, '0')).join(':'),
        });
      }
      return out2;
    },
  };
}
