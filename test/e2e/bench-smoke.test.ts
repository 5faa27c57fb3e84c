/**
 * npm run bench keeps working: one small run (N = 1 and 2, one repetition) must
 * print every row and every target, write its JSON, and leave the host as it
 * found it. Nothing here looks at the timings: the benchmark reports, tests do not gate on time.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const REPO = resolve(fileURLToPath(import.meta.url), '../../../..');

interface BenchJson {
  rows: Array<{ name: string; n: number; samples: number[]; median: number }>;
  targets: Array<{ what: string; ratio: number; pass: boolean }>;
  clean: boolean;
}

test('npm run bench: every row and target on a small run, JSON written, nothing left behind', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ond-bench-smoke-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const json = join(dir, 'bench.json');
  const r = spawnSync(process.execPath, [join(REPO, 'dist', 'test', 'bench', 'main.js'), '--json', json], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, BENCH_SIZES: '1,2', BENCH_REPS: '1', BENCH_CYCLES: '2,4' },
    timeout: 240_000,
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  const doc = JSON.parse(readFileSync(json, 'utf8')) as BenchJson;
  const names = new Set(doc.rows.map((row) => `${row.name}@${row.n}`));
  for (const n of [1, 2]) {
    for (const row of ['a) oci-netdevices hook', 'a2) hook via daemon', 'a3) hook via front door, no daemon', 'b) ip -batch', 'c) one ip per operation', 'd) CNI host-device']) assert.ok(names.has(`${row}@${n}`), `row ${row} N=${n}`);
  }
  for (const row of ['e) node -e 0', 'runc run, no hook', 'runc run, /bin/true hook', 'runc run, front door + daemon, no devices', 'runc run, hook, no devices', 'bare runc state', 'wrapper state', 'bare runc delete', 'wrapper delete']) assert.ok(names.has(`${row}@0`), row);
  for (const row of doc.rows) for (const s of row.samples) assert.ok(Number.isFinite(s) && s > 0, `${row.name}: sample ${s}`);
  const targets = doc.targets.map((x) => x.what).join('\n');
  for (const want of [/marginal per-device cost a vs/, /marginal per-device cost a2 vs/, /fixed cost/, /engine a2\(1\) vs 1\.3x ip -batch/, /CNI host-device \/ engine at N=1/, /CNI host-device \/ engine at N=2/, /fallback a3\(1\)/, /wrapper state pass-through/, /wrapper delete pass-through/, /runc run, front door hook \+ daemon/, /peak RSS/, /daemon RSS after 4 vs 2 cycles/, /daemon fds after 4 vs 2 cycles/]) assert.match(targets, want);
  for (const x of doc.targets) assert.ok(Number.isFinite(x.ratio), `${x.what}: ratio ${x.ratio}`);
  assert.equal(doc.clean, true, 'links, netns and mounts as before');
  assert.match(r.stdout, /^targets \(ratios from this run\)$/m);
  assert.match(r.stdout, /left behind: nothing/);
});
