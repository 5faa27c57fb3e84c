import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectIssues, extractDevices, requestsDevices } from '../../src/config/extract.js';
import { formatIp, parseCidr, parseIp } from '../../src/config/ip.js';
import { validIfName, validTemplate } from '../../src/config/ifname.js';
import { maskToPrefix } from '../../src/config/shapes.js';
import { ValidationError } from '../../src/errors.js';

const withNs = (netDevices: unknown, extra: Record<string, unknown> = {}): unknown => ({ linux: { namespaces: [{ type: 'network' }], netDevices }, ...extra });

test('interface names as dev_valid_name', () => {
  assert.equal(validIfName('eth0'), undefined);
  assert.equal(validIfName('a'.repeat(15)), undefined);
  assert.match(validIfName('a'.repeat(16))!, /16 bytes/);
  assert.match(validIfName('é'.repeat(8))!, /16 bytes/);
  for (const bad of ['', '.', '..', 'a/b', 'a:b', 'a b', 'a\tb', 'a\nb']) assert.notEqual(validIfName(bad), undefined, JSON.stringify(bad));
  assert.equal(validTemplate('eth%d'), undefined);
  assert.notEqual(validTemplate('eth%d%d'), undefined);
  assert.notEqual(validTemplate('eth%s'), undefined);
});

test('IP parsing and canonical text', () => {
  assert.deepEqual(Array.from(parseIp('192.0.2.1')!.bytes), [192, 0, 2, 1]);
  assert.equal(parseIp('2001:DB8:0:0:0:0:0:1')!.text, '2001:db8::1');
  assert.equal(parseIp('::ffff:c000:201')!.text, '::ffff:192.0.2.1');
  assert.equal(parseIp('::')!.text, '::');
  assert.equal(formatIp(Uint8Array.from([0x20, 1, 0xd, 0xb8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1])), '2001:db8:0:1::1');
  for (const bad of ['256.1.1.1', '1.2.3', '01.2.3.4', '1::2::3', 'gggg::', '1:2:3:4:5:6:7:8:9', '']) assert.equal(parseIp(bad), undefined, bad);
  assert.equal(parseCidr('10.0.0.1/33'), undefined);
  assert.equal(parseCidr('2001:db8::/129'), undefined);
  assert.equal(parseCidr('2001:db8::/64')!.prefixLength, 64);
});

test('masks: dotted quad or prefix length', () => {
  assert.equal(maskToPrefix('255.255.255.0', 4), 24);
  assert.equal(maskToPrefix('255.255.255.255', 4), 32);
  assert.equal(maskToPrefix('0.0.0.0', 4), 0);
  assert.equal(maskToPrefix(24, 4), 24);
  assert.equal(maskToPrefix('64', 6), 64);
  assert.match(String(maskToPrefix('255.0.255.0', 4)), /contiguous/);
  assert.match(String(maskToPrefix(33, 4)), /out of range/);
  assert.match(String(maskToPrefix('255.255.0.0', 6)), /prefix length/);
});

test('both shapes normalise to the same device', () => {
  const fromArray = extractDevices(withNs([{ name: 'veth1', properties: { name: 'eth1', address: '10.0.0.2', mask: '255.255.255.0', mtu: 1400 } }]));
  const fromMap = extractDevices(withNs({ veth1: { name: 'eth1', networkConfig: { interface: { addresses: ['10.0.0.2/24'], mtu: 1400 } } } }));
  const strip = (d: (typeof fromArray)[number]): unknown => ({ ...d, path: undefined, addresses: d.addresses.map((a) => `${a.text}/${a.prefixLength}`) });
  assert.deepEqual(fromArray.map(strip), fromMap.map(strip));
  assert.equal(fromArray[0]!.containerName, 'eth1');
});

