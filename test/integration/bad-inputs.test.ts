/** Every bad-input fixture, run by the real hook against real links: a clear error, and nothing changed. */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { Sandbox, ipJson, runcState, uniqueName } from './hook-kit.js';

const FIXTURES = resolve(fileURLToPath(import.meta.url), '../../../../fixtures/bad');
const box = new Sandbox();
after(() => box.cleanup());

describe('bad inputs against real links', () => {
  const [v1] = box.veth();
  const [v2] = box.veth();
  const ctr = box.container();
  const snapshot = (): string => JSON.stringify([v1, v2].map((d) => ipJson(undefined, '-d', 'addr', 'show', d)));
  const hostBefore = snapshot();
  for (const file of readdirSync(FIXTURES).filter((f) => f.endsWith('.json')).sort()) {
    test(file, () => {
      // The corpus names its devices v1 and v2: give them this run's real veths.
      const text = readFileSync(join(FIXTURES, file), 'utf8').replace(/\bv1\b/g, v1).replace(/\bv2\b/g, v2);
      const fx = JSON.parse(text) as { config: Record<string, unknown>; annotations?: Record<string, string>; expect: { issues: Array<{ path: string; device: string | null }> } };
      const config = { ...fx.config, ...(fx.annotations !== undefined ? { annotations: fx.annotations } : {}) };
      const bundle = box.bundle(config);
      const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, bundle));
      assert.equal(r.status, 3, `${file}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr.trimEnd().split('\n').length, 1, 'one line');
      for (const want of fx.expect.issues) {
        assert.ok(r.stderr.includes(want.path), `${file}: stderr names ${want.path}: ${r.stderr}`);
        if (want.device !== null) assert.ok(r.stderr.includes(`device ${JSON.stringify(want.device)}`), `${file}: stderr names the device: ${r.stderr}`);
      }
      assert.deepEqual(ipJson(ctr.netns, 'link', 'show').map((l) => l.ifname), ['lo']);
    });
  }
  test('the host is exactly as before the whole corpus', () => {
    assert.equal(snapshot(), hostBefore);
  });
});
