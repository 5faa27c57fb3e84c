/**
 * CDI: the spec `cdi generate` writes (golden, per cdiVersion, and shaped as the CDI schema
 * of that version allows), device-name rules, which interfaces are offered, the hook's
 * `--cdi-device` argv, how CDI entries cooperate, and how CDI devices merge with the config's.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NamespaceView } from '../../src/apply/inspect.js';
import { planCdi } from '../../src/cdi/hook-entries.js';
import { CDI_KIND, cdiNameProblem, qualifiedName } from '../../src/cdi/names.js';
import { selectDevices } from '../../src/cdi/select.js';
import { type CdiVersion, CDI_VERSIONS, DEFAULT_CDI_VERSION, buildCdiSpec } from '../../src/cdi/spec.js';
import { givenOptions, parseFastHook } from '../../src/cli/entry.js';
import { buildProgram } from '../../src/cli/main.js';
import { collectIssues, extractDevices } from '../../src/config/extract.js';
import { UsageError, ValidationError } from '../../src/errors.js';
import type { Link } from '../../src/netlink/link.js';
import { RTNL } from '../../src/netlink/constants.js';
import type { Route } from '../../src/netlink/route.js';

const BIN = '/opt/oci-netdevices/bin/oci-netdevices';

const goldenDevice = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name,
  containerEdits: {
    hooks: [
      { hookName: 'createRuntime', path: BIN, args: ['oci-netdevices', '--state-dir', '/s', 'hook', 'createRuntime', '--cdi-device', name] },
      { hookName: 'poststop', path: BIN, args: ['oci-netdevices', '--state-dir', '/s', 'hook', 'poststop', '--cdi-device', name] },
    ],
    ...extra,
  },
});

test('golden specs: 0.5.0 and 0.6.0 carry only hooks; 1.1.0 adds netDevices (the device keeps its name)', () => {
  const gen = (version: CdiVersion): unknown => JSON.parse(JSON.stringify(buildCdiSpec({ version, hookBin: BIN, devices: ['veth1', 'ens1f0'], extraArgs: ['--state-dir', '/s'] })));
  for (const version of ['0.5.0', '0.6.0'] as const) {
    assert.deepEqual(gen(version), { cdiVersion: version, kind: 'oci-netdevices.io/netdev', devices: [goldenDevice('veth1'), goldenDevice('ens1f0')] });
  }
  assert.deepEqual(gen('1.1.0'), {
    cdiVersion: '1.1.0', kind: 'oci-netdevices.io/netdev',
    devices: [goldenDevice('veth1', { netDevices: [{ hostInterfaceName: 'veth1', name: 'veth1' }] }), goldenDevice('ens1f0', { netDevices: [{ hostInterfaceName: 'ens1f0', name: 'ens1f0' }] })],
  });
  assert.equal(DEFAULT_CDI_VERSION, '0.5.0', 'podman 4.3 reads nothing newer');
});

/**
 * The CDI schema's shape (container-device-interface schema/defs.json), by version: which keys
 * each level may carry. A parser of a version older than a field refuses the whole spec
 * (podman 4.3 and containerd 2.1: `json: unknown field "netDevices"`).
 */
const EDIT_KEYS: Record<CdiVersion, string[]> = {
  '0.5.0': ['env', 'deviceNodes', 'hooks', 'mounts'],
  '0.6.0': ['env', 'deviceNodes', 'hooks', 'mounts'],
  '1.1.0': ['env', 'deviceNodes', 'hooks', 'mounts', 'intelRdt', 'additionalGids', 'netDevices'],
};
const HOOK_NAMES = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'];

