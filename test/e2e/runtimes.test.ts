/**
 * End to end with real runc and real crun: one end of a host veth pair is
 * asked for in config.json (array form and map form), the container prints
 * its network, and we check name, address and MTU from the container's own
 * output; then the host side after the container is gone, in both teardown
 * modes (poststop restore, and `--teardown kernel`: the device is left to
 * die with the container netns). A bad
 * config must fail the start with our one line and leave the host unchanged,
 * and so must a kernel step that fails after the device was moved.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { type NetDevices, SHOW_NETWORK, createBundle, parseIpOutput } from '../support/bundle.js';
import {
  type Cleanup,
  type HostSnapshot,
  type VethPair,
  addrStrings,
  cleanupAfter,
  concerning,
  exec,
  createIfb,
  createVethPair,
  hostSnapshot,
  linkExists,
  linkInfo,
  randomName,
  snapshotDiff,
  waitFor,
  waitForLinkGone,
} from '../support/netns.js';
import { RUNTIMES, type Runtime, listContainers, runContainer } from '../support/runtimes.js';

type Shape = 'array' | 'map';
type Teardown = 'restore' | 'kernel';

function stateDir(c: Cleanup): string {
  const dir = mkdtempSync(join(tmpdir(), 'ond-e2e-state-'));
  c.add(`state dir ${dir}`, () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Files under the state dir that name the container or a device (journals, pins, claims); lock files and status reports aside. */
function stateFor(dir: string, ...names: string[]): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => !f.startsWith('status') && !f.startsWith('locks/') && names.some((n) => f.includes(n)));
}

function devices(shape: Shape, v: VethPair): NetDevices {
  return shape === 'array'
    ? [{ name: v.name, properties: { name: 'eth1', address: '192.168.77.2', mask: '255.255.255.0', mtu: 1400 } }]
    : { [v.name]: { name: 'eth1' } };
}

/**
 * Nothing of this test's is left on the host: no link named like its devices (or the
 * container-side names), no netns or nsfs pin mentioning its state dir or container id,
 * and the runtime forgot the container. Scoped, because other tests may share the host.
 */
async function assertNothingLeft(before: HostSnapshot, runtime: Runtime, id: string, names: string[], sd: string): Promise<void> {
  const mine = concerning([...names, 'eth1', 'eth2'], [sd, id]);
  // A dying netns takes its veths with it asynchronously: give the kernel a moment.
  await waitFor('host links back to the snapshot', () => snapshotDiff(before, hostSnapshot(), mine).links.length === 0, { timeoutMs: 10_000 }).catch(() => undefined);
  assert.deepEqual(snapshotDiff(before, hostSnapshot(), mine), { links: [], netns: [], nsfsMounts: [] }, 'nothing new on the host');
  assert.ok(!listContainers(runtime).includes(id), `${runtime} list still has ${id}`);
}

