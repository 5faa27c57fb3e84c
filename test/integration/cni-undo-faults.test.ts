/**
 * One container with a netDevices device and two CNI attachments (macvlan +
 * host-local + tuning, Debian's plugins), failing at each step of the
 * transaction: every kernel change of the device (move, rename, MTU, MAC,
 * address, up, route), refused through the netlink transport, and then each
 * plugin of each conflist failing for real (DEL of what was added before). Every time the host must end exactly as before:
 * the device home with its configuration, no lease left in either network, no
 * interface left in the container or on the host, no state kept.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, test } from 'node:test';
import { HOOK_BIN, Sandbox, baseConfig, ipJson, runcState, sh, uniqueName } from './hook-kit.js';
import { CNI_BIN, CNI_KEY, dataDir, hostLocal, leases, macvlanMaster, macvlansOn } from './cni-kit.js';
import { snapshot, stateLeft, stopContainer } from './lifecycle-kit.js';

let box = new Sandbox();
afterEach(() => {
  box.cleanup();
  box = new Sandbox();
});

interface Scene {
  dev: string;
  master: string;
  dd: string;
  nets: [string, string];
  /** config.json with the device and both attachments; `broken` makes one plugin fail for real. */
  config(broken?: { attachment: 0 | 1; plugin: 0 | 1 }): Record<string, unknown>;
  /** Everything on the host that must come back, and what must be empty. */
  look(): unknown;
}

function scene(): Scene {
  const [dev] = box.veth();
  sh('ip', 'addr', 'add', '10.241.0.1/24', 'dev', dev);
  sh('ip', 'link', 'set', dev, 'up');
  sh('ip', 'route', 'add', '10.241.9.0/24', 'via', '10.241.0.254', 'dev', dev);
  const master = macvlanMaster(box);
  const dd = dataDir(box);
  const nets: [string, string] = [uniqueName('fa'), uniqueName('fb')];
  const netDevices = [{
    name: dev,
    properties: { name: 'eth1', address: '10.242.0.2', mask: '24', mtu: 1400 },
    networkConfig: { interface: { hardwareAddr: '02:00:00:00:f1:01' }, routes: [{ destination: '10.243.0.0/24', gateway: '10.242.0.1' }] },
  }];
  const attachment = (i: 0 | 1, broken: { attachment: 0 | 1; plugin: 0 | 1 } | undefined): Record<string, unknown> => {
    const ifName = `net${i + 1}`;
    const fail = (p: 0 | 1): boolean => broken?.attachment === i && broken.plugin === p;
    return {
      ifName,
      config: {
        cniVersion: i === 0 ? '1.0.0' : '0.4.0',
        name: nets[i],
        plugins: [
          { type: 'macvlan', master: fail(0) ? 'ond-no-such-if' : master, mode: 'bridge', ipam: hostLocal(dd, `10.24${4 + i}.0.0/24`) },
          { type: 'tuning', sysctl: { [`net.ipv4.conf.${ifName}.${fail(1) ? 'no_such_sysctl' : 'arp_ignore'}`]: '1' } },
        ],
      },
    };
  };
  return {
    dev, master, dd, nets,
    config: (broken) => ({ ...baseConfig({ netDevices }), annotations: { [CNI_KEY]: JSON.stringify([attachment(0, broken), attachment(1, broken)]) } }),
    look: () => ({ host: snapshot([dev, master]), onMaster: macvlansOn(master), leases: nets.map((n) => leases(dd, n)) }),
  };
}

function assertUndone(s: Scene, before: unknown, netns: string, what: string, stateDir: string): void {
  assert.deepEqual(s.look(), before, `host differs after ${what}`);
  assert.deepEqual(s.nets.map((n) => leases(s.dd, n)), [[], []], `a lease is left after ${what}`);
  assert.deepEqual(ipJson(netns, 'link', 'show').map((l) => l.ifname), ['lo'], `container not empty after ${what}`);
  assert.deepEqual(stateLeft(stateDir), [], `state left after ${what}`);
}

