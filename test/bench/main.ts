/**
 * npm run bench: our hook against the kernel-bound baseline (ip -batch), a
 * shell-script hook (one ip per operation), the CNI host-device plugin and
 * Node's own start, for N devices each moved + renamed + addressed + MTU-set + up.
 * Prints medians, min/max, ratios against baselines measured in this run, and
 * writes the same as JSON (bench-results.json, or --json PATH).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixture, ipBatch, tempDir } from './setup.js';

const REPO = resolve(fileURLToPath(import.meta.url), '../../../..');
const HOOK = join(REPO, 'bin', 'oci-netdevices');
const WRAPPER = join(REPO, 'bin', 'oci-netdevices-runtime');
const SIZES = (process.env.BENCH_SIZES ?? '1,8,64,256').split(',').map(Number);
const REPS = process.env.BENCH_REPS !== undefined ? Number(process.env.BENCH_REPS) : undefined;
const reps = (n: number): number => REPS ?? (n >= 256 ? 3 : 5);

const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Row { name: string; n: number; samples: number[]; note?: string }
const rows: Row[] = [];
function record(name: string, n: number, samples: number[], note?: string): Row {
  const r: Row = { name, n, samples, ...(note !== undefined ? { note } : {}) };
  rows.push(r);
  const m = median(samples);
  console.log(`${name.padEnd(28)} N=${String(n).padStart(3)}  median ${m.toFixed(1).padStart(8)} ms  (${(m / Math.max(n, 1)).toFixed(2)} ms/dev)  min ${Math.min(...samples).toFixed(1)}  max ${Math.max(...samples).toFixed(1)}${note !== undefined ? `  [${note}]` : ''}`);
  return r;
}
const med = (name: string, n: number): number => median(rows.find((r) => r.name === name && r.n === n)!.samples);

function check(cmd: string, args: string[], input?: string, env?: NodeJS.ProcessEnv): void {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8', env: env ?? process.env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}${r.stdout}`);
}

async function timeOne(n: number, tag: string, body: (f: Awaited<ReturnType<typeof fixture>>) => void): Promise<number> {
  const f = await fixture(n, tag);
  try {
    const t0 = process.hrtime.bigint();
    body(f);
    return ms(t0);
  } finally {
    f.teardown();
  }
}

const addr = (i: number): string => `10.${100 + Math.floor(i / 250)}.${i % 250}.2`;

function hookConfig(f: { hosts: string[] }): string {
  return JSON.stringify({ ociVersion: '1.0.2', linux: { namespaces: [{ type: 'network' }], netDevices: f.hosts.map((h, i) => ({ name: h, properties: { name: `eth${i}`, address: addr(i), mask: '24', mtu: 1400 } })) } });
}

async function benchHook(n: number): Promise<void> {
  const samples: number[] = [];
  for (let r = 0; r < reps(n); r++) {
    samples.push(await timeOne(n, 'ba', (f) => {
      writeFileSync(join(f.dir, 'config.json'), hookConfig(f));
      // The state directory lives on tmpfs, as the default /run/oci-netdevices does. An id per run:
      // teardown=kernel keeps each container's state until its poststop, and an id with state is refused.
      check(HOOK, ['--log-file', join(f.dir, 'log'), '--state-dir', `/run/ond-bench-${process.pid}`, '--teardown', 'kernel', 'hook', 'createRuntime'], JSON.stringify({ ociVersion: '1.0.2', id: `b${n}x${r}`, status: 'creating', pid: f.pid, bundle: f.dir }));
    }));
  }
  record('a) oci-netdevices hook', n, samples);
}

async function benchIpBatch(n: number): Promise<void> {
  const samples: number[] = [];
  for (let r = 0; r < reps(n); r++) {
    samples.push(await timeOne(n, 'bb', (f) => {
      ipBatch(f.hosts.map((h) => `link set ${h} netns ${f.netns}`));
      ipBatch(f.hosts.flatMap((h, i) => [`link set ${h} name eth${i}`, `addr add ${addr(i)}/24 dev eth${i}`, `link set eth${i} mtu 1400`, `link set eth${i} up`]), { netns: f.netns });
    }));
  }
  record('b) ip -batch', n, samples);
}

async function benchIpPerOp(n: number): Promise<void> {
  const samples: number[] = [];
  for (let r = 0; r < reps(n); r++) {
    samples.push(await timeOne(n, 'bc', (f) => {
      f.hosts.forEach((h, i) => {
        check('ip', ['link', 'set', h, 'netns', f.netns]);
        check('ip', ['-n', f.netns, 'link', 'set', h, 'name', `eth${i}`]);
        check('ip', ['-n', f.netns, 'addr', 'add', `${addr(i)}/24`, 'dev', `eth${i}`]);
        check('ip', ['-n', f.netns, 'link', 'set', `eth${i}`, 'mtu', '1400']);
        check('ip', ['-n', f.netns, 'link', 'set', `eth${i}`, 'up']);
      });
    }));
  }
  record('c) one ip per operation', n, samples);
}

async function benchCni(n: number): Promise<void> {
  const plugin = '/usr/lib/cni/host-device';
  if (!existsSync(plugin)) {
    console.log(`d) CNI host-device          N=${n}  n/a: ${plugin} missing (apt-get install containernetworking-plugins)`);
    return;
  }
  const ipam = existsSync('/usr/lib/cni/static');
  const samples: number[] = [];
  for (let r = 0; r < reps(n); r++) {
    samples.push(await timeOne(n, 'bd', (f) => {
      f.hosts.forEach((h, i) => {
        const conf = { cniVersion: '1.0.0', name: 'bench', type: 'host-device', device: h, ...(ipam ? { ipam: { type: 'static', addresses: [{ address: `${addr(i)}/24` }] } } : {}) };
        check(plugin, [], JSON.stringify(conf), { ...process.env, CNI_COMMAND: 'ADD', CNI_NETNS: `/proc/${f.pid}/ns/net`, CNI_IFNAME: `eth${i}`, CNI_CONTAINERID: `bench${r}`, CNI_PATH: '/usr/lib/cni' });
      });
    }));
  }
  record('d) CNI host-device', n, samples, `${ipam ? 'static IPAM addresses' : 'no IPAM'}; host-device cannot set MTU`);
}

/** A CA bundle as many hosts set in NODE_EXTRA_CA_CERTS (Node parses it at every start). */
const CA_BUNDLE = process.env.NODE_EXTRA_CA_CERTS ?? '/etc/ssl/certs/ca-certificates.crt';
const withoutCa = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
};
const withCa = (): NodeJS.ProcessEnv => ({ ...process.env, NODE_EXTRA_CA_CERTS: CA_BUNDLE });