for (const runtime of RUNTIMES) {
  describe(`${runtime}: a host veth end becomes the container's eth1`, () => {
    for (const shape of ['array', 'map'] as Shape[]) {
      for (const teardown of ['restore', 'kernel'] as Teardown[]) {
        test(`${shape} form, teardown ${teardown}`, async (t) => {
          const c = cleanupAfter(t);
          // map form only renames: give the veth MTU 1400 up front, the container must see it kept.
          const v = createVethPair({ cleanup: c, mtu: shape === 'map' ? 1400 : undefined });
          const hostBefore = linkInfo(v.name)!;
          const before = hostSnapshot();
          const sd = stateDir(c);
          const b = createBundle({ cleanup: c, script: SHOW_NETWORK, netDevices: devices(shape, v) });
          if (teardown === 'restore') b.useHook({ stateDir: sd });
          else b.useHook({ stateDir: sd, extraArgs: ['--teardown', 'kernel'] });

          const r = await runContainer(runtime, b, randomName('ond-e2e-', 30), { cleanup: c });
          const why = `${runtime} exit ${r.code}\nstderr: ${r.stderr}\nstdout: ${r.stdout}\nhook log:\n${b.logText()}`;
          assert.equal(r.code, 0, why);

          // What the container itself saw.
          const links = parseIpOutput(r.stdout);
          assert.deepEqual([...links.keys()].sort(), ['eth1', 'lo'], why);
          const eth1 = links.get('eth1')!;
          assert.equal(eth1.mtu, 1400, why);
          assert.equal(eth1.mac, hostBefore.address, 'the same device (same MAC) arrived');
          const v4 = eth1.addrs.filter((a) => !a.includes(':'));
          if (shape === 'array') {
            assert.ok(eth1.up, why);
            assert.deepEqual(v4, ['192.168.77.2/24'], why);
          } else {
            assert.deepEqual(v4, [], 'map form asks for no address');
          }
          assert.ok(!r.stdout.includes(v.name), 'the host name is not visible inside');

          // The host side once the container is gone.
          if (teardown === 'restore') {
            await waitFor(`${v.name} back on the host`, () => linkExists(v.name), { timeoutMs: 10_000 });
            const home = linkInfo(v.name)!;
            assert.equal(home.address, hostBefore.address);
            assert.equal(home.mtu, hostBefore.mtu, 'original MTU restored');
            assert.equal(home.link, v.peer, 'still paired with its peer');
            assert.deepEqual(addrStrings(v.name, undefined, 4), [], 'container address flushed');
            assert.ok(linkExists(v.peer));
          } else {
            // Nothing restores it: the moved end dies with the container netns, and takes its peer along.
            await waitForLinkGone(v.peer, { timeoutMs: 10_000 });
            assert.ok(!linkExists(v.name));
          }
          await assertNothingLeft(before, runtime, r.id, [v.name, v.peer], sd);
          assert.deepEqual(stateFor(sd, r.id, v.name), [], 'no journal, pin or claim left');
        });
      }
    }

    test('a kernel step fails after the move (ifb rejects a MAC): the start fails, the device is back as it was', async (t) => {
      const c = cleanupAfter(t);
      const ifb = createIfb({ cleanup: c });
      const hostBefore = linkInfo(ifb.name)!;
      const before = hostSnapshot();
      const sd = stateDir(c);
      const b = createBundle({
        cleanup: c,
        script: 'echo CONTAINER RAN',
        netDevices: { [ifb.name]: { name: 'eth1', networkConfig: { interface: { mtu: 1400, hardwareAddr: '02:00:00:00:00:42' } } } },
        hook: { stateDir: sd },
      });
      const r = await runContainer(runtime, b, randomName('ond-undo-', 30), { cleanup: c });
      assert.notEqual(r.code, 0, `${runtime} must fail\n${r.stdout}\n${b.logText()}`);
      assert.ok(!r.stdout.includes('CONTAINER RAN'));
      if (runtime === 'runc') assert.match(r.stderr, /stderr: oci-netdevices: [^\n]*\\n"$/m);
      const after = linkInfo(ifb.name);
      assert.ok(after, `${ifb.name} back on the host under its own name\n${b.logText()}`);
      assert.equal(after.mtu, hostBefore.mtu, 'MTU undone');
      assert.equal(after.address, hostBefore.address);
      assert.deepEqual(after.flags, hostBefore.flags);
      await assertNothingLeft(before, runtime, r.id, [ifb.name], sd);
      assert.deepEqual(stateFor(sd, r.id, ifb.name), [], 'no journal, pin or claim left');
    });

    // With --teardown kernel the hook keeps no claim on the name: nothing of ours comes home to clash.
    test('teardown kernel without a poststop hook: a same-named device can be given to the next container', async (t) => {
      const c = cleanupAfter(t);
      const sd = stateDir(c);
      const name = randomName('tre');
      const peer = randomName('trp');
      for (let round = 1; round <= 2; round++) {
        exec(['ip', 'link', 'add', name, 'type', 'veth', 'peer', 'name', peer]);
        c.add(`veth ${name}`, () => {
          if (linkExists(peer)) exec(['ip', 'link', 'del', peer]);
        });
        const b = createBundle({ cleanup: c, netDevices: { [name]: { name: 'eth1' } }, hook: { stateDir: sd, stages: ['createRuntime'], extraArgs: ['--teardown', 'kernel'] } });
        const r = await runContainer(runtime, b, randomName('ond-k-', 30), { cleanup: c });
        assert.equal(r.code, 0, `round ${round}: ${r.stderr}\n${b.logText()}`);
        await waitForLinkGone(peer, { timeoutMs: 10_000 });
      }
    });

    test('bad config (missing host device): the start fails with our one-line reason; host unchanged', async (t) => {
      const c = cleanupAfter(t);
      const v = createVethPair({ cleanup: c });
      const missing = randomName('nx');
      const hostBefore = linkInfo(v.name)!;
      const before = hostSnapshot();
      const sd = stateDir(c);
      const b = createBundle({
        cleanup: c,
        script: 'echo CONTAINER RAN',
        // The valid device first: if the hook moved it before noticing the missing one, it must undo that.
        netDevices: [
          { name: v.name, properties: { name: 'eth1', address: '192.168.77.2', mask: '255.255.255.0', mtu: 1400 } },
          { name: missing, properties: { name: 'eth2' } },
        ],
        hook: { stateDir: sd },
      });
      const r = await runContainer(runtime, b, randomName('ond-bad-', 30), { cleanup: c });
      assert.notEqual(r.code, 0, `${runtime} must fail\n${r.stderr}`);
      assert.ok(!r.stdout.includes('CONTAINER RAN'), 'the process never ran');
      if (runtime === 'runc') {
        // runc folds the hook's stderr into its own one error line:
        // ... error running hook #0: error running hook: exit status 3, stdout: , stderr: oci-netdevices: ...\n"
        const m = /error running hook #0: .*exit status (\d+), stdout: (.*?), stderr: (.*)"$/m.exec(r.stderr);
        assert.ok(m, r.stderr);
        assert.equal(m[2], '', 'the hook printed nothing on stdout');
        const hookStderr = m[3]!.replace(/\\"/g, '"');
        assert.match(hookStderr, new RegExp(`^oci-netdevices: .*"${missing}".*does not exist.*\\\\n$`));
        assert.equal(hookStderr.split('\\n').length, 2, `exactly one line: ${hookStderr}`);
        assert.ok(!hookStderr.includes(v.name), 'the reason names the missing device, not the good one');
      } else {
        // crun discards hook output: it says only that the hook failed; the log file says why.
        assert.match(r.stderr, /error executing hook .*oci-netdevices.*exit code: \d+/);
      }
      assert.match(b.logText(), new RegExp(`${missing}.*does not exist`));

      // Host unchanged: the valid device never left (or came back exactly as it was).
      const after = linkInfo(v.name);
      assert.ok(after, `${v.name} is still on the host`);
      assert.equal(after.ifindex, hostBefore.ifindex);
      assert.equal(after.mtu, hostBefore.mtu);
      assert.equal(after.address, hostBefore.address);
      assert.deepEqual(after.flags, hostBefore.flags);
      assert.deepEqual(addrStrings(v.name, undefined, 4), []);
      await assertNothingLeft(before, runtime, r.id, [v.name, v.peer, missing], sd);
      assert.deepEqual(stateFor(sd, r.id, v.name, missing), [], 'no journal, pin or claim left');
    });
  });
}
