/**
 * The test harness itself (test/support): namespaces, veths, ifbs, cleanup,
 * polling, bundles and the three real runtimes with no hook at all.
 * If these fail, no other integration or e2e result can be trusted.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createBundle, parseIpOutput } from '../support/bundle.js';
import { minimalConfig, runHook, runHookSync, startFakeContainer } from '../support/hookproc.js';
import {
  Cleanup,
  addrStrings,
  cleanupAfter,
  concerning,
  createIfb,
  createNetns,
  createVethPair,
  exec,
  hostSnapshot,
  ipJson,
  linkExists,
  linkInfo,
  netnsOfPid,
  randomName,
  routes,
  snapshotDiff,
  waitForLinkGone,
  withCleanup,
} from '../support/netns.js';
import { RUNTIMES, listContainers, podmanContainers, podmanRun, runContainer } from '../support/runtimes.js';

const netnsNames = (): string[] => ipJson<Array<{ name: string }>>(['netns', 'list']).map((n) => n.name);

describe('names', () => {
  test('randomName: unique, at most 15 bytes, keeps the prefix', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const n = randomName('tva');
      assert.ok(n.startsWith('tva'));
      assert.ok(Buffer.byteLength(n) <= 15, n);
      assert.match(n, /^[a-z0-9]+$/);
      seen.add(n);
    }
    assert.equal(seen.size, 2000);
    assert.throws(() => randomName('waytoolongprefix'));
  });
});

describe('netns, veth, ifb', () => {
  test('createNetns: listed, lo up, exec runs inside, cleanup removes it', () => {
    const c = new Cleanup();
    const ns = createNetns({ cleanup: c });
    assert.ok(netnsNames().includes(ns.name));
    assert.equal(ns.path, `/run/netns/${ns.name}`);
    assert.ok(linkInfo('lo', ns)?.flags.includes('UP'));
    assert.match(ns.exec(['ip', '-o', 'link']), /^1: lo:/);
    assert.notEqual(ns.exec(['readlink', '/proc/self/ns/net']).trim(), netnsOfPid(process.pid));
    assert.equal(ns.run(['false']).code, 1);
    assert.deepEqual(c.run(), []);
    assert.ok(!netnsNames().includes(ns.name));
    assert.ok(!existsSync(ns.path));
  });

  test('createVethPair on the host and in a netns; ifb; cleanup deletes both ends', () => {
    const c = new Cleanup();
    const ns = createNetns({ cleanup: c });
    const host = createVethPair({ cleanup: c, mtu: 1400 });
    const inNs = createVethPair({ cleanup: c, netns: ns, up: true });
    const ifb = createIfb({ cleanup: c });
    assert.equal(linkInfo(host.name)?.linkinfo?.info_kind, 'veth');
    assert.equal(linkInfo(host.name)?.mtu, 1400);
    assert.ok(linkExists(host.peer));
    assert.ok(linkExists(inNs.name, ns) && linkExists(inNs.peer, ns));
    assert.ok(!linkExists(inNs.name), 'made in the netns, not on the host');
    assert.equal(linkInfo(ifb.name)?.linkinfo?.info_kind, 'ifb');
    assert.deepEqual(c.run(), []);
    for (const n of [host.name, host.peer, ifb.name]) assert.ok(!linkExists(n), n);
    assert.ok(!netnsNames().includes(ns.name));
  });

  test('linkInfo, addrs, routes read ip -j output', () => {
    const c = new Cleanup();
    try {
      const ns = createNetns({ cleanup: c });
      const v = createVethPair({ cleanup: c, netns: ns, up: true });
      ns.exec(['ip', 'addr', 'add', '192.168.99.1/24', 'dev', v.name]);
      ns.exec(['ip', 'route', 'add', '10.9.0.0/16', 'via', '192.168.99.254', 'dev', v.name]);
      assert.deepEqual(addrStrings(v.name, ns, 4), ['192.168.99.1/24']);
      assert.ok(addrStrings(v.name, ns, 6).every((a) => a.startsWith('fe80:')));
      assert.deepEqual(addrStrings('nonexistent0', ns), []);
      const r = routes(ns, v.name);
      assert.ok(r.some((x) => x.dst === '10.9.0.0/16' && x.gateway === '192.168.99.254'), JSON.stringify(r));
      assert.ok(r.some((x) => x.dst === '192.168.99.0/24' && x.scope === 'link'), JSON.stringify(r));
      assert.equal(linkInfo(v.name, ns.name)?.link, v.peer);
      assert.equal(linkInfo('nope', ns), undefined);
    } finally {
      assert.deepEqual(c.run(), []);
    }
  });

  test('a veth end moved into a netns dies with it, asynchronously: waitForLinkGone', async () => {
    const c = new Cleanup();
    const ns = createNetns({ cleanup: c });
    const v = createVethPair({ cleanup: c });
    exec(['ip', 'link', 'set', v.name, 'netns', ns.name]);
    assert.ok(!linkExists(v.name) && linkExists(v.name, ns) && linkExists(v.peer));
    ns.cleanup();
    await waitForLinkGone(v.peer, { timeoutMs: 10_000 });
    assert.deepEqual(c.run(), []);
  });

  test('withCleanup and cleanupAfter clean up even when the test body throws', async (t) => {
    let name = '';
    await assert.rejects(
      withCleanup((c) => {
        name = createVethPair({ cleanup: c }).name;
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.ok(!linkExists(name));
    await t.test('inner', (tt) => {
      name = createVethPair({ cleanup: cleanupAfter(tt) }).name;
      assert.ok(linkExists(name));
    });
    assert.ok(!linkExists(name), 'removed by t.after of the subtest');
  });

  test('startFakeContainer: a sleep inside its own netns, with a bundle', async (t) => {
    const c = cleanupAfter(t);
    const ctr = await startFakeContainer({ cleanup: c, config: minimalConfig() });
    assert.equal(netnsOfPid(ctr.pid), `net:[${exec(['stat', '-Lc', '%i', ctr.netns.path]).trim()}]`);
    assert.equal(ctr.state('runc').status, 'creating');
    assert.equal(ctr.state('crun').status, 'created');
    // As crun 1.8 writes it: root as config.json gives it, ociVersion "1.0".
    assert.equal(ctr.state('crun').root, 'rootfs');
    assert.equal(ctr.state('crun').ociVersion, '1.0');
    assert.ok(existsSync(`${ctr.bundle}/config.json`));
    ctr.destroy();
    assert.ok(!netnsNames().includes(ctr.netns.name));
  });

  for (const form of ['runc', 'crun'] as const) {
    test(`runHook with ${form}'s state shape: a veth end into a fake container and home at poststop`, async (t) => {
      const c = cleanupAfter(t);
      const v = createVethPair({ cleanup: c });
      const sd = mkdtempSync(join(tmpdir(), 'ond-h-state-'));
      c.add('state dir', () => rmSync(sd, { recursive: true, force: true }));
      const ctr = await startFakeContainer({ cleanup: c, config: minimalConfig({ [v.name]: { name: 'eth1' } }) });
      const r = await runHook('createRuntime', ctr.state(form), { stateDir: sd, cwd: ctr.bundle });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '');
      assert.ok(linkExists('eth1', ctr.netns) && !linkExists(v.name), 'moved and renamed');
      const p = await runHook('poststop', ctr.poststop(form), { stateDir: sd });
      assert.equal(p.code, 0, p.stderr);
      assert.ok(linkExists(v.name) && !linkExists('eth1', ctr.netns), 'home under its own name');
    });
  }

  test('runHookSync reaches the hook binary (state on stdin, one-line stderr on bad input)', () => {
    const r = runHookSync('createRuntime', '{not json');
    assert.notEqual(r.code, 0);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  });
});

describe('real runtimes with no hook and no netDevices', () => {
  for (const runtime of RUNTIMES) {
    test(`${runtime} run: the container sees only lo; nothing left behind`, async (t) => {
      const before = hostSnapshot();
      const c = cleanupAfter(t);
      const b = createBundle({ cleanup: c });
      const r = await runContainer(runtime, b, randomName('ond-h-'), { cleanup: c });
      assert.equal(r.code, 0, r.stderr);
      const links = parseIpOutput(r.stdout);
      assert.deepEqual([...links.keys()], ['lo'], r.stdout);
      assert.ok(links.get('lo')?.addrs.includes('127.0.0.1/8'), r.stdout);
      assert.ok(!listContainers(runtime).includes(r.id));
      assert.deepEqual(snapshotDiff(before, hostSnapshot(), concerning([], [r.id, b.dir])), { links: [], netns: [], nsfsMounts: [] });
    });
  }

  for (const runtime of RUNTIMES) {
    test(`podman --runtime ${runtime} --rootfs: only lo; container removed`, async (t) => {
      const c = cleanupAfter(t);
      const b = createBundle({ cleanup: c });
      const r = await podmanRun({ rootfs: b.rootfs, args: ['/bin/sh', '-c', 'ip -o addr show; ip -o link show'], runtime, cleanup: c, annotations: { 'example.test/x': 'a,b' } });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual([...parseIpOutput(r.stdout).keys()], ['lo'], r.stdout);
      assert.ok(!podmanContainers().includes(r.id));
    });
  }
});