function benchNode(): void {
  for (const [name, env] of [['e) node -e 0', withoutCa()], ['e) node -e 0, NODE_EXTRA_CA_CERTS', withCa()]] as const) {
    if (env.NODE_EXTRA_CA_CERTS !== undefined && !existsSync(CA_BUNDLE)) continue;
    const samples: number[] = [];
    for (let r = 0; r < (REPS ?? 10); r++) {
      const t0 = process.hrtime.bigint();
      check(process.execPath, ['-e', '0'], undefined, env);
      samples.push(ms(t0));
    }
    record(name, 0, samples);
  }
}

/**
 * The hook's start for a container asking for nothing, with and without NODE_EXTRA_CA_CERTS in the
 * caller's environment; "as before" starts the entry with node directly, as bin/oci-netdevices did
 * before it chose Node's environment (bin/node-env.sh).
 */
function benchHookStart(): void {
  const dir = tempDir('ond-bench-start-');
  try {
    writeFileSync(join(dir.path, 'config.json'), '{}');
    const state = JSON.stringify({ ociVersion: '1.0.2', id: 'start', status: 'creating', pid: process.pid, bundle: dir.path });
    const runs: Array<[string, string, string[], NodeJS.ProcessEnv]> = [
      ['f) hook start', HOOK, [], withoutCa()],
      ['f) hook start, NODE_EXTRA_CA_CERTS', HOOK, [], withCa()],
      ['f) hook start as before, NODE_EXTRA_CA_CERTS', process.execPath, [`${HOOK}.cjs`, HOOK], withCa()],
    ];
    for (const [name, cmd, pre, env] of runs) {
      if (env.NODE_EXTRA_CA_CERTS !== undefined && !existsSync(CA_BUNDLE)) continue;
      const samples: number[] = [];
      for (let r = 0; r < (REPS ?? 10); r++) {
        const t0 = process.hrtime.bigint();
        check(cmd, [...pre, '--log-file', 'off', 'hook', 'createRuntime'], state, env);
        samples.push(ms(t0));
      }
      record(name, 0, samples);
    }
  } finally {
    dir.remove();
  }
}