test('every problem is reported with its path and device', () => {
  try {
    extractDevices(withNs([{ name: 'a', properties: { name: 'x', mtu: 70000 } }, { name: 'a', properties: { name: 'x' } }]));
    assert.fail('should throw');
  } catch (e) {
    assert.ok(e instanceof ValidationError);
    const paths = e.issues.map((i) => `${i.path}|${i.device}`);
    assert.ok(paths.includes('linux.netDevices[0].properties.mtu|a'), paths.join(' '));
    assert.ok(paths.includes('linux.netDevices[1]|a'), paths.join(' '));
  }
});

test('requestsDevices is a cheap presence check', () => {
  assert.equal(requestsDevices({}), false);
  assert.equal(requestsDevices({ linux: { netDevices: [] } }), false);
  assert.equal(requestsDevices({ linux: { netDevices: { a: {} } } }), true);
  assert.equal(requestsDevices({ linux: { netdevices: [{ name: 'a' }] } }), true);
  assert.equal(requestsDevices({ annotations: { 'oci-netdevices.io/devices': '[]' } }), true);
  assert.equal(requestsDevices({ annotations: { other: 'x' } }), false);
});

test('annotations: JSON or YAML, NRI list, merged with config.json by host name', () => {
  const devices = extractDevices({
    linux: { namespaces: [{ type: 'network' }], netDevices: { veth1: { name: 'eth1' } } },
    annotations: {
      'oci-netdevices.io/devices': 'veth1:\n  networkConfig:\n    interface:\n      mtu: 1300\nveth2:\n  name: eth2\n',
      'netdevices.nri.containerd.io': '- name: veth3\n  new_name: eth3\n  address: 10.9.0.3\n  prefix: 24\n  mtu: 1400\n',
    },
  });
  const byHost = Object.fromEntries(devices.map((d) => [d.hostName, d]));
  assert.equal(byHost.veth1!.containerName, 'eth1');
  assert.equal(byHost.veth1!.mtu, 1300);
  assert.equal(byHost.veth1!.source, 'config');
  assert.equal(byHost.veth2!.source, 'annotation');
  assert.equal(byHost.veth3!.containerName, 'eth3');
  assert.deepEqual(byHost.veth3!.addresses.map((a) => `${a.text}/${a.prefixLength}`), ['10.9.0.3/24']);
});

test('a contradiction between config.json and an annotation is an error', () => {
  assert.throws(
    () => extractDevices({ linux: { namespaces: [{ type: 'network' }], netDevices: { veth1: { name: 'eth1' } } }, annotations: { 'oci-netdevices.io/devices': '{"veth1": {"name": "eth9"}}' } }),
    (e: unknown) => e instanceof ValidationError && e.issues.some((i) => i.device === 'veth1' && /contradicts/.test(i.message)),
  );
});

test('requestsDevices: malformed requests count, empty ones and blank annotations do not', () => {
  assert.equal(requestsDevices({ linux: { netDevices: 'veth1' } }), true);
  // Rejected by validation, so the hook must look: null, and both spellings at once.
  assert.equal(requestsDevices({ linux: { netDevices: null } }), true);
  assert.equal(requestsDevices({ linux: { netDevices: [], netdevices: [] } }), true);
  assert.equal(requestsDevices({ linux: { netdevices: {} } }), false);
  assert.equal(requestsDevices({ annotations: { 'netdevices.nri.containerd.io': '  ' } }), false);
  assert.equal(requestsDevices({ annotations: { 'netdevice.noderesource.dev/pod': '- name: v1' } }), true);
  assert.equal(requestsDevices({ annotations: { 'netdevices.nri.containerd.io/container.x': '- name: v1' } }), false);
  assert.equal(requestsDevices({}, { 'oci-netdevices.io/devices': '{"v1": {}}' }), true);
  assert.equal(requestsDevices('nope'), false);
});