function checkShape(spec: unknown, version: CdiVersion): string[] {
  const problems: string[] = [];
  const keysOnly = (what: string, o: Record<string, unknown>, allowed: string[]): void => {
    for (const k of Object.keys(o)) if (!allowed.includes(k)) problems.push(`${what}: unknown key ${k}`);
  };
  const s = spec as Record<string, unknown>;
  keysOnly('spec', s, ['cdiVersion', 'kind', 'devices', 'containerEdits', 'annotations']);
  if (s.cdiVersion !== version) problems.push('cdiVersion');
  if (typeof s.kind !== 'string' || !/^[A-Za-z][A-Za-z0-9._-]*[A-Za-z0-9]\/[A-Za-z][A-Za-z0-9_-]*[A-Za-z0-9]$/.test(s.kind)) problems.push('kind');
  if (!Array.isArray(s.devices) || s.devices.length === 0) problems.push('devices must be a non-empty list');
  for (const d of (s.devices ?? []) as Array<Record<string, unknown>>) {
    keysOnly('device', d, ['name', 'containerEdits', 'annotations']);
    if (typeof d.name !== 'string' || cdiNameProblem(d.name) !== undefined) problems.push(`device name ${String(d.name)}`);
    const e = d.containerEdits as Record<string, unknown>;
    keysOnly(`device ${String(d.name)} containerEdits`, e, EDIT_KEYS[version]);
    for (const h of (e.hooks ?? []) as Array<Record<string, unknown>>) {
      keysOnly('hook', h, ['hookName', 'path', 'args', 'env', 'timeout']);
      if (!HOOK_NAMES.includes(h.hookName as string)) problems.push(`hookName ${String(h.hookName)}`);
      if (typeof h.path !== 'string' || !h.path.startsWith('/')) problems.push('hook path must be absolute');
      if (!Array.isArray(h.args) || !h.args.every((a) => typeof a === 'string')) problems.push('hook args');
    }
    for (const n of (e.netDevices ?? []) as Array<Record<string, unknown>>) keysOnly('netDevice', n, ['hostInterfaceName', 'name']);
  }
  return problems;
}

test('every version is shaped as its CDI schema allows; a 1.1.0 spec would be refused by a 0.x parser', () => {
  for (const version of CDI_VERSIONS) assert.deepEqual(checkShape(buildCdiSpec({ version, hookBin: BIN, devices: ['veth1'] }), version), [], version);
  assert.match(checkShape({ ...buildCdiSpec({ version: '1.1.0', hookBin: BIN, devices: ['veth1'] }), cdiVersion: '0.6.0' }, '0.6.0').join(), /unknown key netDevices/, 'the checker can fail');
});

test('CDI device names: letters, digits, _ - . : inside, alphanumeric ends, and a valid interface name', () => {
  for (const ok of ['veth1', 'ens1f0', 'e', 'a_b-c.d', 'X9']) assert.equal(cdiNameProblem(ok), undefined, ok);
  const bad: Array<[string, RegExp]> = [
    ['', /empty/],
    ['-veth', /begin with a letter or digit/],
    ['veth.', /end with a letter or digit/],
    ['ve@th', /holds "@"/],
    ['vé1', /holds "é"/],
    ['a:b', /not a network interface name/],
    ['abcdefghijklmnop', /not a network interface name/],
  ];
  for (const [name, re] of bad) assert.match(cdiNameProblem(name) ?? '', re, name);
  assert.equal(qualifiedName('veth1'), 'oci-netdevices.io/netdev=veth1');
  assert.equal(CDI_KIND, 'oci-netdevices.io/netdev');
});

const link = (index: number, name: string, extra: Partial<Link> = {}): Link => ({ index, name, flags: RTNL.IFF_UP, up: true, mtu: 1500, ...extra });
const defaultRoute = (oif: number): Route => ({ family: 4, dst: new Uint8Array(4), dstLength: 0, scope: 0, oif, table: 254, protocol: 3, type: RTNL.RTN_UNICAST, nexthopOifs: [] }) as Route;

