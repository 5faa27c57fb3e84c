/**
 * The NRI plugin (oci-netdevices nri) in a real containerd 2.x with plain runc, driven through
 * CRI: every annotation form gets its device renamed and configured in the pod's netns, seen by
 * two app containers, and home with its original configuration after StopPodSandbox; a pod
 * without annotations is untouched; a missing device fails the pod and leaves nothing; the
 * plugin killed while a pod holds a device: after its restart the device still comes home,
 * also when the pod went away while the plugin was down.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { HOOK_BIN } from '../support/bundle.js';
import { type Containerd, hasContainerd, startContainerd } from '../support/containerd.js';
import { Cleanup, addrStrings, linkInfo, sleepMs, waitFor } from '../support/netns.js';
import { FORMS, type HostDevice, assertHomeAsItWas, assertPodHasDevice, formPodName, hostDevice as newHostDevice } from './cri-kit.js';

const skip = hasContainerd() ? false : 'containerd not installed (.ci/run installs containerd/sid, pinned)';

interface Plugin {
  child: ChildProcess;
  exited: Promise<void>;
}

describe('NRI plugin in containerd (plain runc)', { skip }, () => {
  const c = new Cleanup();
  let ctrd: Containerd;
  let work: string;
  let state: string;
  let logFile: string;
  let plugin: Plugin | undefined;

  const startPlugin = async (): Promise<Plugin> => {
    const registeredBefore = registrations();
    const child = spawn(HOOK_BIN, ['nri', '--socket', ctrd.nriSocket, '--state-dir', state, '--log-file', logFile, '--name', 'ond-e2e', '--index', '20'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const p = { child, exited };
    await waitFor('plugin registered', () => registrations() > registeredBefore || child.exitCode !== null, { timeoutMs: 20_000 });
    assert.equal(child.exitCode, null, `plugin exited: ${stderr}`);
    return p;
  };
  const stopPlugin = async (signal: NodeJS.Signals): Promise<void> => {
    if (plugin === undefined) return;
    plugin.child.kill(signal);
    await plugin.exited;
    plugin = undefined;
  };
  const registrations = (): number => (existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n').filter((l) => l.includes('"msg":"registered"')).length : 0);
  const entries = (sub: string): string[] => (existsSync(join(state, sub)) ? readdirSync(join(state, sub)) : []);

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'ond-nri-e2e-'));
    c.add(`dir ${work}`, () => rmSync(work, { recursive: true, force: true }));
    state = join(work, 'state');
    logFile = join(work, 'plugin.log');
    ctrd = await startContainerd(c);
    plugin = await startPlugin();
  });
  after(async () => {
    await stopPlugin('SIGTERM');
    await ctrd?.shutdown();
    const errors = c.run();
    if (errors.length > 0) process.stderr.write(`cleanup problems:\n  ${errors.join('\n  ')}\n`);
  });

  const hostDevice = (): HostDevice => newHostDevice(c, 'ondn');

  for (const [key, annotation] of FORMS) {
    test(`${key}: renamed and configured in the pod, seen by two containers, home as it was after StopPodSandbox`, async () => {
      const h = hostDevice();
      const pod = await ctrd.runPod(formPodName('nri', key), annotation(h.dev));
      await assertPodHasDevice(ctrd, pod, h, state);
      await ctrd.stopPod(pod.id);
      await assertHomeAsItWas(h);
      await ctrd.removePod(pod.id);
      assert.ok(!entries('containers').includes(pod.id) && !entries('nri-pods').includes(`${pod.id}.json`), 'nothing kept for the pod');
    });
  }

  test('a pod without device annotations is untouched', async () => {
    const h = hostDevice();
    const pod = await ctrd.runPod('nri-plain', { 'example.com/other': h.dev });
    const id = await ctrd.startContainer(pod, 'app');
    const r = await ctrd.exec(id, ['ip', '-o', 'link']);
    assert.doesNotMatch(r.stdout, new RegExp(h.dev));
    assert.ok(linkInfo(h.dev) !== undefined);
    assert.ok(!entries('containers').includes(pod.id) && !entries('nri-pods').includes(`${pod.id}.json`));
    await ctrd.stopPod(pod.id);
    await ctrd.removePod(pod.id);
    assert.deepEqual(addrStrings(h.dev), [h.addr]);
  });

  test('a pod asking for a missing device fails with the reason and leaves nothing behind', async () => {
    const before = { containers: entries('containers'), claims: entries('claims'), pods: entries('nri-pods') };
    const ask = { 'oci-netdevices.io/devices': JSON.stringify({ ondmissing0: { name: 'net1' } }) };
    const err = await ctrd.runPod('nri-missing', ask).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    assert.ok(err !== undefined, 'RunPodSandbox fails');
    assert.match(err.message, /ondmissing0/, 'with our reason');
    assert.deepEqual({ containers: entries('containers'), claims: entries('claims'), pods: entries('nri-pods') }, before);
  });

  test('plugin killed while a pod holds a device, restarted: StopPodSandbox brings the device home', async () => {
    const h = hostDevice();
    const pod = await ctrd.runPod('nri-restart', FORMS[0]![1](h.dev));
    await ctrd.startContainer(pod, 'app');
    assert.equal(linkInfo(h.dev), undefined);
    await stopPlugin('SIGKILL');
    plugin = await startPlugin();
    await sleepMs(300); // the Synchronize reconcile is queued ahead of the next event anyway
    assert.equal(linkInfo(h.dev), undefined, 'never moved twice, never pulled back from a live pod');
    await ctrd.stopPod(pod.id);
    assert.deepEqual(addrStrings(h.dev), [h.addr], 'home with its address');
    await ctrd.removePod(pod.id);
  });

  test('pod stopped and removed while the plugin was down: its device comes home at Synchronize', async () => {
    const h = hostDevice();
    const pod = await ctrd.runPod('nri-gone', FORMS[1]![1](h.dev));
    assert.equal(linkInfo(h.dev), undefined);
    await stopPlugin('SIGKILL');
    await ctrd.stopPod(pod.id);
    await ctrd.removePod(pod.id);
    plugin = await startPlugin();
    // The plugin works in the background: the device shows up on the host at its move, and its
    // host configuration (addresses last but routes) follows right after.
    await waitFor('device home', () => linkInfo(h.dev) !== undefined && addrStrings(h.dev).length > 0, { timeoutMs: 20_000 });
    assert.equal(linkInfo(h.dev)!.mtu, h.mtu);
    assert.deepEqual(addrStrings(h.dev), [h.addr]);
    await waitFor('pod forgotten', () => !entries('nri-pods').includes(`${pod.id}.json`), { timeoutMs: 10_000 });
  });
});
