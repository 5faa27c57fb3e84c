import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { PolicyError } from '../../src/errors.js';
import { loadPolicy, parsePolicy } from '../../src/policy/policy.js';

const scratch = mkdtempSync(join(tmpdir(), 'ond-policy-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

test('a valid policy file is accepted as written', () => {
  const raw = { allowDevices: ['veth*', 'eth[1-9]'], allowDefaultRouteDevices: ['eth1'], allowBridgePorts: ['vport*'], teardown: 'kernel' };
  assert.deepEqual(parsePolicy(raw, '/p'), { ...raw, source: '/p' });
  assert.deepEqual(parsePolicy({}, '/p'), { source: '/p' });
});

test('the schema refuses what it does not know, with the path in the message', () => {
  const bad: Array<[unknown, RegExp]> = [
    [{ allowDevices: 'everything' }, /\/allowDevices must be array/],
    [{ allowDevices: [''] }, /\/allowDevices\/0 must NOT have fewer than 1 characters/],
    [{ allowDevices: [7] }, /\/allowDevices\/0 must be string/],
    [{ teardown: 'sometimes' }, /\/teardown must be equal to one of the allowed values/],
    [{ allowDevice: ['x'] }, /must NOT have additional properties \(allowDevice\)/],
    [[], /must be object/],
    [{ allowBridgePorts: ['eth[1-'] }, /\/allowBridgePorts: glob "eth\[1-".*without a closing/],
  ];
  for (const [raw, re] of bad) {
    assert.throws(() => parsePolicy(raw, '/etc/p.json'), (e: unknown) => e instanceof PolicyError && /^policy file \/etc\/p\.json is invalid: /.test(e.message) && re.test(e.message), JSON.stringify(raw));
  }
});

test('loading: explicit path (flag or env, folded in by the CLI), default file only if present; unreadable or non-JSON is a PolicyError', () => {
  const p = join(scratch, 'policy.json');
  writeFileSync(p, JSON.stringify({ allowDevices: ['x*'] }));
  assert.deepEqual(loadPolicy(p).allowDevices, ['x*']);
  assert.equal(loadPolicy(p).source, p);
  assert.throws(() => loadPolicy(join(scratch, 'missing.json')), PolicyError, 'an explicitly named policy must exist');
  writeFileSync(p, '{ not json');
  assert.throws(() => loadPolicy(p), (e: unknown) => e instanceof PolicyError && e.message.includes(p));
});
