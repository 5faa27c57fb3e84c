/** The daemon collects its garbage once idle (src/daemon/idle-gc.ts): a full collection after the last request ends. */
import assert from 'node:assert/strict';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { test } from 'node:test';
import { getHeapSpaceStatistics } from 'node:v8';
import { idleGc } from '../../src/daemon/idle-gc.js';

function gcsOfKind(kind: number): { count(): number; stop(): void } {
  let n = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === kind) n++;
  });
  obs.observe({ entryTypes: ['gc'] });
  return { count: () => n, stop: () => obs.disconnect() };
}
const majorGcs = (): ReturnType<typeof gcsOfKind> => gcsOfKind(constants.NODE_PERFORMANCE_GC_MAJOR);

test('after each request, once idle, the young generation is collected (a scavenge); a full collection once the heap grew', async () => {
  const calls: string[] = [];
  let heap = 10;
  const collector = idleGc(4, (opts) => calls.push(opts?.type ?? 'full'), () => heap);
  const idle = (): Promise<void> => new Promise((r) => setTimeout(r, 150));
  try {
    collector.busy();
    collector.done(0);
    await idle();
    assert.deepEqual(calls, ['minor'], 'the idle daemon scavenges, so the next request does not pay for one');
    collector.busy();
    collector.done(1);
    await idle();
    assert.deepEqual(calls, ['minor'], 'nothing while another request is in flight');
    heap = 15;
    collector.busy();
    collector.done(0);
    await idle();
    assert.deepEqual(calls, ['minor', 'full'], 'grown by 4 or more: a full collection instead');
    collector.busy();
    collector.done(0);
    collector.busy(); // a request arrives before the scavenge ran: it is put off
    await idle();
    assert.deepEqual(calls, ['minor', 'full']);
  } finally {
    collector.stop();
  }
});

test('after the last request, a full collection runs once the daemon has been idle a moment and its heap has grown', async () => {
  const gcs = majorGcs();
  const collector = idleGc(1024 * 1024);
  const garbage: unknown[] = [];
  try {
    collector.busy();
    for (let i = 0; i < 20_000; i++) garbage.push({ i, s: `x${i}` });
    garbage.length = 0;
    collector.done(0);
    await new Promise((r) => setTimeout(r, 400));
    assert.ok(gcs.count() >= 1, 'a major GC ran');
  } finally {
    collector.stop();
    gcs.stop();
  }
});

test('the idle collection compacts: the old space gives back the pages its garbage left fragmented', async () => {
  const oldSpace = (): { size: number; used: number } => {
    const s = getHeapSpaceStatistics().find((x) => x.space_name === 'old_space')!;
    return { size: s.space_size, used: s.space_used_size };
  };
  // Long-lived objects spread over many old-space pages, then most of them dropped: every page
  // keeps a few survivors, which V8's own heuristics leave in place.
  let spread: Array<{ i: number; s: string }> = [];
  for (let i = 0; i < 300_000; i++) spread.push({ i, s: `y${i}` });
  await new Promise((r) => setTimeout(r, 10)); // survive into the old generation
  spread = spread.filter((_, i) => i % 64 === 0);
  const before = oldSpace();
  const collector = idleGc(1);
  try {
    collector.busy();
    collector.done(0);
    await new Promise((r) => setTimeout(r, 400));
    const after = oldSpace();
    assert.ok(spread.length > 4000);
    assert.ok(after.size < before.size / 2, `old space ${(before.size / 1048576).toFixed(1)} -> ${(after.size / 1048576).toFixed(1)} MB (live ${(after.used / 1048576).toFixed(1)} MB)`);
  } finally {
    collector.stop();
  }
});
