import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { HOOK_BIN, Sandbox, baseConfig, ipJson, runcState, sh, uniqueName } from './hook-kit.js';

let box = new Sandbox();
afterEach(() => {
  box.cleanup();
  box = new Sandbox();
});

/** Everything about a host device that must come back: link (name, MTU, MAC, offloads, flags), addresses, routes, features. */
function snapshot(devs: readonly string[], netns?: string): unknown {
  const pre = netns === undefined ? [] : ['ip', 'netns', 'exec', netns];
  const eth = (d: string): string => sh(...(pre.length > 0 ? [pre[0]!, ...pre.slice(1), 'ethtool', '-k', d] : ['ethtool', '-k', d]) as [string, ...string[]]);
  return devs.map((d) => {
    const link = ipJson<Array<Record<string, unknown>>>(netns, '-d', 'addr', 'show', d).map((l) => ({
      ...l,
      // The IPv6 link-local address is regenerated when the link comes up again: same value, fresh lifetimes.
      addr_info: (l.addr_info as Array<Record<string, unknown>> | undefined)?.filter((a) => a.scope !== 'link').map((a) => ({ ...a, valid_life_time: 0, preferred_life_time: 0 })),
    }));
    const routes = ipJson<unknown[]>(netns, 'route', 'show', 'dev', d);
    return { link, routes, features: eth(d) };
  });
}

function stateLeft(dir: string): string[] {
  return ['containers', 'claims'].flatMap((k) => (existsSync(join(dir, k)) ? readdirSync(join(dir, k)).map((f) => `${k}/${f}`) : []));
}

function threeDevices(): { devs: string[]; config: Record<string, unknown> } {
  const devs = [box.veth()[0], box.veth()[0], box.veth()[0]];
  devs.forEach((d, i) => {
    sh('ip', 'addr', 'add', `10.220.${i}.1/24`, 'dev', d);
    sh('ip', 'link', 'set', d, 'up');
    sh('ip', 'route', 'add', `10.221.${i}.0/24`, 'via', `10.220.${i}.254`, 'dev', d);
  });
  const netDevices = devs.map((d, i) => ({
    name: d,
    properties: { name: `eth${i + 1}`, address: `10.230.${i}.2`, mask: '24', mtu: 1400 + i },
    networkConfig: {
      interface: { hardwareAddr: `02:00:00:00:00:0${i + 1}`, addresses: [`2001:db8:${i}::2/64`], gsoMaxSize: 32768 },
      routes: [{ destination: `10.240.${i}.0/24`, gateway: `10.230.${i}.1` }],
      ethtool: { features: { tso: false, gro: true } },
    },
  }));
  return { devs, config: baseConfig({ netDevices }) };
}

