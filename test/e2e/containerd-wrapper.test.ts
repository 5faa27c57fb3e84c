/**
 * The wrapper (bin/oci-netdevices-runtime) as containerd's CRI runtime: a handler of type
 * io.containerd.runc.v2 whose BinaryName is the wrapper, passing our annotation keys from
 * pods and containers. The pause container moves each annotation form's device into the
 * pod's netns; containerd copies the pod annotations into every app container, whose hook
 * finds the device there (claimed by its own sandbox) and moves nothing; StopPodSandbox
 * brings it home as it was. A pod without annotations is untouched; a missing device fails
 * the pod and leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEVICES_ANNOTATION, NRI_ANNOTATIONS } from '../../src/config/annotations.js';
import { REPO_ROOT } from '../support/bundle.js';
import { type Containerd, hasContainerd, startContainerd } from '../support/containerd.js';
import { Cleanup, addrStrings, linkInfo } from '../support/netns.js';
import { FORMS, assertHomeAsItWas, assertPodHasDevice, formPodName, hostDevice } from './cri-kit.js';

const skip = hasContainerd() ? false : 'containerd not installed (.ci/run installs containerd/sid, pinned)';
const WRAPPER = join(REPO_ROOT, 'bin', 'oci-netdevices-runtime');
const HANDLER = 'ondwrap';
/** containerd matches these with filepath.Match, where `*` stops at `/`: every key spelled out. */
const KEYS = [DEVICES_ANNOTATION, ...NRI_ANNOTATIONS];

describe('the wrapper as containerd CRI runtime (BinaryName)', { skip }, () => {
  const c = new Cleanup();
  let ctrd: Containerd;
  let state: string;
  let logFile: string;
  const entries = (sub: string): string[] => (existsSync(join(state, sub)) ? readdirSync(join(state, sub)) : []);
  const hookLog = (): string => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');

  before(async () => {
    const work = mkdtempSync(join(tmpdir(), 'ond-wrap-e2e-'));
    c.add(`dir ${work}`, () => rmSync(work, { recursive: true, force: true }));
    state = join(work, 'state');
    logFile = join(work, 'hook.log');
    // containerd's environment reaches shim, wrapper and hooks (the wrapper hands both on as hook args).
    ctrd = await startContainerd(c, {
      handlers: [{ name: HANDLER, binary: WRAPPER, podAnnotations: KEYS, containerAnnotations: KEYS }],
      env: { OCI_NETDEVICES_STATE_DIR: state, OCI_NETDEVICES_LOG: logFile },
    });
  });
  after(async () => {
    await ctrd?.shutdown();
    const errors = c.run();
    if (errors.length > 0) process.stderr.write(`cleanup problems:\n  ${errors.join('\n  ')}\n`);
  });

  for (const [key, annotation] of FORMS) {
    test(`${key} on the pod: renamed and configured by the pause container's hook, seen by two app containers, home as it was after StopPodSandbox`, async () => {
      const h = hostDevice(c, 'ondw');
      const pod = await ctrd.runPod(formPodName('wrap', key), annotation(h.dev), HANDLER);
      const apps = await assertPodHasDevice(ctrd, pod, h, state);
      assert.deepEqual(entries('containers').filter((id) => apps.includes(id)), [], 'the app containers moved nothing and keep no state');
      assert.match(hookLog(), /device already in this network namespace/, "the app containers' hooks found the sandbox's device");
      await ctrd.stopPod(pod.id);
      await assertHomeAsItWas(h);
      await ctrd.removePod(pod.id);
      assert.ok(!entries('containers').includes(pod.id), 'nothing kept for the pod');
      assert.deepEqual(entries('claims'), [], 'no claim left');
    });
  }

  test('a pod without device annotations is untouched', async () => {
    const h = hostDevice(c, 'ondw');
    const pod = await ctrd.runPod('wrap-plain', { 'example.com/other': h.dev }, HANDLER);
    const id = await ctrd.startContainer(pod, 'app');
    const r = await ctrd.exec(id, ['ip', '-o', 'link']);
    assert.doesNotMatch(r.stdout, new RegExp(h.dev));
    assert.deepEqual(addrStrings(h.dev), [h.addr]);
    assert.ok(!entries('containers').includes(pod.id) && !entries('containers').includes(id));
    await ctrd.stopPod(pod.id);
    await ctrd.removePod(pod.id);
    assert.ok(linkInfo(h.dev) !== undefined);
    assert.deepEqual(addrStrings(h.dev), [h.addr]);
  });

  test('a pod asking for a missing device fails with the reason and leaves nothing behind', async () => {
    const before = { containers: entries('containers'), claims: entries('claims'), netns: entries('netns') };
    const ask = { [DEVICES_ANNOTATION]: JSON.stringify({ ondmissing1: { name: 'net1' } }) };
    const err = await ctrd.runPod('wrap-missing', ask, HANDLER).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    assert.ok(err !== undefined, 'RunPodSandbox fails');
    assert.match(err.message, /ondmissing1/, 'with our reason');
    assert.deepEqual({ containers: entries('containers'), claims: entries('claims'), netns: entries('netns') }, before);
  });
});