test('requestsDevices and a config without devices load neither the validators nor yaml', async () => {
  const { spawnSync } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const extract = fileURLToPath(new URL('../../src/config/extract.js', import.meta.url));
  const script = `
    const m = await import(${JSON.stringify(extract)});
    const { createRequire } = await import('node:module');
    const cache = createRequire(import.meta.url).cache;
    const r = m.requestsDevices({ linux: { netDevices: [{ name: 'v1' }] } });
    const none = m.extractDevices({ linux: {} });
    const loaded = Object.keys(cache).filter((k) => /validators\\.cjs|[\\\\/]yaml[\\\\/]|[\\\\/]ajv[\\\\/]/.test(k));
    console.log(JSON.stringify({ r, none, loaded }));`;
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(out.status, 0, out.stderr);
  assert.deepEqual(JSON.parse(out.stdout), { r: true, none: [], loaded: [] });
});

test('map-form paths quote the host name; array-form paths index the entry', () => {
  const cfg = { linux: { namespaces: [{ type: 'network' }], netDevices: { veth1: { networkConfig: { interface: { mtu: 10 }, ethtool: { features: { tso: 1 } } } } } } };
  const paths = collectIssues(cfg).issues.map((i) => `${i.device}|${i.path}`);
  assert.deepEqual(paths.sort(), ['veth1|linux.netDevices["veth1"].networkConfig.ethtool.features["tso"]', 'veth1|linux.netDevices["veth1"].networkConfig.interface.mtu']);
  const dev = extractDevices({ linux: { namespaces: [{ type: 'network' }], netDevices: { veth1: {} } } })[0]!;
  assert.equal(dev.path, 'linux.netDevices["veth1"]');
});

test('messages say what was given and what is allowed', () => {
  const issues = collectIssues({ linux: { namespaces: [{ type: 'network' }], netDevices: [{ name: 'v1', properties: { mtu: '1500' }, networkConfig: { interface: { gsoMaxSize: 0 }, routes: [{ destination: '10.0.0.1/24', scope: 1 }] } }] } }).issues;
  const msg = (p: string): string => issues.find((i) => i.path === p)?.message ?? `(no issue at ${p}: ${JSON.stringify(issues)})`;
  assert.equal(msg('linux.netDevices[0].properties.mtu'), 'must be an integer, got the string "1500"');
  assert.equal(msg('linux.netDevices[0].networkConfig.interface.gsoMaxSize'), '0 is out of range (allowed: 1..524288)');
  assert.equal(msg('linux.netDevices[0].networkConfig.routes[0].scope'), '1 is not allowed (allowed: 0, 253)');
  assert.match(msg('linux.netDevices[0].networkConfig.routes[0].destination'), /the network is 10\.0\.0\.0\/24/);
});

test('a device annotation in config.json that is not a string is reported', () => {
  const issues = collectIssues({ linux: { namespaces: [{ type: 'network' }] }, annotations: { 'oci-netdevices.io/devices': [{ name: 'v1' }] } }).issues;
  assert.deepEqual(issues, [{ path: 'annotations["oci-netdevices.io/devices"]', message: 'annotation values must be strings, got an array' }]);
  assert.deepEqual(collectIssues('linux').issues, [{ path: '', message: 'config must be a JSON object, got string' }]);
});

test('YAML warnings (an unknown tag) are refused as issues, never printed by Node', () => {
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => {
    warnings.push(w);
  };
  process.on('warning', onWarning);
  try {
    const { devices, issues } = collectIssues({ linux: { namespaces: [{ type: 'network' }] }, annotations: { 'oci-netdevices.io/devices': 'veth1: !mytag\n  name: eth1\n' } });
    assert.deepEqual(devices, []);
    assert.equal(issues.length, 1);
    assert.match(issues[0]!.path, /^annotations\["oci-netdevices\.io\/devices"\]/);
    assert.match(issues[0]!.message, /neither valid JSON nor valid YAML: .*!mytag/);
  } finally {
    process.off('warning', onWarning);
  }
  assert.deepEqual(warnings.map((w) => w.message), []);
});
