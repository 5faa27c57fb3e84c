/** The daemon collects its garbage once idle (src/daemon/idle-gc.ts): a full collection after the last request ends. */
import assert from 'node:assert/strict';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import { test } from 'node:test';
import { idleGc } from '../../src/daemon/idle-gc.js';

function majorGcs(): { count(): number; stop(): void } {
  let n = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) n++;
  });
  obs.observe({ entryTypes: ['gc'] });
  return { count: () => n, stop: () => obs.disconnect() };
}

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
