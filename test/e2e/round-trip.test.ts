/**
 * Issue 10 with real runtimes: the same richly configured host veth end goes
 * into a busybox container under runc and crun; inside, busybox `ip` shows
 * the carried addresses with their attributes; afterwards the host snapshot
 * (ip -d link/addr/route, table all, ethtool -k, the device's sysctls) is the
 * one taken before.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { afterEach, test } from 'node:test';
import { Sandbox, sh, uniqueName } from '../integration/hook-kit.js';
import { stateLeft } from '../integration/lifecycle-kit.js';
import { configureRichDevice, fullSnapshot } from '../support/round-trip-kit.js';
import { type Runtime, busyboxBundle, runContainer } from './e2e-kit.js';

let box = new Sandbox();
afterEach(() => {
  box.cleanup();
  box = new Sandbox();
});

/** busybox `ip addr` lines of the carried addresses (inet/inet6 with scope global, no lifetime), the device named `as`. */
function carriedLines(out: string, dev: string, as: string, carried: readonly string[]): string[] {
  return out.split('\n').map((l) => l.trim())
    .filter((l) => /^inet6? /.test(l) && carried.some((c) => l.startsWith(`inet ${c}`) || l.startsWith(`inet6 ${c}/`)))
    .map((l) => l.replace(new RegExp(`\\b${dev}\\b`), as).replace(/\s+/g, ' ').trim())
    .sort();
}

for (const [runtime, net] of [['runc', 181], ['crun', 182]] as Array<[Runtime, number]>) {
  test(`${runtime}: a host veth with every attribute goes in and comes home exactly as it left`, () => {
    const [dev, peer] = box.veth();
    const table = 20000 + Math.floor(Math.random() * 10000);
    const rich = configureRichDevice(undefined, dev, peer, { net, table, altname: uniqueName('alt') });
    box.defer(() => spawnSync('ip', ['route', 'flush', 'table', String(table)], { stdio: 'ignore' }));
    const before = fullSnapshot(undefined, [dev]);
    const expected = carriedLines(sh('busybox', 'ip', 'addr', 'show', 'dev', dev), dev, 'eth1', rich.carried);
    assert.equal(expected.length, rich.carried.length, `busybox sees the host addresses: ${expected.join(' | ')}`);

    // DAD of the IPv6 address without nodad runs in the container too: let it settle before looking.
    const b = busyboxBundle(box, 'sleep 3; ip addr show dev eth1', { stateDir: box.stateDir });
    b.config.linux.netDevices = [{ name: dev, properties: { name: 'eth1' } }];
    b.write();
    const r = runContainer(box, runtime, b, uniqueName(runtime.slice(0, 2)));
    assert.equal(r.status, 0, r.stderr);
    const inside = carriedLines(r.stdout, 'eth1', 'eth1', rich.carried);
    assert.deepEqual(inside, expected, 'inside: the same addresses, brd, peer, label (renamed), noprefixroute, nodad');
    assert.ok(inside.some((l) => l.endsWith('eth1:web')), 'the label followed the rename');

    const after = fullSnapshot(undefined, [dev]);
    assert.deepEqual(after.snap, before.snap, 'home exactly as it left');
    assert.deepEqual(stateLeft(box.stateDir), []);
  });
}
