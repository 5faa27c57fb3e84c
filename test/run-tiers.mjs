#!/usr/bin/env node
// Runs the test tiers in order: unit (no root), integration (root, real netns),
// e2e (root, real runc/crun/podman). Outside CI a tier whose needs are missing
// is reported SKIPPED; in CI (CI set) that is a failure: nothing is skipped silently there.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const TIERS = {
  unit: { needs: [], concurrency: undefined },
  integration: { needs: ['root', 'ip', 'ethtool'], concurrency: 1 },
  e2e: { needs: ['root', 'ip', 'runc', 'crun', 'podman', 'busybox'], concurrency: 1 },
};

const inCI = Boolean(process.env.CI);
const asked = process.argv.slice(2);
const tiers = asked.length > 0 ? asked : Object.keys(TIERS);

function has(tool) {
  if (tool === 'root') return process.getuid?.() === 0;
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

function testFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.test.js'));
}

let passed = 0;
let failed = 0;
let skipped = 0;
for (const tier of tiers) {
  const spec = TIERS[tier];
  if (spec === undefined) {
    console.error(`unknown tier ${tier}`);
    failed++;
    continue;
  }
  const missing = spec.needs.filter((n) => !has(n));
  if (missing.length > 0) {
    if (inCI) {
      console.error(`tier ${tier}: FAILED: missing ${missing.join(', ')} (CI never skips a tier)`);
      failed++;
    } else {
      console.log(`tier ${tier}: SKIPPED: missing ${missing.join(', ')}`);
      skipped++;
    }
    continue;
  }
  const dir = join('dist', 'test', tier);
  if (testFiles(dir).length === 0) {
    console.error(`tier ${tier}: FAILED: no test files in ${dir}`);
    failed++;
    continue;
  }
  console.log(`\n=== tier ${tier} ===`);
  const args = ['--test', '--test-reporter=spec'];
  if (spec.concurrency !== undefined) args.push(`--test-concurrency=${spec.concurrency}`);
  args.push(dir);
  const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (r.status === 0) passed++;
  else {
    console.error(`tier ${tier}: FAILED (exit ${r.status ?? r.signal})`);
    failed++;
  }
}
console.log(`tiers: ${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