test('device + two CNI attachments: a fault at every kernel change of the transaction leaves the host exactly as before', (t) => {
  const s = scene();
  const before = s.look();
  const bundle = box.bundle(s.config());
  const faulted: string[] = [];
  let k = 1;
  for (; k < 100; k++) {
    const ctr = box.container();
    const id = uniqueName('c');
    // Through the netlink transport (test/support/faulty-transport.ts): the k-th kernel-changing
    // message of the hook is refused. The plugins' own netlink is theirs: the next test fails them for real.
    const r = box.hook('createRuntime', runcState(id, ctr.pid, bundle), { args: ['--cni-path', CNI_BIN], faults: [{ type: 'change', nth: k, mode: 'refuse' }] });
    if (r.fired.length === 0) {
      assert.equal(r.status, 0, `no fault left to inject at message ${k}, so the apply succeeds: ${r.stderr}`);
      // The whole apply went through: each attachment has an address of its network beside the device's.
      // (host-local hands out the next address after the last one it gave, so not always .2.)
      const inet = (d: string): string[] => (ipJson(ctr.netns, 'addr', 'show', 'dev', d)[0]?.addr_info ?? []).filter((a) => a.family === 'inet').map((a) => a.local);
      assert.ok(inet('eth1').includes('10.242.0.2'), inet('eth1').join());
      assert.match(inet('net1').join(), /^10\.244\.0\.\d+$/);
      assert.match(inet('net2').join(), /^10\.245\.0\.\d+$/);
      assert.deepEqual(s.nets.map((n) => leases(s.dd, n).length), [1, 1]);
      // And the teardown of a full apply: DEL of both, the device home, as before.
      const p = box.hook('poststop', { ociVersion: '1.0.2', id, status: 'stopped', bundle });
      assert.equal(p.status, 0, p.stderr);
      assertUndone(s, before, ctr.netns, 'the teardown', box.stateDir);
      break;
    }
    assert.equal(r.status, 4, `message ${k}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, `message ${k}: one line: ${r.stderr}`);
    const m = /^oci-netdevices: device "([^"]+)": (.+?) failed: .*injected fault \(refuse\)/.exec(r.stderr);
    assert.ok(m !== null, `message ${k}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /undo also failed/, `message ${k}: every undo worked`);
    faulted.push(`${m[1]}: ${m[2]}`);
    // No attachment was added (the device's steps come first) or each added one was deleted again.
    assertUndone(s, before, ctr.netns, `a fault at message ${k} (${m[1]}: ${m[2]})`, box.stateDir);
  }
  assert.ok(k < 100, 'the apply succeeded once no message failed');
  t.diagnostic(`${faulted.length} kernel changes faulted: ${faulted.join('; ')}`);
  assert.ok(faulted.length >= 5 && faulted.every((d) => d.startsWith(`${s.dev}: `)), faulted.join('\n'));
  for (const step of [/move/, /up/, /address/, /route/]) assert.ok(faulted.some((d) => step.test(d)), `a ${step} step was faulted: ${faulted.join('; ')}`);
});

test('device + two CNI attachments: each plugin of each conflist failing for real undoes everything, with one line naming attachment, plugin and msg', () => {
  const s = scene();
  const before = s.look();
  const cases: Array<{ attachment: 0 | 1; plugin: 0 | 1; type: string; msg: RegExp }> = [
    { attachment: 0, plugin: 0, type: 'macvlan', msg: /Link not found/ },
    { attachment: 0, plugin: 1, type: 'tuning', msg: /no_such_sysctl/ },
    { attachment: 1, plugin: 0, type: 'macvlan', msg: /Link not found/ },
    { attachment: 1, plugin: 1, type: 'tuning', msg: /no_such_sysctl/ },
  ];
  for (const c of cases) {
    const ctr = box.container();
    const id = uniqueName('c');
    const what = `attachment ${c.attachment} plugin ${c.plugin} (${c.type}) failing`;
    const r = box.hook('createRuntime', runcState(id, ctr.pid, box.bundle(s.config(c))), { args: ['--cni-path', CNI_BIN] });
    assert.equal(r.status, 4, `${what}: ${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${what}: ${r.stderr}`);
    const net = s.nets[c.attachment];
    assert.match(lines[0]!, new RegExp(`^oci-netdevices: device "net${c.attachment + 1}": CNI ADD of network "${net}" failed: network "${net}", plugin "${c.type}" \\(#${c.plugin + 1}\\): `), what);
    assert.match(lines[0]!, c.msg, what);
    assert.doesNotMatch(r.stderr, /undo also failed/, what);
    assertUndone(s, before, ctr.netns, what, box.stateDir);
  }
});