describe('transactional apply', () => {
  test('a fault at every step of a 3-device apply leaves the host exactly as before', () => {
    const { devs, config } = threeDevices();
    const before = snapshot(devs);
    const bundle = box.bundle(config);
    let k = 1;
    for (; k < 200; k++) {
      const ctr = box.container();
      const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, bundle), { env: { OCI_NETDEVICES_TEST_FAIL_STEP: String(k) } });
      if (r.status === 0) break;
      assert.equal(r.status, 4, `step ${k}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`injected fault at step ${k}`));
      assert.doesNotMatch(r.stderr, /undo also failed/, `step ${k}`);
      assert.deepEqual(snapshot(devs), before, `host differs after a fault at step ${k}`);
      assert.deepEqual(stateLeft(box.stateDir), [], `state left after a fault at step ${k}`);
      assert.deepEqual(ipJson(ctr.netns, 'link', 'show').map((l) => l.ifname), ['lo'], `container not empty after step ${k}`);
    }
    assert.ok(k > 10, `the apply has many steps (${k - 1} faults injected)`);
  });

  test('poststop brings every device home with its host name, addresses, routes, MTU, MAC, offloads and features', () => {
    const { devs, config } = threeDevices();
    const before = snapshot(devs);
    const ctr = box.container();
    const id = uniqueName('c');
    const bundle = box.bundle(config);
    const r = box.hook('createRuntime', runcState(id, ctr.pid, bundle));
    assert.equal(r.status, 0, r.stderr);
    assert.equal(ipJson(ctr.netns, 'link', 'show').length, 4);
    assert.deepEqual(stateLeft(box.stateDir).sort(), [...devs.map((d) => `claims/${d}`), `containers/${id}`].sort());
    // The container's last process exits and its netns is deleted: only our pin keeps it alive.
    sh('ip', 'netns', 'del', ctr.netns);
    const p = box.hook('poststop', { ociVersion: '1.0.2', id, status: 'stopped', bundle });
    assert.equal(p.status, 0, p.stderr);
    assert.deepEqual(snapshot(devs), before);
    assert.deepEqual(stateLeft(box.stateDir), []);
  });

  test('teardown=kernel keeps the spec-strict behaviour: no pin, devices die with the netns', () => {
    const [dev, peer] = box.veth();
    const ctr = box.container();
    const id = uniqueName('c');
    const bundle = box.bundle(baseConfig({ netDevices: { [dev]: { name: 'eth1' } } }));
    const r = box.hook('createRuntime', runcState(id, ctr.pid, bundle), { args: ['--teardown', 'kernel'] });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readdirSync(join(box.stateDir, 'containers', id)).includes('netns'), false);
    const p = box.hook('poststop', { id, status: 'stopped', bundle, pid: 0 });
    assert.equal(p.status, 0, p.stderr);
    assert.deepEqual(stateLeft(box.stateDir), []);
    assert.ok(ipJson(undefined, 'link', 'show').some((l) => l.ifname === peer), 'peer still on host while the container lives');
  });

  test('poststop without state (nothing asked, or createRuntime failed) is a quiet no-op', () => {
    const p = box.hook('poststop', { id: uniqueName('c'), status: 'stopped', bundle: '/nonexistent' });
    assert.equal(p.status, 0, p.stderr);
    assert.equal(p.stderr, '');
  });
});

describe('crash recovery', () => {
  test('SIGKILL at a random point of a 24-device apply, then recover: every device home under its name', async () => {
    const devs = Array.from({ length: 24 }, () => box.veth()[0]);
    for (const d of devs) sh('ip', 'link', 'set', d, 'up');
    const before = snapshot(devs);
    const ctr = box.container();
    const bundle = box.bundle(baseConfig({ netDevices: devs.map((d, i) => ({ name: d, properties: { name: `e${i}`, address: `10.250.${i}.2`, mask: '24', mtu: 1300 } })) }));
    const delay = 30 + Math.floor(Math.random() * 250);
    const child = spawn(HOOK_BIN, ['--log-file', 'off', '--state-dir', box.stateDir, 'hook', 'createRuntime'], { stdio: ['pipe', 'ignore', 'ignore'] });
    child.stdin.end(JSON.stringify(runcState(uniqueName('c'), ctr.pid, bundle)));
    await new Promise((r) => setTimeout(r, delay));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const rec = spawnSync(HOOK_BIN, ['--state-dir', box.stateDir, 'recover'], { encoding: 'utf8' });
    assert.equal(rec.status, 0, rec.stdout + rec.stderr);
    assert.deepEqual(snapshot(devs), before, `after SIGKILL at ${delay} ms and recover: ${rec.stdout}`);
    assert.deepEqual(stateLeft(box.stateDir), []);
    assert.equal(spawnSync('grep', ['-c', box.stateDir, '/proc/mounts'], { encoding: 'utf8' }).stdout.trim(), '0', 'no pin left');
  });
});

describe('two containers, one device', () => {
  test('racing hooks: exactly one wins each time, the other is told who holds it', async () => {
    for (let round = 0; round < 30; round++) {
      const [dev] = box.veth();
      const a = box.container();
      const b = box.container();
      const bundle = box.bundle(baseConfig({ netDevices: { [dev]: { name: 'eth1' } } }));
      const run = (pid: number, id: string): Promise<{ code: number | null; err: string }> =>
        new Promise((resolve) => {
          const c = spawn(HOOK_BIN, ['--log-file', 'off', '--state-dir', box.stateDir, 'hook', 'createRuntime'], { stdio: ['pipe', 'ignore', 'pipe'] });
          let err = '';
          c.stderr.on('data', (d: Buffer) => (err += d.toString()));
          c.on('exit', (code) => resolve({ code, err }));
          c.stdin.end(JSON.stringify(runcState(id, pid, bundle)));
        });
      const ids = [uniqueName('ra'), uniqueName('rb')];
      const results = await Promise.all([run(a.pid, ids[0]!), run(b.pid, ids[1]!)]);
      const winners = results.filter((r) => r.code === 0);
      assert.equal(winners.length, 1, `round ${round}: ${JSON.stringify(results)}`);
      const loser = results.find((r) => r.code !== 0)!;
      assert.match(loser.err, new RegExp(`device "${dev}"`));
      assert.ok(/claimed by container|being configured by another/.test(loser.err) || /does not exist/.test(loser.err), loser.err);
      const inA = ipJson(a.netns, 'link', 'show').some((l) => l.ifname === 'eth1');
      const inB = ipJson(b.netns, 'link', 'show').some((l) => l.ifname === 'eth1');
      assert.equal(Number(inA) + Number(inB), 1, `round ${round}: the device is in exactly one container`);
    }
  });
});

describe('host safety policy (the hook runs in a throwaway netns that plays the host)', () => {
  function hostWith(setup: (ns: string, dev: string) => void): { hostNs: string; dev: string } {
    const hostNs = box.netns();
    const [dev] = box.veth(hostNs);
    setup(hostNs, dev);
    return { hostNs, dev };
  }
  const cases: Array<[string, (ns: string, dev: string) => void, RegExp, string]> = [
    ['default route', (ns, dev) => {
      sh('ip', '-n', ns, 'addr', 'add', '10.199.0.2/24', 'dev', dev);
      sh('ip', '-n', ns, 'link', 'set', dev, 'up');
      sh('ip', '-n', ns, 'route', 'add', 'default', 'via', '10.199.0.1');
    }, /carries the host's default route/, 'allowDefaultRouteDevices'],
    ['bridge port', (ns, dev) => {
      sh('ip', '-n', ns, 'link', 'add', 'br0', 'type', 'bridge');
      sh('ip', '-n', ns, 'link', 'set', dev, 'master', 'br0');
    }, /is a port of a bridge/, 'allowBridgePorts'],
  ];
  for (const [name, setup, re, allowKey] of cases) {
    test(`${name}: refused, then allowed by a policy file`, () => {
      const { hostNs, dev } = hostWith(setup);
      const ctr = box.container();
      const bundle = box.bundle(baseConfig({ netDevices: { [dev]: { name: 'eth1' } } }));
      const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, bundle), { inNetns: hostNs });
      assert.equal(r.status, 6, r.stderr);
      assert.match(r.stderr, re);
      assert.match(r.stderr, new RegExp(`device "${dev}"`));
      assert.ok(ipJson(hostNs, 'link', 'show').some((l) => l.ifname === dev), 'still on the host');
      const policy = join(bundle, 'policy.json');
      writeFileSync(policy, JSON.stringify({ [allowKey]: [`${dev.slice(0, 3)}*`] }));
      const ok = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, bundle), { inNetns: hostNs, args: ['--policy', policy, '--teardown', 'kernel'] });
      assert.equal(ok.status, 0, ok.stderr);
    });
  }

  test('lo is always refused; allowDevices restricts what may be given at all', () => {
    const ctr = box.container();
    const lo = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, box.bundle(baseConfig({ netDevices: { lo: { name: 'lo2' } } }))), { inNetns: box.netns() });
    assert.equal(lo.status, 3, lo.stderr);
    assert.match(lo.stderr, /loopback/);
    const [dev] = box.veth();
    const bundle = box.bundle(baseConfig({ netDevices: { [dev]: { name: 'eth1' } } }));
    const policy = join(bundle, 'policy.json');
    writeFileSync(policy, JSON.stringify({ allowDevices: ['eth[0-9]*', 'nomatch*'] }));
    const r = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, bundle), { args: ['--policy', policy] });
    assert.equal(r.status, 6, r.stderr);
    assert.match(r.stderr, /matches none of allowDevices/);
    writeFileSync(policy, JSON.stringify({ allowDevices: 'everything' }));
    const bad = box.hook('createRuntime', runcState(uniqueName('c'), ctr.pid, bundle), { args: ['--policy', policy] });
    assert.equal(bad.status, 6, bad.stderr);
    assert.match(bad.stderr, /policy file .* is invalid: \/allowDevices must be array/);
  });
});
