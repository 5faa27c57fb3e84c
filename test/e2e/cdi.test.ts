/**
 * CDI devices of kind oci-netdevices.io/netdev from a spec `cdi generate` wrote: podman 4.3
 * (`--device`, spec under /var/run/cdi) and containerd 2.1 CRI (the CDI_devices field and the
 * cdi.k8s.io annotation, spec in its cdi_spec_dirs). The container gets the interface, under
 * its own name or configured by our annotation, several CDI devices at once (one hook entry
 * each, the first acting for all), and each comes home when the container goes.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEVICES_ANNOTATION, NRI_ANNOTATIONS } from '../../src/config/annotations.js';
import { HOOK_BIN, SHOW_NETWORK, createBundle, makeRootfs, parseIpOutput } from '../support/bundle.js';
import { type Containerd, hasContainerd, startContainerd } from '../support/containerd.js';
import { Cleanup, addrStrings, cleanupAfter, createVethPair, exec, execResult, hasTool, linkInfo, randomName, waitFor } from '../support/netns.js';
import { RUNTIMES, podmanRun, runContainer } from '../support/runtimes.js';

const KIND = 'oci-netdevices.io/netdev';

interface Dev {
  dev: string;
  mtu: number;
  addr: string;
}

/** Host devices whose names share a prefix no one else uses, so one glob picks exactly them. */
function devices(c: Cleanup, n: number): { prefix: string; devs: Dev[] } {
  const prefix = randomName('oc', 6);
  const devs = Array.from({ length: n }, (_v, i) => {
    const v = createVethPair({ cleanup: c, prefix });
    const addr = `10.254.${10 + Math.floor(Math.random() * 200)}.${i + 1}/24`;
    exec(['ip', 'link', 'set', v.name, 'mtu', '1400']);
    exec(['ip', 'addr', 'add', addr, 'dev', v.name]);
    return { dev: v.name, mtu: 1400, addr };
  });
  return { prefix, devs };
}

/**
 * `cdi generate` for exactly `prefix*`; the spec is removed by `c`. With `state` and `log` they
 * go into the hooks' arguments (podman gives hooks no environment); without, the engine's
 * environment must carry them.
 */
function generate(c: Cleanup, o: { dir: string; prefix: string; version: string; state?: string; log?: string; ext: 'json' | 'yaml' }): string {
  const file = join(o.dir, `${randomName('ond-e2e-', 20)}.${o.ext}`);
  c.add(`cdi spec ${file}`, () => rmSync(file, { force: true }));
  const globals = [...(o.state !== undefined ? ['--state-dir', o.state] : []), ...(o.log !== undefined ? ['--log-file', o.log] : [])];
  const { OCI_NETDEVICES_STATE_DIR: _s, OCI_NETDEVICES_LOG: _l, ...env } = process.env;
  const r = execResult([HOOK_BIN, ...globals, 'cdi', 'generate', '--cdi-version', o.version, '--devices', `${o.prefix}*`, '--output', file], { env });
  assert.equal(r.code, 0, r.stderr);
  return file;
}

async function assertHome(d: Dev): Promise<void> {
  await waitFor(`${d.dev} home`, () => linkInfo(d.dev) !== undefined, { timeoutMs: 20_000 });
  assert.equal(linkInfo(d.dev)!.mtu, d.mtu);
  assert.deepEqual(addrStrings(d.dev), [d.addr]);
}

const config = (dev: string, name: string, addr: string): string => JSON.stringify({ [dev]: { name, networkConfig: { interface: { addresses: [addr], mtu: 1300 } } } });

