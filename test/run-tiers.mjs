#!/usr/bin/env node
// The test command: node test/run-tiers.mjs [unit|integration|integration-daemon|e2e ...] (no args: all, in that order).
//
// Each tier runs `node --test dist/test/<tier>/` (integration and e2e with --test-concurrency=1:
// they share the host's network and runtimes), its output streamed as it comes. A tier fails when
// node --test fails, when it ran zero tests, or when it exceeds its time limit.
// A tier whose needs (root, tools) are missing is a FAILURE when CI is set (CI never skips
// silently) and a clearly printed SKIPPED otherwise.
// Last line: `tiers: N passed, M failed[, K skipped]`; exit status non-zero if any tier failed.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(REPO);

const ROOT_TOOLS = ['ip', 'nsenter', 'mountpoint'];
const TIERS = {
  unit: { needs: [], concurrency: undefined, timeoutMin: 15 },
  integration: { needs: ['root', ...ROOT_TOOLS, 'ethtool', '/usr/lib/cni/macvlan', '/bin/busybox'], concurrency: 1, timeoutMin: 25 },
  e2e: { needs: ['root', ...ROOT_TOOLS, 'runc', 'crun', 'podman', 'jq', '/bin/busybox', '/usr/lib/cni/macvlan'], concurrency: 1, timeoutMin: 25 },
  // A representative half of the integration files again, every hook run through the native front
  // door and a daemon (test/support/front-door.ts): the same assertions hold on both paths.
  'integration-daemon': {
    needs: ['root', ...ROOT_TOOLS, 'ethtool', '/usr/lib/cni/macvlan', '/bin/busybox'],
    concurrency: 1,
    timeoutMin: 20,
    dir: 'integration',
    only: ['bad-inputs', 'create-runtime', 'network-config', 'lifecycle-poststop', 'lifecycle-policy', 'undo-faults', 'undo-signals', 'cni-attachments'],
    env: { OCI_NETDEVICES_TEST_VIA: 'front-door' },
  },
};
const ORDER = ['unit', 'integration', 'integration-daemon', 'e2e'];

const ciRaw = process.env.CI ?? '';
const inCI = ciRaw !== '' && ciRaw !== '0' && ciRaw.toLowerCase() !== 'false';
const asked = process.argv.slice(2).filter((a) => a !== '');
const tiers = asked.length > 0 ? asked : ORDER;
// Per-test limit so one hung test cannot stall the tier (the tier limit is the backstop).
const TEST_TIMEOUT_MS = Number(process.env.TEST_TIMEOUT_MS ?? 300_000);

function missingNeed(need) {
  if (need === 'root') return process.getuid?.() === 0 ? undefined : 'root (run as root / sudo)';
  if (need.startsWith('/')) return existsSync(need) ? undefined : need;
  return spawnSync('sh', ['-c', 'command -v "$1" >/dev/null', 'sh', need], { stdio: 'ignore' }).status === 0 ? undefined : need;
}

function testFiles(dir) {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  return readdirSync(dir, { recursive: true }).map(String).filter((f) => /\.test\.(c|m)?js$/.test(f)).sort();
}

/**
 * dist/ outlives deleted or renamed sources (tsc never removes output): a compiled test whose
 * test/<tier>/*.test.ts is gone is stale and is not run. Returns [current, stale].
 */
function splitStale(tier, files) {
  const srcDir = join('test', tier);
  if (!existsSync(srcDir)) return [files, []];
  const current = [];
  const stale = [];
  for (const f of files) {
    const base = f.replace(/\.(c|m)?js$/, '');
    const ext = f.endsWith('.mjs') ? ['.mts'] : f.endsWith('.cjs') ? ['.cts'] : ['.ts', '.tsx'];
    (ext.some((e) => existsSync(join(srcDir, base + e))) ? current : stale).push(f);
  }
  return [current, stale];
}

/** The TAP summary (`# tests N`, `# pass N`, ...) of the top-level run. */
function tapSummary(text) {
  const summary = {};
  for (const m of text.matchAll(/^# (tests|suites|pass|fail|cancelled|skipped|todo) (\d+)$/gm)) summary[m[1]] = Number(m[2]);
  // node 20 reports a test file that declares no tests as one passing test named by its path:
  // those are not tests, and a tier made only of them ran zero tests.
  summary.emptyFiles = [...text.matchAll(/^ok \d+ - (\/\S+\.test\.[cm]?js)$/gm)].map((m) => m[1]);
  return summary;
}

let child;
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (child?.pid !== undefined) {
      try {
        process.kill(-child.pid, sig);
      } catch {
        /* gone */
      }
    }
    console.error(`\nrun-tiers: ${sig}, stopping`);
    process.exit(130);
  });
}

