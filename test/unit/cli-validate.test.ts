/** `oci-netdevices validate`: offline, every problem on its own line, exit 3; files, pipes and /dev/stdin alike. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN = resolve(fileURLToPath(import.meta.url), '../../../../bin/oci-netdevices');
const bad = {
  linux: {
    namespaces: [{ type: 'network' }],
    netDevices: [{ name: 'veth1', properties: { name: 'eth1', address: '192.168.0.1', mask: '255.0.255.0' } }, { name: 'veth2', properties: { mtu: 20 } }],
  },
};
const good = { linux: { namespaces: [{ type: 'network' }], netDevices: { veth1: { name: 'eth1' } } } };

const validate = (path: string) => spawnSync(BIN, ['validate', path], { encoding: 'utf8' });
/** Through a real pipe, as a shell makes one (Node's own stdio would be a socket pair). */
const validatePiped = (file: string) => spawnSync('sh', ['-c', 'cat "$1" | "$2" validate /dev/stdin', 'sh', file, BIN], { encoding: 'utf8' });

test('a bad config: exit 3, one line per problem with its path and device, nothing else', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ond-validate-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(bad));
  const r = validate(join(dir, 'config.json'));
  assert.equal(r.status, 3);
  const lines = `${r.stdout}${r.stderr}`.trim().split('\n').sort();
  assert.equal(lines.length, 2, lines.join('\n'));
  assert.match(lines[0]!, /^linux\.netDevices\[0\]\.properties\.mask \(device "veth1"\): "255\.0\.255\.0" is not a contiguous netmask/);
  assert.match(lines[1]!, /^linux\.netDevices\[1\]\.properties\.mtu \(device "veth2"\): 20 is out of range/);
});

test('configs read from a pipe through /dev/stdin', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ond-validate-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'good.json'), JSON.stringify(good));
  writeFileSync(join(dir, 'bad.json'), JSON.stringify(bad));
  const r = validatePiped(join(dir, 'good.json'));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /ok: 1 device\(s\): veth1 -> eth1/);
  const b = validatePiped(join(dir, 'bad.json'));
  assert.equal(b.status, 3, `a pipe is read to its end, not as an empty file: ${b.stderr}`);
});

test('a duplicate key in config.json or in an annotation: exit 3 with its JSON path (JSON.parse would keep the last one silently)', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ond-validate-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'config.json');
  writeFileSync(file, '{"linux": {"namespaces": [{"type": "network"}], "netDevices": {"veth1": {"name": "eth1"}, "veth1": {"name": "eth2"}}}}');
  const r = validate(file);
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stderr.trim(), /^oci-netdevices: invalid netDevices config: linux\.netDevices\["veth1"\]: duplicate key in config .*config\.json/);
  writeFileSync(file, JSON.stringify({ linux: { namespaces: [{ type: 'network' }] }, annotations: { 'oci-netdevices.io/devices': '{"veth1": {"name": "eth1", "mtu": 1400, "mtu": 9000}}' } }));
  const a = validate(file);
  assert.equal(a.status, 3, a.stderr);
  assert.match(a.stderr.trim(), /^annotations\["oci-netdevices\.io\/devices"\]\["veth1"\]\.mtu: duplicate key/);
  // The same object keys in different objects are not duplicates.
  writeFileSync(file, '{"linux": {"namespaces": [{"type": "network"}], "netDevices": {"veth1": {"name": "eth1"}, "veth2": {"name": "eth2"}}}}');
  assert.equal(validate(file).status, 0);
});

test('the CNI annotation is validated too: each problem with its JSON path and attachment; a clean one is listed', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ond-validate-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const macvlan = { type: 'macvlan', master: 'veth-host1', mode: 'bridge' };
  const withCni = (attachments: unknown[]) => ({ ...good, annotations: { 'oci-netdevices.io/cni': JSON.stringify(attachments) } });
  writeFileSync(join(dir, 'bad.json'), JSON.stringify(withCni([
    { ifName: 'eth1', config: { cniVersion: '1.0.0', name: 'a', plugins: [macvlan] } },
    { ifName: 'net2', config: { cniVersion: '0.3.1', name: 'b', plugins: [macvlan] } },
    { ifName: 'net3', config: { cniVersion: '1.0.0', name: 'c', plugins: [{ master: 'x' }] } },
  ])));
  const r = validate(join(dir, 'bad.json'));
  assert.equal(r.status, 3, r.stderr);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trim().split('\n');
  const at = 'annotations["oci-netdevices.io/cni"]';
  assert.ok(lines.some((l) => l.startsWith(`${at}[0].ifName (device "eth1"): "eth1" is already the container name of a netDevices device`)), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith(`${at}[1].config.cniVersion (device "net2"): `)), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith(`${at}[2].config.plugins[0].type (device "net3"): `) || l.startsWith(`${at}[2].config.plugins[0] (device "net3"): `)), lines.join('\n'));

  writeFileSync(join(dir, 'good.json'), JSON.stringify(withCni([{ ifName: 'net1', config: { cniVersion: '1.0.0', name: 'mv', ...macvlan } }])));
  const ok = validate(join(dir, 'good.json'));
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(ok.stdout, 'ok: 1 device(s): veth1 -> eth1; 1 CNI attachment(s): net1 (network "mv")\n');
});