describe('CDI hook entries in a runc / crun bundle, as an engine applies the spec', () => {
  for (const runtime of RUNTIMES) {
    test(`${runtime}: two CDI devices, one also in linux.netDevices: each moved once, that one configured from config.json, both home`, async (t) => {
      const c = cleanupAfter(t);
      const work = mkdtempSync(join(tmpdir(), 'ond-cdi-b-'));
      c.add(`dir ${work}`, () => rmSync(work, { recursive: true, force: true }));
      const state = join(work, 'state');
      const log = join(work, 'hook.log');
      const { prefix, devs } = devices(c, 2);
      const [a, b] = devs as [Dev, Dev];
      const spec = JSON.parse(readFileSync(generate(c, { dir: work, prefix, version: '0.6.0', state, log, ext: 'json' }), 'utf8')) as { devices: { name: string; containerEdits: { hooks: { hookName: string; path: string; args: string[] }[] } }[] };
      const bundle = createBundle({ cleanup: c, netDevices: { [a.dev]: { name: 'net1', networkConfig: { interface: { addresses: ['10.255.2.2/24'], mtu: 1300 } } } } });
      // What CDI's containerEdits do: each device's hooks appended to the stage's list, in device order.
      const hooks: Record<string, { path: string; args: string[] }[]> = {};
      for (const d of spec.devices) for (const h of d.containerEdits.hooks) (hooks[h.hookName] ??= []).push({ path: h.path, args: h.args });
      bundle.config.hooks = hooks;
      bundle.write();
      const r = await runContainer(runtime, bundle, randomName('ond-cdi-', 30), { cleanup: c });
      const why = `${r.stderr}\n${existsSync(log) ? readFileSync(log, 'utf8') : ''}`;
      assert.equal(r.code, 0, why);
      const links = parseIpOutput(r.stdout);
      assert.deepEqual([links.get('net1')?.mtu, links.get('net1')?.addrs.includes('10.255.2.2/24'), links.has(b.dev)], [1300, true, true], why);
      assert.equal(readFileSync(log, 'utf8').split('\n').filter((l) => l.includes('"msg":"devices ready"')).length, 1, 'the first entry acted for both, the second exited 0');
      await assertHome(a);
      await assertHome(b);
    });
  }
});

describe('CDI with podman 4.3 (spec under /var/run/cdi)', { skip: hasTool('podman') ? false : 'podman not installed' }, () => {
  const setup = (t: { after(fn: () => void): void }, n: number): { c: Cleanup; work: string; rootfs: string; spec: string; devs: Dev[]; log: string; state: string } => {
    const c = cleanupAfter(t);
    const work = mkdtempSync(join(tmpdir(), 'ond-cdi-pm-'));
    c.add(`dir ${work}`, () => rmSync(work, { recursive: true, force: true }));
    const rootfs = join(work, 'rootfs');
    makeRootfs(rootfs);
    const cdiDir = '/var/run/cdi';
    if (!existsSync(cdiDir)) {
      mkdirSync(cdiDir, { recursive: true });
      c.add(`${cdiDir} (made by us, if empty)`, () => {
        try {
          rmdirSync(cdiDir);
        } catch {
          /* someone else's spec is there */
        }
      });
    }
    const { prefix, devs } = devices(c, n);
    const state = join(work, 'state');
    const log = join(work, 'hook.log');
    const spec = generate(c, { dir: cdiDir, prefix, version: '0.5.0', state, log, ext: 'yaml' });
    return { c, work, rootfs, spec, devs, log, state };
  };
  const why = (s: { log: string }, r: { stderr: string; stdout: string }): string => `${r.stderr}\n${r.stdout}\nhook log:\n${existsSync(s.log) ? readFileSync(s.log, 'utf8') : ''}`;

  test('--device alone: the interface is in the container under its own name, home after --rm', async (t) => {
    const s = setup(t, 1);
    const d = s.devs[0]!;
    const r = await podmanRun({ rootfs: s.rootfs, cleanup: s.c, flags: ['--device', `${KIND}=${d.dev}`], args: ['/bin/sh', '-c', SHOW_NETWORK] });
    assert.equal(r.code, 0, why(s, r));
    assert.ok(parseIpOutput(r.stdout).has(d.dev), why(s, r));
    await assertHome(d);
    assert.deepEqual(readdirSync(join(s.state, 'claims')), [], 'claims released');
  });

  test('two --device plus our annotation configuring one of them: both in, one renamed and addressed, both home after --rm', async (t) => {
    const s = setup(t, 2);
    const [a, b] = s.devs as [Dev, Dev];
    const r = await podmanRun({
      rootfs: s.rootfs, cleanup: s.c,
      flags: ['--device', `${KIND}=${a.dev}`, '--device', `${KIND}=${b.dev}`],
      annotations: { [DEVICES_ANNOTATION]: config(a.dev, 'net1', '10.255.0.2/24') },
      args: ['/bin/sh', '-c', SHOW_NETWORK],
    });
    assert.equal(r.code, 0, why(s, r));
    const links = parseIpOutput(r.stdout);
    const net1 = links.get('net1');
    assert.ok(net1 !== undefined, why(s, r));
    assert.deepEqual([net1.mtu, net1.addrs.includes('10.255.0.2/24')], [1300, true]);
    assert.ok(links.has(b.dev), 'the second CDI device, moved by the first hook entry');
    assert.equal(links.has(a.dev), false);
    const acted = readFileSync(s.log, 'utf8').split('\n').filter((l) => l.includes('"msg":"devices ready"'));
    assert.equal(acted.length, 1, 'one hook run acted for both CDI devices');
    await assertHome(a);
    await assertHome(b);
  });

  test('the same --device twice (podman lists its hooks twice): moved once, home after --rm', async (t) => {
    const s = setup(t, 1);
    const d = s.devs[0]!;
    const r = await podmanRun({ rootfs: s.rootfs, cleanup: s.c, flags: ['--device', `${KIND}=${d.dev}`, '--device', `${KIND}=${d.dev}`], args: ['/bin/sh', '-c', SHOW_NETWORK] });
    assert.equal(r.code, 0, why(s, r));
    assert.ok(parseIpOutput(r.stdout).has(d.dev), why(s, r));
    assert.match(readFileSync(s.log, 'utf8'), /an identical earlier hook entry .* already acted/);
    await assertHome(d);
  });

  test('a CDI device that is gone from the host fails the container, with the reason, and nothing is left', async (t) => {
    const s = setup(t, 1);
    const d = s.devs[0]!;
    exec(['ip', 'link', 'del', d.dev]);
    const r = await podmanRun({ rootfs: s.rootfs, cleanup: s.c, flags: ['--device', `${KIND}=${d.dev}`], args: ['/bin/true'] });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, new RegExp(`oci-netdevices: .*${d.dev}`), 'our one line, naming the device');
    assert.deepEqual(existsSync(join(s.state, 'containers')) ? readdirSync(join(s.state, 'containers')) : [], []);
  });
});

