import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFastHook } from '../../src/cli/entry.js';
import { parseOciState, specMajor } from '../../src/hook/oci-state.js';
import { UsageError } from '../../src/errors.js';

test('hook argv forms take the fast path', () => {
  assert.deepEqual(parseFastHook(['hook', 'createRuntime']), { stage: 'createRuntime', options: {} });
  assert.deepEqual(parseFastHook(['--log-file', '/x', 'hook', 'poststop']), { stage: 'poststop', options: { 'log-file': '/x' } });
  assert.deepEqual(parseFastHook(['--state-dir=/s', 'hook', 'createRuntime', '--timeout', '5']), { stage: 'createRuntime', options: { 'state-dir': '/s', timeout: '5' } });
});

test('anything else goes to the full CLI', () => {
  assert.equal(parseFastHook(['validate', 'x.json']), undefined);
  assert.equal(parseFastHook(['--help']), undefined);
  assert.equal(parseFastHook(['hook']), undefined);
  assert.equal(parseFastHook(['--log-file']), undefined);
  assert.equal(parseFastHook(['hook', 'createRuntime', 'extra']), undefined);
  assert.equal(parseFastHook(['--unknown', 'v', 'hook', 'createRuntime']), undefined);
});

test('runc and crun state forms', () => {
  const runc = parseOciState('{"ociVersion":"1.0.2","id":"abc","status":"creating","pid":42,"bundle":"/b"}');
  assert.deepEqual(runc, { ociVersion: '1.0.2', id: 'abc', status: 'creating', pid: 42, bundle: '/b', annotations: {} });
  const crun = parseOciState('{"ociVersion":"1.0.0","id":"abc","status":"created","pid":42,"bundle":"/b","root":"/b/rootfs","annotations":{"k":"v"}}');
  assert.equal(crun.status, 'created');
  assert.deepEqual(crun.annotations, { k: 'v' });
  // poststop: runc sends no pid, crun sends 0
  assert.equal(parseOciState('{"id":"a","bundle":"/b","status":"stopped"}').pid, undefined);
  assert.equal(parseOciState('{"id":"a","bundle":"/b","status":"stopped","pid":0}').pid, undefined);
});

test('state ociVersion: any runtime-spec 1.x (pre-releases, crun\'s "1.0" too), absent allowed, 2.x and non-versions refused', () => {
  const state = (v: unknown): string => JSON.stringify({ ...(v !== undefined ? { ociVersion: v } : {}), id: 'abc', status: 'creating', pid: 42, bundle: '/b' });
  assert.equal(parseOciState(state('1.0.2-dev')).ociVersion, '1.0.2-dev');
  assert.equal(parseOciState(state('1.3.0')).ociVersion, '1.3.0');
  assert.equal(parseOciState(state(undefined)).ociVersion, '');
  assert.equal(parseOciState(state('1.0')).ociVersion, '1.0', 'crun 1.8 writes "1.0"');
  assert.throws(() => parseOciState(state('2.0.0')), /ociVersion "2\.0\.0" is runtime-spec 2\.x; this hook reads 1\.x/);
  assert.throws(() => parseOciState(state('2')), /ociVersion "2" is runtime-spec 2\.x/);
  assert.throws(() => parseOciState(state('v1.x')), /ociVersion "v1\.x" is not a semantic version/);
  assert.throws(() => parseOciState(state(1)), /ociVersion 1 is not a semantic version/);
});

test('bad states are usage errors naming the field', () => {
  const bad: Array<[string, RegExp]> = [
    ['not json', /not JSON/],
    ['[]', /JSON object/],
    ['{"bundle":"/b"}', /"id"/],
    ['{"id":"../x","bundle":"/b"}', /not a valid container id/],
    ['{"id":"a/b","bundle":"/b"}', /not a valid container id/],
    ['{"id":"a","bundle":"rel"}', /absolute/],
    ['{"id":"a","bundle":"/b","pid":-1}', /pid/],
    ['{"id":"a","bundle":"/b","pid":"1"}', /pid/],
  ];
  for (const [text, re] of bad) {
    assert.throws(() => parseOciState(text), (e: unknown) => e instanceof UsageError && re.test(e.message), text);
  }
});

test('ociVersion without semver for strict SemVer 2.0.0, with it for anything else: the same verdict as semver alone', async () => {
  const { default: parse } = await import('semver/functions/parse.js');
  const { default: coerce } = await import('semver/functions/coerce.js');
  const reference = (v: string): number | undefined => (parse(v) ?? (/^\d+(\.\d+){0,2}$/.test(v) ? coerce(v) : null))?.major;
  const cases = [
    '1.0.0', '1.0.2', '1.3.0', '1.0.2-dev', '1.2.3-rc.1+build.5', '1.0.0-alpha-beta.0a', '1.0.0+001', '0.1.0', '2.0.0', '10.20.30',
    '1.0', '1', '2', 'v1.0.0', '=1.0.0', ' 1.0.0 ', '01.0.0', '1.01.0', '1.0.0-01', '1.0.0-', '1.0.0+', '1.0.0-a..b', '1.x', 'v1.x', '',
    '1.0.0.0', '999999999999999.0.0', '9999999999999999.0.0', '1.9999999999999999999.0', `1.0.0-${'a'.repeat(300)}`, '1.0.0-\u00e9',
  ];
  for (const v of cases) assert.equal(specMajor(v), reference(v), JSON.stringify(v));
});