function runTier(tier, spec, paths) {
  const tmp = mkdtempSync(join(tmpdir(), `run-tiers-${tier}-`));
  const tap = join(tmp, 'report.tap');
  const args = ['--test', '--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tap}`];
  if (spec.concurrency !== undefined) args.push(`--test-concurrency=${spec.concurrency}`);
  if (TEST_TIMEOUT_MS > 0) args.push(`--test-timeout=${TEST_TIMEOUT_MS}`);
  args.push(...paths);
  console.log(`$ node ${args.filter((a) => !a.startsWith('--test-reporter')).join(' ')}`);
  const started = Date.now();
  return new Promise((resolve) => {
    // Own process group so a timeout can stop the test files' children too.
    child = spawn(process.execPath, args, { stdio: ['ignore', 'inherit', 'inherit'], detached: true, env: { ...process.env, ...spec.env } });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      console.error(`tier ${tier}: time limit of ${spec.timeoutMin} min reached, stopping it`);
      try {
        process.kill(-child.pid, 'SIGTERM');
        setTimeout(() => {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }, 10_000).unref();
      } catch {
        /* gone */
      }
    }, spec.timeoutMin * 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      child = undefined;
      const summary = existsSync(tap) ? tapSummary(readFileSync(tap, 'utf8')) : {};
      rmSync(tmp, { recursive: true, force: true });
      resolve({ code, signal, timedOut, summary, seconds: Math.round((Date.now() - started) / 1000) });
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, timedOut: false, summary: {}, error: e, seconds: 0 });
    });
  });
}

let passed = 0;
let failed = 0;
let skipped = 0;
const lines = [];
for (const tier of tiers) {
  const spec = TIERS[tier];
  if (spec === undefined) {
    console.error(`run-tiers: unknown tier "${tier}" (known: ${ORDER.join(', ')})`);
    lines.push(`tier ${tier}: FAILED (unknown tier)`);
    failed++;
    continue;
  }
  console.log(`\n=== tier ${tier} ===`);
  const missing = spec.needs.map(missingNeed).filter((m) => m !== undefined);
  if (missing.length > 0) {
    if (inCI) {
      const line = `tier ${tier}: FAILED: missing ${missing.join(', ')} (CI is set: a tier is never skipped in CI)`;
      console.error(line);
      lines.push(line);
      failed++;
    } else {
      const line = `tier ${tier}: SKIPPED: missing ${missing.join(', ')}`;
      console.log(line);
      lines.push(line);
      skipped++;
    }
    continue;
  }
  const dir = join('dist', 'test', spec.dir ?? tier);
  const [all, stale] = splitStale(spec.dir ?? tier, testFiles(dir));
  const files = spec.only === undefined ? all : all.filter((f) => spec.only.includes(f.replace(/\.test\.(c|m)?js$/, '')));
  for (const f of stale) console.log(`tier ${tier}: not running stale ${join(dir, f)} (its source test/${tier}/${f.replace(/js$/, 'ts')} is gone)`);
  if (files.length === 0) {
    const line = `tier ${tier}: FAILED: no *.test.js files in ${dir} (did the build run? npm run build)`;
    console.error(line);
    lines.push(line);
    failed++;
    continue;
  }
  const r = await runTier(tier, spec, stale.length === 0 && spec.only === undefined ? [`${dir}/`] : files.map((f) => join(dir, f)));
  const s = r.summary;
  const empty = s.emptyFiles ?? [];
  for (const f of empty) console.error(`tier ${tier}: WARNING: ${f} declares no tests`);
  if (s.tests !== undefined) s.tests -= empty.length;
  if (s.pass !== undefined) s.pass -= empty.length;
  const counts = s.tests === undefined ? 'no summary' : `${s.tests} tests, ${s.pass ?? 0} pass, ${s.fail ?? 0} fail, ${s.cancelled ?? 0} cancelled, ${s.skipped ?? 0} skipped${(s.todo ?? 0) > 0 ? `, ${s.todo} todo` : ''}`;
  let why;
  if (r.error !== undefined) why = `could not start node: ${r.error.message}`;
  else if (r.timedOut) why = 'time limit reached';
  else if (r.code !== 0) why = `exit ${r.code ?? r.signal}`;
  else if (s.tests === undefined) why = 'no test summary from node --test';
  else if (s.tests === 0) why = 'zero tests ran';
  else if ((s.fail ?? 0) > 0 || (s.cancelled ?? 0) > 0) why = 'failures reported';
  const line = `tier ${tier}: ${why === undefined ? 'PASSED' : `FAILED (${why})`}: ${counts} in ${r.seconds}s`;
  if (why === undefined) {
    passed++;
    console.log(line);
  } else {
    failed++;
    console.error(line);
  }
  lines.push(line);
}

console.log('');
for (const l of lines) console.log(l);
console.log(`tiers: ${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
