/**
 * Walks fixtures/cni/ (CNI attachment annotations): every good case yields
 * exactly its expected attachments, every bad case reports at least its
 * expected issues (JSON path, attachment, message) and no attachment.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CNI_ANNOTATION } from '../../src/config/annotations.js';
import { requestsDevices } from '../../src/config/extract.js';
import { collectAttachmentIssues, extractAttachments } from '../../src/cni/extract.js';
import { ValidationError } from '../../src/errors.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');

interface Fixture {
  description: string;
  annotation: string;
  deviceNames?: string[];
  expect: { attachments?: Array<Record<string, unknown>>; issues?: Array<{ path: string; device: string | null; messageIncludes: string }> };
}

function load(kind: 'good' | 'bad'): Array<[string, Fixture]> {
  const dir = join(ROOT, 'fixtures', 'cni', kind);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => [f, JSON.parse(readFileSync(join(dir, f), 'utf8')) as Fixture]);
}

describe('CNI fixtures: good', () => {
  const cases = load('good');
  test('at least 6 good cases', () => assert.ok(cases.length >= 6));
  for (const [file, fx] of cases) {
    test(`${file}: ${fx.description}`, () => {
      const ann = { [CNI_ANNOTATION]: fx.annotation };
      const { attachments, issues } = collectAttachmentIssues(ann, fx.deviceNames ?? []);
      assert.deepEqual(issues, []);
      const got = attachments.map((a) => ({
        ifName: a.ifName,
        network: a.config.name,
        cniVersion: a.config.cniVersion,
        plugins: a.config.plugins.map((p) => p.type),
        ...(a.config.disableCheck === true ? { disableCheck: true } : {}),
      }));
      assert.deepEqual(got, fx.expect.attachments);
      // A request the wrapper and the hook's cheap check see (a blank one asks for nothing).
      assert.equal(requestsDevices({ annotations: ann }), got.length > 0);
    });
  }
});

describe('CNI fixtures: bad', () => {
  const cases = load('bad');
  test('at least 12 bad cases', () => assert.ok(cases.length >= 12));
  for (const [file, fx] of cases) {
    test(`${file}: ${fx.description}`, () => {
      const ann = { [CNI_ANNOTATION]: fx.annotation };
      const { attachments, issues } = collectAttachmentIssues(ann, fx.deviceNames ?? []);
      assert.deepEqual(attachments, []);
      for (const want of fx.expect.issues ?? []) {
        const hit = issues.find((i) => i.path === want.path && (i.device ?? null) === want.device && i.message.includes(want.messageIncludes));
        assert.ok(hit, `expected ${JSON.stringify(want)} in ${JSON.stringify(issues)}`);
      }
      assert.throws(() => extractAttachments(ann, fx.deviceNames ?? []), (e: unknown) => e instanceof ValidationError && e.issues.length === issues.length);
      assert.ok(requestsDevices({ annotations: ann }), 'a bad request still counts as one, so that validation reports it');
    });
  }
});

test('a single plugin config is wrapped as a one-plugin list with the same plugin config', () => {
  const conf = { cniVersion: '1.0.0', name: 'one', type: 'macvlan', master: 'x', capabilities: { ips: true } };
  const [a] = extractAttachments({ [CNI_ANNOTATION]: JSON.stringify([{ ifName: 'net1', config: conf }]) });
  assert.deepEqual(a!.config, { cniVersion: '1.0.0', name: 'one', plugins: [conf] });
});
