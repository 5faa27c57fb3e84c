/**
 * Every front end sees a CNI attachment request: the wrapper adds its hooks
 * for it, podman's hooks.d matches its key, the hook's global flags carry
 * the CNI path; and the status entries have cni-dra-driver's shape.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseFastHook } from '../../src/cli/entry.js';
import { attachmentStatus } from '../../src/cni/status.js';
import { parseResult } from '../../src/cni/result.js';
import { StepError } from '../../src/errors.js';
import { ANNOTATION_KEY_REGEX } from '../../src/install/hooks-d.js';
import { prepareBundle } from '../../src/runtime/prepare-bundle.js';
import { hookArgsFromEnv } from '../../src/runtime/state-probe.js';
import { readWrapperConfig } from '../../src/runtime/wrapper-config.js';

const CNI = JSON.stringify([{ ifName: 'net1', config: { cniVersion: '1.0.0', name: 'n', type: 'macvlan' } }]);

test('the wrapper adds its hooks to a config that asks only for a CNI attachment, not for a blank one', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ond-unit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify({ ociVersion: '1.0.2', annotations: { 'oci-netdevices.io/cni': ' ' } }));
  assert.equal(prepareBundle(path, { hookBin: '/h' }), 'untouched');
  writeFileSync(path, JSON.stringify({ ociVersion: '1.0.2', annotations: { 'oci-netdevices.io/cni': CNI } }));
  assert.equal(prepareBundle(path, { hookBin: '/h' }), 'rewritten');
  const hooks = (JSON.parse(readFileSync(path, 'utf8')) as { hooks: Record<string, unknown[]> }).hooks;
  assert.equal(hooks.createRuntime?.length, 1);
  assert.equal(hooks.poststop?.length, 1);
});

test('hooks.d matches the CNI annotation key exactly', () => {
  const re = new RegExp(ANNOTATION_KEY_REGEX);
  assert.match('oci-netdevices.io/cni', re);
  assert.doesNotMatch('oci-netdevices.io/cnix', re);
  assert.doesNotMatch('xoci-netdevices.io/cni', re);
});

test('--cni-path: on the hook fast path, and from the wrapper environment or runtime.json', (t) => {
  assert.deepEqual(parseFastHook(['--cni-path', '/a:/b', 'hook', 'createRuntime']), { stage: 'createRuntime', options: { 'cni-path': '/a:/b' } });
  assert.deepEqual(hookArgsFromEnv({ OCI_NETDEVICES_CNI_PATH: '/env' }, { cniPath: '/file' }), ['--cni-path', '/env']);
  assert.deepEqual(hookArgsFromEnv({}, { cniPath: '/file' }), ['--cni-path', '/file']);
  const dir = mkdtempSync(join(tmpdir(), 'ond-unit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'runtime.json'), '{"cniPath": "/opt/cni/bin"}');
  assert.deepEqual(readWrapperConfig(join(dir, 'runtime.json')), { cniPath: '/opt/cni/bin' });
});

test('status: Ready/NetworkInterfaceReady with networkData and the raw result; NotReady with the failure', () => {
  const a = { index: 0, ifName: 'net1', config: { cniVersion: '1.0.0' as const, name: 'n', plugins: [{ type: 'macvlan' }] } };
  const b = { index: 1, ifName: 'net2', config: { cniVersion: '1.0.0' as const, name: 'm', plugins: [{ type: 'tuning' }] } };
  const raw = { cniVersion: '1.0.0', interfaces: [{ name: 'net1', mac: '0a:00:00:00:00:01', sandbox: '/p' }], ips: [{ address: '10.1.0.2/24', interface: 0 }] };
  const [ok] = attachmentStatus([a], new Map([['net1', parseResult(raw)]]), undefined, '2026-01-01T00:00:00Z');
  assert.deepEqual(ok, {
    driver: 'oci-netdevices.io', pool: ok!.pool, device: 'net1',
    conditions: [{ type: 'Ready', status: 'True', reason: 'NetworkInterfaceReady', message: 'network "n" attached as net1', lastTransitionTime: '2026-01-01T00:00:00Z' }],
    networkData: { interfaceName: 'net1', ips: ['10.1.0.2/24'], hardwareAddress: '0a:00:00:00:00:01' },
    data: raw,
  });
  const err = new StepError('CNI ADD of network "m"', 'net2', new Error('plugin "tuning": bad sysctl'));
  const failed = attachmentStatus([a, b], new Map(), err, '2026-01-01T00:00:00Z');
  assert.deepEqual(failed.map((s) => [s.device, s.conditions[0]!.status, s.conditions[0]!.reason]), [['net1', 'False', 'NetworkInterfaceNotReady'], ['net2', 'False', 'NetworkInterfaceNotReady']]);
  assert.match(failed[1]!.conditions[0]!.message, /bad sysctl/);
  assert.match(failed[0]!.conditions[0]!.message, /not attached: "net2" failed/);
  assert.equal(failed[0]!.networkData, undefined);
});