test('offered interfaces: sorted; lo, names CDI cannot carry and what the policy refuses are skipped with the reason; --devices filters', () => {
  const view: NamespaceView = {
    links: [link(1, 'lo', { flags: RTNL.IFF_UP | RTNL.IFF_LOOPBACK }), link(2, 'eth0'), link(5, 'veth2'), link(3, 'veth1'), link(4, 've@x'), link(6, 'port1', { master: 9 }), link(9, 'br0')],
    addrs: [], routes: [defaultRoute(2)], nexthops: [],
  };
  const all = selectDevices(view, { source: 'built-in defaults' }, undefined);
  assert.deepEqual(all.devices, ['br0', 'veth1', 'veth2']);
  assert.deepEqual(all.skipped.map((s) => s.name), ['eth0', 'lo', 'port1', 've@x']);
  assert.match(all.skipped.find((s) => s.name === 'eth0')!.why, /default route/);
  assert.match(all.skipped.find((s) => s.name === 'lo')!.why, /loopback/);
  assert.match(all.skipped.find((s) => s.name === 've@x')!.why, /holds "@"/);
  assert.deepEqual(selectDevices(view, { source: 'p', allowDevices: ['veth1'] }, undefined).devices, ['veth1'], 'allowDevices');
  const picked = selectDevices(view, { source: 'built-in defaults' }, 'veth*');
  assert.deepEqual(picked, { devices: ['veth1', 'veth2'], skipped: [] }, 'what the glob leaves out is not reported');
  assert.throws(() => selectDevices(view, { source: 'x' }, 'veth['), UsageError);
});

test('hook argv: --cdi-device after the stage takes the fast path; twice goes to the full CLI, which refuses it', async () => {
  assert.deepEqual(parseFastHook(['--state-dir', '/s', 'hook', 'createRuntime', '--cdi-device', 'veth1']), { stage: 'createRuntime', options: { 'state-dir': '/s', 'cdi-device': 'veth1' } });
  assert.deepEqual(parseFastHook(['hook', 'poststop', '--cdi-device=veth1']), { stage: 'poststop', options: { 'cdi-device': 'veth1' } });
  assert.equal(parseFastHook(['hook', 'createRuntime', '--cdi-device', 'a', '--cdi-device', 'b']), undefined);
  const p = buildProgram();
  p.commands.find((c) => c.name() === 'hook')!.commands.forEach((c) => c.exitOverride().configureOutput({ writeErr: () => undefined }));
  await assert.rejects(p.parseAsync(['node', 'x', 'hook', 'createRuntime', '--cdi-device', 'a', '--cdi-device', 'b']), /once per hook entry/);
});

test('a run is identified by the options on its command line, keyed as parsed (the environment is not part of it)', () => {
  assert.deepEqual(givenOptions({ 'state-dir': '/s', 'cdi-device': 'veth1', 'log-file': '/l', bogus: 'x' }), { stateDir: '/s', cdiDevice: 'veth1', logFile: '/l' });
});

const entry = (args: string[], path = BIN): Record<string, unknown> => ({ path, args: ['oci-netdevices', ...args] });
const cfg = (createRuntime: unknown[]): Record<string, unknown> => ({ hooks: { createRuntime, poststop: [] } });
const cdiEntry = (dev: string, pre: string[] = []): Record<string, unknown> => entry([...pre, 'hook', 'createRuntime', '--cdi-device', dev]);