describe('CDI with containerd 2.1 CRI (cdi_spec_dirs)', { skip: hasContainerd() ? false : 'containerd not installed' }, () => {
  const c = new Cleanup();
  let ctrd: Containerd;
  let state: string;
  let log: string;
  const runc = exec(['sh', '-c', 'command -v runc']).trim();
  const KEYS = [DEVICES_ANNOTATION, ...NRI_ANNOTATIONS];

  before(async () => {
    const work = mkdtempSync(join(tmpdir(), 'ond-cdi-ctrd-'));
    c.add(`dir ${work}`, () => rmSync(work, { recursive: true, force: true }));
    state = join(work, 'state');
    log = join(work, 'hook.log');
    // Plain runc; the handler only passes our container annotations on (the default handler passes none).
    // State dir and log reach the hooks through containerd's environment, not the spec's hook args:
    // a run is still told apart from the other entries by its argv alone.
    ctrd = await startContainerd(c, { handlers: [{ name: 'ondcdi', binary: runc, podAnnotations: [], containerAnnotations: KEYS }], env: { OCI_NETDEVICES_STATE_DIR: state, OCI_NETDEVICES_LOG: log } });
  });
  after(async () => {
    await ctrd?.shutdown();
    const errors = c.run();
    if (errors.length > 0) process.stderr.write(`cleanup problems:\n  ${errors.join('\n  ')}\n`);
  });

  test('CDI_devices with our annotation, and the cdi.k8s.io annotation: each app container gets its interface, home after StopContainer', async () => {
    const { prefix, devs } = devices(c, 2);
    const [a, b] = devs as [Dev, Dev];
    const spec = generate(c, { dir: ctrd.cdiDir, prefix, version: '0.6.0', ext: 'json' });
    assert.doesNotMatch(readFileSync(spec, 'utf8'), /--state-dir/);
    const pod = await ctrd.runPod('cdi-pod', {}, 'ondcdi');
    const first = await ctrd.startContainer(pod, 'app1', { CDI_devices: [{ name: `${KIND}=${a.dev}` }], annotations: { [DEVICES_ANNOTATION]: config(a.dev, 'net1', '10.255.1.2/24') } });
    const r1 = await ctrd.exec(first, ['ip', '-o', 'addr', 'show', 'net1']);
    assert.match(r1.stdout, /inet 10\.255\.1\.2\/24/, `${r1.stderr}\n${existsSync(log) ? readFileSync(log, 'utf8') : ''}`);
    const second = await ctrd.startContainer(pod, 'app2', { annotations: { 'cdi.k8s.io/ond-e2e': `${KIND}=${b.dev}` } });
    const r2 = await ctrd.exec(second, ['ip', '-o', 'link', 'show', b.dev]);
    assert.equal(r2.exit_code, 0, `${r2.stderr}\n${existsSync(log) ? readFileSync(log, 'utf8') : ''}`);
    assert.equal(linkInfo(a.dev), undefined);
    await ctrd.cri.call('StopContainer', { container_id: first, timeout: 0 });
    await assertHome(a);
    assert.equal(linkInfo(b.dev), undefined, 'the other container still holds its own');
    await ctrd.stopPod(pod.id);
    await assertHome(b);
    await ctrd.removePod(pod.id);
    assert.deepEqual(readdirSync(join(state, 'claims')), []);
  });
});
