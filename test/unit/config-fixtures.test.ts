/**
 * Walks fixtures/ (the conformance corpus): every good case normalises to
 * exactly its expected devices, every bad case reports at least its expected
 * issues and no device; extractDevices agrees with collectIssues; the good
 * inputs also pass the published JSON Schemas compiled here with ajv.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';
import { UNREADABLE, collectIssues, extractDevices, requestsDevices } from '../../src/config/extract.js';
import type { DeviceSpec } from '../../src/config/model.js';
import { INTERFACE_FIELD_NAMES } from '../../src/config/interface-fields.js';
import { ruleText } from '../../src/config/dranet-rules.js';
import { ValidationError } from '../../src/errors.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');

interface ExpectedIssue {
  path: string;
  device: string | null;
  messageIncludes: string;
}
interface Fixture {
  description: string;
  config: unknown;
  annotations?: Record<string, string>;
  expect: { devices?: Array<Record<string, unknown>>; issues?: ExpectedIssue[] };
}

function load(kind: 'good' | 'bad'): Array<[string, Fixture]> {
  const dir = join(ROOT, 'fixtures', kind);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => [f, JSON.parse(readFileSync(join(dir, f), 'utf8')) as Fixture]);
}

const optsOf = (fx: Fixture): { annotations?: Record<string, string> } => (fx.annotations !== undefined ? { annotations: fx.annotations } : {});

/** The fixture notation of a device: CIDR strings, `dst via gw src s scope 253` routes, ethtool maps only when not empty. */
function summary(d: DeviceSpec): Record<string, unknown> {
  const o: Record<string, unknown> = {
    hostName: d.hostName,
    containerName: d.containerName,
    addresses: d.addresses.map((a) => `${a.text}/${a.prefixLength}`),
    routes: d.routes.map((r) => `${r.destination.text}/${r.destination.prefixLength}${r.gateway ? ` via ${r.gateway.text}` : ''}${r.source ? ` src ${r.source.text}` : ''}${r.scope === 253 ? ' scope 253' : ''}${r.table !== 254 ? ` table ${r.table}` : ''}`),
  };
  if (d.rules.length > 0) o.rules = d.rules.map(ruleText);
  if (d.neighbors.length > 0) o.neighbors = d.neighbors.map((n) => `${n.destination.text} lladdr ${n.hardwareAddr}`);
  if (Object.keys(d.sysctls).length > 0) o.sysctls = d.sysctls;
  if (d.addressing !== 'Static') o.addressing = d.addressing;
  if (d.linkType !== 'passthrough') o.type = d.linkType;
  if (d.vrf !== undefined) o.vrf = `${d.vrf.name} table ${d.vrf.table}`;
  for (const k of INTERFACE_FIELD_NAMES) if (d[k] !== undefined) o[k] = d[k];
  if (Object.keys(d.ethtool.features).length > 0) o.features = d.ethtool.features;
  if (Object.keys(d.ethtool.privateFlags).length > 0) o.privateFlags = d.ethtool.privateFlags;
  return o;
}

describe('conformance fixtures: good', () => {
  const cases = load('good');
  test('at least 15 good cases', () => assert.ok(cases.length >= 15, String(cases.length)));
  for (const [file, fx] of cases) {
    test(`${file}: ${fx.description}`, () => {
      const { devices, issues } = collectIssues(fx.config, optsOf(fx));
      assert.deepEqual(issues, []);
      assert.deepEqual(devices.map(summary), fx.expect.devices);
      assert.deepEqual(extractDevices(fx.config, optsOf(fx)), devices);
      for (const d of devices) {
        assert.match(d.path, /^(linux\.net[dD]evices|annotations\[)/);
        for (const r of d.routes) assert.ok(r.path.startsWith(d.path) || r.path.startsWith('annotations['), r.path);
      }
    });
  }
});

describe('conformance fixtures: bad', () => {
  const cases = load('bad');
  test('at least 70 bad cases', () => assert.ok(cases.length >= 70, String(cases.length)));
  for (const [file, fx] of cases) {
    test(`${file}: ${fx.description}`, () => {
      const { devices, issues } = collectIssues(fx.config, optsOf(fx));
      assert.deepEqual(devices, [], 'no device survives a bad config');
      // The hook's cheap pre-check must not wave a bad config through unvalidated.
      if (typeof fx.config === 'object' && fx.config !== null && !Array.isArray(fx.config)) {
        assert.ok(requestsDevices(fx.config, fx.annotations), 'requestsDevices() must send a bad config to validation');
      }
      assert.ok((fx.expect.issues ?? []).length > 0, 'a bad case lists the issues it expects');
      for (const want of fx.expect.issues ?? []) {
        const hit = issues.find((i) => i.path === want.path && (want.device === null || i.device === want.device) && i.message.includes(want.messageIncludes));
        assert.ok(hit, `expected ${JSON.stringify(want)}\n got ${JSON.stringify(issues, null, 1)}`);
      }
      for (const i of issues) assert.ok(!i.message.startsWith(UNREADABLE), i.message);
      assert.throws(
        () => extractDevices(fx.config, optsOf(fx)),
        (e: unknown) => e instanceof ValidationError && e.issues.length === issues.length,
      );
    });
  }
});

describe('the published schemas accept every good input', () => {
  const Ajv = AjvModule.default;
  const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strict: true });
  for (const f of ['network-config', 'netdevices-array', 'netdevices-map', 'nri-annotation', 'devices-annotation']) {
    ajv.addSchema(JSON.parse(readFileSync(join(ROOT, 'spec', 'schema', `${f}.schema.json`), 'utf8')) as object);
  }
  const base = 'https://oci-netdevices.io/schema/';
  for (const [file, fx] of load('good')) {
    test(file, () => {
      const linux = (fx.config as { linux?: Record<string, unknown> }).linux ?? {};
      for (const key of ['netDevices', 'netdevices']) {
        const v = linux[key];
        if (v === undefined) continue;
        const ok = ajv.validate(`${base}${Array.isArray(v) ? 'netdevices-array' : 'netdevices-map'}.schema.json`, v);
        assert.ok(ok, JSON.stringify(ajv.errors));
      }
      const ann = fx.annotations?.['oci-netdevices.io/devices'];
      if (ann !== undefined && ann.trim().startsWith('{') ) {
        assert.ok(ajv.validate(`${base}devices-annotation.schema.json`, JSON.parse(ann)), JSON.stringify(ajv.errors));
      }
    });
  }
});