test('a plugin run by the real hook gets its stdio and no other descriptor (not even one the hook inherited), and only PATH and CNI_* with the pod identity; the annotation may come in the state', () => {
  const [dev] = box.veth();
  const plugins = mkdtempSync(join(tmpdir(), 'ond-fd-cni-'));
  box.defer(() => rmSync(plugins, { recursive: true, force: true }));
  const seen = join(plugins, 'fds');
  // What the plugin inherited, as `ls` (its child: our descriptors would have passed through) lists
  // them: stdout is the file, and `ls` opens one more itself (the directory it reads).
  writeFileSync(join(plugins, 'ond-fds'), `#!/bin/sh\ncat >/dev/null\nif [ "$CNI_COMMAND" = ADD ]; then ls -l /proc/self/fd >${seen}; env >${seen}.env; echo '{"cniVersion":"1.0.0","interfaces":[],"ips":[]}'; fi\nif [ "$CNI_COMMAND" = DEL ]; then nsenter --net="$CNI_NETNS" ip -o link >${seen}.del; fi\n`);
  chmodSync(join(plugins, 'ond-fds'), 0o755);
  const ctr = box.container();
  const id = uniqueName('c');
  // The pod's identity in config.json (CRI-O's keys), the attachment in the state only (as a runtime may pass annotations).
  const pod = { 'io.kubernetes.pod.namespace': 'ns1', 'io.kubernetes.pod.name': 'pod1', 'io.kubernetes.pod.uid': 'uid-1', 'io.kubernetes.cri-o.SandboxID': 'sb1' };
  const config = { ...baseConfig({ netDevices: [{ name: dev, properties: { name: 'eth1' } }] }), annotations: pod };
  const bundle = box.bundle(config);
  const state = { ...runcState(id, ctr.pid, bundle), annotations: { [CNI_KEY]: JSON.stringify([{ ifName: 'net1', config: { cniVersion: '1.0.0', name: 'fds', type: 'ond-fds' } }]) } };
  // The hook gets an extra descriptor from its caller (fd 20, not close-on-exec), as a careless runtime could leave it one.
  // (Node itself marks a few low inherited descriptors close-on-exec at start, not this one.)
  const leaked = openSync(join(plugins, 'leaked'), 'w');
  box.defer(() => closeSync(leaked));
  const r = spawnSync(HOOK_BIN, ['--log-file', 'off', '--state-dir', box.stateDir, '--cni-path', plugins, 'hook', 'createRuntime'], {
    input: JSON.stringify(state), encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe', ...Array<'ignore'>(17).fill('ignore'), leaked],
  });
  assert.equal(r.status, 0, r.stderr);
  const fds = readFileSync(seen, 'utf8').split('\n').filter((l) => / -> /.test(l)).map((l) => {
    const [fd, target] = l.split(/ \d\d:\d\d /)[1]!.split(' -> ');
    return [Number(fd), target!] as const;
  });
  // Node's stdio "pipes" are socket pairs.
  assert.deepEqual(fds.filter(([fd]) => fd <= 2).map(([fd, t]) => [fd, fd === 1 ? t === seen : t.startsWith('socket:')]), [[0, true], [1, true], [2, true]], JSON.stringify(fds));
  const others = fds.filter(([fd]) => fd > 2);
  assert.equal(others.length, 1, `only the directory ls reads: ${JSON.stringify(others)}`);
  assert.match(others[0]![1], /^\/proc\/\d+\/fd$/);
  // sh adds PWD (and may add SHLVL, _); everything else is what the hook passed.
  const env = Object.fromEntries(readFileSync(`${seen}.env`, 'utf8').split('\n').filter((l) => l !== '').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  for (const k of ['PWD', 'SHLVL', '_', 'OLDPWD']) delete env[k];
  assert.deepEqual(Object.keys(env).sort(), ['CNI_ARGS', 'CNI_COMMAND', 'CNI_CONTAINERID', 'CNI_IFNAME', 'CNI_NETNS', 'CNI_PATH', 'PATH']);
  assert.equal(env.CNI_COMMAND, 'ADD');
  assert.equal(env.CNI_CONTAINERID, id);
  assert.equal(env.CNI_IFNAME, 'net1');
  assert.equal(env.CNI_PATH, plugins);
  assert.equal(env.CNI_ARGS, 'IgnoreUnknown=1;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=pod1;K8S_POD_INFRA_CONTAINER_ID=sb1;K8S_POD_UID=uid-1');
  assert.ok(env.CNI_NETNS!.startsWith(`${box.stateDir}/`), `restore mode: CNI_NETNS is the pin, not /proc: ${env.CNI_NETNS}`);
  assert.equal(statSync(env.CNI_NETNS!).ino, statSync(`/proc/${ctr.pid}/ns/net`).ino, 'the pin is the container netns');

  // Teardown: the container's last process is gone; DEL still enters the pinned netns, before the device goes home.
  stopContainer(ctr);
  const p = box.hook('poststop', { ociVersion: '1.0.2', id, status: 'stopped', bundle });
  assert.equal(p.status, 0, p.stderr);
  assert.match(readFileSync(`${seen}.del`, 'utf8'), /: eth1[:@]/, 'DEL ran while the netDevices device was still in the container netns');
  assert.ok(ipJson(undefined, 'link', 'show', 'dev', dev).length === 1, 'then the device came home');
  assert.deepEqual(stateLeft(box.stateDir), []);
});

test('--timeout bounds a hung plugin: its ADD is killed at the deadline and everything is rolled back in time', () => {
  const s = scene();
  const before = s.look();
  const plugins = mkdtempSync(join(tmpdir(), 'ond-slow-cni-'));
  box.defer(() => rmSync(plugins, { recursive: true, force: true }));
  writeFileSync(join(plugins, 'ond-hang'), '#!/bin/sh\ncat >/dev/null\n[ "$CNI_COMMAND" = ADD ] && exec sleep 120\nexit 0\n');
  chmodSync(join(plugins, 'ond-hang'), 0o755);
  const config = s.config() as { annotations: Record<string, string> };
  const attachments = JSON.parse(config.annotations[CNI_KEY]!) as unknown[];
  config.annotations[CNI_KEY] = JSON.stringify([attachments[0], { ifName: 'net9', config: { cniVersion: '1.0.0', name: 'hang', type: 'ond-hang' } }]);
  const ctr = box.container();
  const started = Date.now();
  const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, box.bundle(config)), { args: ['--cni-path', `${plugins}:${CNI_BIN}`, '--timeout', '3'] });
  const took = Date.now() - started;
  assert.equal(r.status, 4, r.stderr);
  assert.match(r.stderr, /^oci-netdevices: device "net9": CNI ADD of network "hang" failed: network "hang", plugin "ond-hang" \(#1\): ADD timed out after \d+ ms \(killed\)\n$/);
  assert.ok(took < 3_000 + 2_500, `the hook ended near its deadline (${took} ms)`);
  assertUndone(s, before, ctr.netns, 'a hung plugin', box.stateDir);
});

test('an ifName already in the container netns, or the name a netDevices template resolves to, is refused before anything changes (exit 3)', () => {
  const s = scene();
  const before = s.look();
  const attachment = { ifName: 'eth0', config: { cniVersion: '1.0.0', name: s.nets[0], type: 'macvlan', master: s.master, ipam: hostLocal(s.dd, '10.244.0.0/24') } };
  const ctr = box.container();
  sh('ip', '-n', ctr.netns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0p');
  const taken = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, box.bundle({ ...baseConfig({}), annotations: { [CNI_KEY]: JSON.stringify([attachment]) } })), { args: ['--cni-path', CNI_BIN] });
  assert.equal(taken.status, 3, taken.stderr);
  assert.match(taken.stderr, /^oci-netdevices: invalid netDevices config: annotations\["oci-netdevices\.io\/cni"\]\[0\]\.ifName \(device "eth0"\): "eth0" is already an interface in the container's network namespace\n$/);
  sh('ip', '-n', ctr.netns, 'link', 'del', 'eth0');
  assert.deepEqual(s.look(), before);

  const templated = { ...baseConfig({ netDevices: [{ name: s.dev, properties: { name: 'eth%d' } }] }), annotations: { [CNI_KEY]: JSON.stringify([attachment]) } };
  const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, box.bundle(templated)), { args: ['--cni-path', CNI_BIN] });
  assert.equal(r.status, 3, r.stderr);
  assert.match(r.stderr, new RegExp(`"eth0" is the name netDevices device "${s.dev}" gets in the container`));
  assertUndone(s, before, ctr.netns, 'a refused name', box.stateDir);
});