/** Peak RSS of one hook run moving one device (GNU time's maximum resident set size). */
async function peakRssMb(): Promise<number | undefined> {
  if (!existsSync('/usr/bin/time')) return undefined;
  const f = await fixture(1, 'br');
  try {
    writeFileSync(join(f.dir, 'config.json'), JSON.stringify({ linux: { namespaces: [{ type: 'network' }], netDevices: { [f.hosts[0]!]: { name: 'eth1' } } } }));
    const r = spawnSync('/usr/bin/time', ['-f', '%M', HOOK, '--log-file', join(f.dir, 'log'), '--state-dir', join(f.dir, 'state'), '--teardown', 'kernel', 'hook', 'createRuntime'], {
      input: JSON.stringify({ ociVersion: '1.0.2', id: 'rss', status: 'creating', pid: f.pid, bundle: f.dir }),
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`hook failed under /usr/bin/time: ${r.stderr}`);
    const kb = Number(r.stderr.trim().split('\n').at(-1));
    return Number.isFinite(kb) ? kb / 1024 : undefined;
  } finally {
    f.teardown();
  }
}

function busyboxBundle(withHook: boolean): { path: string; remove(): void } {
  const bundle = tempDir('ond-bench-bundle-');
  const dir = bundle.path;
  mkdirSync(join(dir, 'rootfs', 'bin'), { recursive: true });
  for (const d of ['proc', 'sys', 'dev']) mkdirSync(join(dir, 'rootfs', d));
  copyFileSync('/bin/busybox', join(dir, 'rootfs', 'bin', 'busybox'));
  symlinkSync('busybox', join(dir, 'rootfs', 'bin', 'true'));
  execFileSync('runc', ['spec'], { cwd: dir });
  const cfgPath = join(dir, 'config.json');
  const cfg = JSON.parse(execFileSync('cat', [cfgPath], { encoding: 'utf8' })) as Record<string, unknown> & { process: Record<string, unknown> };
  cfg.process.terminal = false;
  cfg.process.args = ['/bin/true'];
  if (withHook) cfg.hooks = { createRuntime: [{ path: HOOK, args: ['oci-netdevices', '--log-file', join(dir, 'log'), 'hook', 'createRuntime'] }] };
  writeFileSync(cfgPath, JSON.stringify(cfg));
  return bundle;
}

function benchRuntime(): void {
  if (spawnSync('sh', ['-c', 'command -v runc && test -x /bin/busybox']).status !== 0) {
    console.log('runtime rows: n/a (runc or busybox-static missing)');
    return;
  }
  for (const withHook of [false, true]) {
    const bundle = busyboxBundle(withHook);
    const b = bundle.path;
    const samples: number[] = [];
    for (let r = 0; r < (REPS ?? 7); r++) {
      const id = `ondbench${process.pid}${r}`;
      const t0 = process.hrtime.bigint();
      check('runc', ['run', '-b', b, id]);
      samples.push(ms(t0));
      spawnSync('runc', ['delete', '-f', id]);
    }
    record(withHook ? 'runc run, hook, no devices' : 'runc run, no hook', 0, samples);
    bundle.remove();
  }
  const bundle = busyboxBundle(false);
  const b = bundle.path;
  for (const sub of ['state', 'delete'] as const) {
    for (const via of ['runc', WRAPPER]) {
      const samples: number[] = [];
      for (let r = 0; r < (REPS ?? 7); r++) {
        const id = `ondpass${process.pid}${r}`;
        // runc create leaves runc init holding its stdio until start: give it /dev/null, not our pipes.
        const created = spawnSync('runc', ['create', '-b', b, id], { stdio: 'ignore' });
        if (created.status !== 0) throw new Error(`runc create ${id} failed`);
        const t0 = process.hrtime.bigint();
        check(via, [sub, id], undefined, { ...process.env, OCI_NETDEVICES_RUNTIME: 'runc' });
        samples.push(ms(t0));
        spawnSync('runc', ['delete', '-f', id]);
      }
      record(`${via === 'runc' ? 'bare runc' : 'wrapper'} ${sub}`, 0, samples);
    }
  }
  bundle.remove();
}

function leftovers(): string {
  const links = (JSON.parse(execFileSync('ip', ['-j', 'link', 'show'], { encoding: 'utf8' })) as Array<{ ifname: string }>).map((l) => l.ifname).sort().join(',');
  const netns = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  const mounts = execFileSync('grep', ['-c', 'ond-bench', '/proc/mounts'], { encoding: 'utf8' }).trim();
  return `${links}|${netns}|${mounts}`;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('npm run bench needs root (it moves interfaces between namespaces)');
  const jsonPath = process.argv.includes('--json') ? process.argv[process.argv.indexOf('--json') + 1]! : 'bench-results.json';
  const before = (() => { try { return leftovers(); } catch { return ''; } })();
  process.on('exit', () => rmSync(`/run/ond-bench-${process.pid}`, { recursive: true, force: true }));
  benchNode();
  benchHookStart();
  for (const n of SIZES) {
    await benchHook(n);
    await benchIpBatch(n);
    await benchIpPerOp(n);
    await benchCni(n);
  }
  benchRuntime();
  const rss = await peakRssMb();

  const e = med('e) node -e 0', 0);
  const lo = Math.min(...SIZES);
  const hi = SIZES.includes(64) ? 64 : Math.max(...SIZES);
  const marginal = (name: string): number => (med(name, hi) - med(name, lo)) / (hi - lo);
  const aMarg = marginal('a) oci-netdevices hook');
  const bMarg = marginal('b) ip -batch');
  const oneMove = bMarg;
  const targets: Array<[string, number, number, string]> = [];
  targets.push([`marginal per-device cost a vs b (N=${lo}..${hi})`, aMarg / bMarg, 1.05, `${aMarg.toFixed(2)} vs ${bMarg.toFixed(2)} ms/dev`]);
  targets.push([`fixed cost a(${lo}) vs 1.5x node + one move`, med('a) oci-netdevices hook', lo) / (1.5 * e + oneMove), 1.0, `${med('a) oci-netdevices hook', lo).toFixed(1)} vs ${(1.5 * e + oneMove).toFixed(1)} ms`]);
  if (rows.some((r) => r.name === 'd) CNI host-device')) {
    for (const [n, want] of [[8, 1.0], [64, 1.4]] as const) {
      if (!SIZES.includes(n)) continue;
      const speedup = med('d) CNI host-device', n) / med('a) oci-netdevices hook', n);
      targets.push([`CNI host-device / hook at N=${n} (speed-up)`, speedup, -want, `${speedup.toFixed(2)}x, want >= ${want}x`]);
    }
  }
  if (rows.some((r) => r.name === 'wrapper state')) {
    for (const sub of ['state', 'delete']) {
      const over = med(`wrapper ${sub}`, 0) - med(`bare runc ${sub}`, 0);
      targets.push([`wrapper ${sub} overhead vs node + 15 ms`, over / (e + 15), 1.0, `${over.toFixed(1)} vs ${(e + 15).toFixed(1)} ms`]);
    }
  }
  if (rss !== undefined) targets.push(['hook peak RSS vs 80 MB', rss / 80, 1.0, `${rss.toFixed(1)} MB`]);

  console.log('\ntargets (ratios from this run)');
  const results = targets.map(([what, ratio, limit, detail]) => {
    const pass = limit < 0 ? ratio >= -limit : ratio <= limit;
    console.log(`  ${pass ? 'PASS' : 'FAIL'}  ${what.padEnd(52)} ratio ${ratio.toFixed(2)}  (${detail})`);
    return { what, ratio, limit: Math.abs(limit), direction: limit < 0 ? 'at least' : 'at most', pass, detail };
  });
  const after = (() => { try { return leftovers(); } catch { return ''; } })();
  console.log(`\nleft behind: ${before === after ? 'nothing (links, netns and mounts as before)' : 'SOMETHING CHANGED'}`);
  writeFileSync(jsonPath, JSON.stringify({ date: new Date().toISOString(), rows: rows.map((r) => ({ ...r, median: median(r.samples) })), targets: results, clean: before === after }, null, 2));
  console.log(`wrote ${jsonPath}`);
}

await main();
