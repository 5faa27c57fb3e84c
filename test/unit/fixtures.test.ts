/** Walks fixtures/: every good case normalises as expected, every bad case reports the expected issues. */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { collectIssues } from '../../src/config/extract.js';
import type { DeviceSpec } from '../../src/config/model.js';

const FIXTURES = resolve(fileURLToPath(import.meta.url), '../../../../fixtures');

interface Fixture {
  description: string;
  config: unknown;
  annotations?: Record<string, string>;
  expect: { devices?: Array<Record<string, unknown>>; issues?: Array<{ path: string; device: string | null; messageIncludes: string }> };
}

function load(kind: 'good' | 'bad'): Array<[string, Fixture]> {
  const dir = join(FIXTURES, kind);
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => [f, JSON.parse(readFileSync(join(dir, f), 'utf8')) as Fixture]);
}

function summary(d: DeviceSpec): Record<string, unknown> {
  const o: Record<string, unknown> = {
    hostName: d.hostName,
    containerName: d.containerName,
    addresses: d.addresses.map((a) => `${a.text}/${a.prefixLength}`),
    routes: d.routes.map((r) => `${r.destination.text}/${r.destination.prefixLength}${r.gateway ? ` via ${r.gateway.text}` : ''}${r.source ? ` src ${r.source.text}` : ''}${r.scope === 253 ? ' scope 253' : ''}`),
  };
  for (const k of ['mtu', 'hardwareAddr', 'gsoMaxSize', 'groMaxSize', 'gsoIPv4MaxSize', 'groIPv4MaxSize'] as const) if (d[k] !== undefined) o[k] = d[k];
  if (Object.keys(d.ethtool.features).length > 0) o.features = d.ethtool.features;
  if (Object.keys(d.ethtool.privateFlags).length > 0) o.privateFlags = d.ethtool.privateFlags;
  return o;
}

describe('good fixtures', () => {
  const cases = load('good');
  test('there are good cases for both shapes, the alias, networkConfig and annotations', () => assert.ok(cases.length >= 15));
  for (const [file, fx] of cases) {
    test(`${file}: ${fx.description}`, () => {
      const { devices, issues } = collectIssues(fx.config, fx.annotations !== undefined ? { annotations: fx.annotations } : {});
      assert.deepEqual(issues, []);
      assert.deepEqual(devices.map(summary), fx.expect.devices);
    });
  }
});

describe('bad fixtures', () => {
  const cases = load('bad');
  test('the bad-input corpus has at least 60 cases', () => assert.ok(cases.length >= 60, String(cases.length)));
  for (const [file, fx] of cases) {
    test(`${file}: ${fx.description}`, () => {
      const { devices, issues } = collectIssues(fx.config, fx.annotations !== undefined ? { annotations: fx.annotations } : {});
      assert.deepEqual(devices, [], 'no device survives a bad config');
      for (const want of fx.expect.issues ?? []) {
        const hit = issues.find((i) => i.path === want.path && (want.device === null || i.device === want.device) && i.message.includes(want.messageIncludes));
        assert.ok(hit, `expected ${JSON.stringify(want)}\n got ${JSON.stringify(issues, null, 1)}`);
      }
    });
  }
});