test('cooperation: the first of our entries acts for every CDI device listed, the others exit 0', () => {
  const config = cfg([{ path: '/usr/bin/other', args: ['other', 'hook', 'createRuntime', '--cdi-device', 'zzz'] }, cdiEntry('veth1'), cdiEntry('veth2'), cdiEntry('veth1')]);
  assert.deepEqual(planCdi(config, 'createRuntime', { cdiDevice: 'veth1' }), { act: true, devices: ['veth1', 'veth2'], repeated: true }, 'a foreign hook is not ours; duplicates once');
  assert.deepEqual(planCdi(config, 'createRuntime', { cdiDevice: 'veth2' }), { act: false, devices: [], repeated: false });
  // The wrapper's or hooks.d's entry (no CDI device) listed first leads, and takes the CDI devices along.
  const withWrapper = cfg([entry(['--state-dir', '/s', 'hook', 'createRuntime']), cdiEntry('veth1', ['--state-dir', '/s'])]);
  assert.deepEqual(planCdi(withWrapper, 'createRuntime', { stateDir: '/s' }), { act: true, devices: ['veth1'], repeated: false });
  assert.equal(planCdi(withWrapper, 'createRuntime', { stateDir: '/s', cdiDevice: 'veth1' }).act, false);
  // Options are part of the entry: another state dir is another entry.
  assert.throws(() => planCdi(withWrapper, 'createRuntime', { stateDir: '/other', cdiDevice: 'veth1' }), UsageError);
});

test('cooperation: without CDI devices nothing changes; a CDI run its config does not list acts alone', () => {
  const plain = cfg([entry(['hook', 'createRuntime'])]);
  assert.deepEqual(planCdi(plain, 'createRuntime', {}), { act: true, devices: [], repeated: false });
  assert.deepEqual(planCdi({}, 'createRuntime', { logFile: '/l' }), { act: true, devices: [], repeated: false });
  assert.deepEqual(planCdi({}, 'createRuntime', { cdiDevice: 'veth9' }), { act: true, devices: ['veth9'], repeated: false });
  assert.deepEqual(planCdi(cfg([entry(['hook', 'poststop', '--cdi-device', 'x'])]), 'createRuntime', {}).devices, [], 'other stages are not read');
});

test('cooperation: invalid CDI device names are refused, naming the hook entry', () => {
  const e = (() => {
    try {
      planCdi(cfg([cdiEntry('veth1'), cdiEntry('bad@name')]), 'createRuntime', { cdiDevice: 'veth1' });
    } catch (x) {
      return x;
    }
    return undefined;
  })();
  assert.ok(e instanceof ValidationError);
  assert.match(e.message, /hooks\.createRuntime\[1\]\.args \(device "bad@name"\): --cdi-device: CDI device name "bad@name" holds "@"/);
  assert.throws(() => planCdi({}, 'createRuntime', { cdiDevice: '-x' }), /--cdi-device.*begin with a letter or digit/);
});

const NETNS = { linux: { namespaces: [{ type: 'network' }] } };

test('merge: a CDI device alone is moved under its own name; with the config or an annotation naming it, theirs is the configuration (no duplicate)', () => {
  const [alone] = extractDevices(NETNS, { annotations: {}, cdiDevices: ['veth1'] });
  assert.equal(alone!.hostName, 'veth1');
  assert.equal(alone!.containerName, 'veth1');
  assert.deepEqual(alone!.addresses, []);
  const config = { linux: { ...NETNS.linux, netDevices: { veth1: { name: 'eth1' } } } };
  const ann = { 'oci-netdevices.io/devices': JSON.stringify({ veth1: { networkConfig: { interface: { addresses: ['10.9.0.2/24'] } } }, veth2: { name: 'net2' } }) };
  const merged = extractDevices(config, { annotations: ann, cdiDevices: ['veth1', 'veth2', 'veth3'] });
  assert.deepEqual(merged.map((d) => [d.hostName, d.containerName, d.addresses.map((a) => `${a.text}/${a.prefixLength}`)]), [
    ['veth1', 'eth1', ['10.9.0.2/24']],
    ['veth2', 'net2', []],
    ['veth3', 'veth3', []],
  ]);
});

test('merge: a CDI device still needs a network namespace of its own', () => {
  const { issues } = collectIssues({ linux: {} }, { annotations: {}, cdiDevices: ['veth1'] });
  assert.deepEqual(issues.map((i) => i.path), ['linux.namespaces']);
});
