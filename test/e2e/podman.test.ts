/**
 * podman 4.3 with our hooks: hooks.d files from `install-hook` plus an
 * annotation (with runc and with crun), and podman --runtime pointing at the
 * wrapper. Devices are configured as seen from inside and home after
 * `--rm` or `podman rm`; status is readable while the container lives.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { HOOK_BIN, REPO_ROOT, SHOW_NETWORK, makeRootfs, parseIpOutput } from '../support/bundle.js';
import { type Cleanup, type ExecResult, addrStrings, cleanupAfter, createVethPair, execAsync, execResult, linkExists, linkInfo, randomName, waitFor } from '../support/netns.js';
import { PODMAN_GLOBAL, RUNTIMES, ensureCrunCgroups } from '../support/runtimes.js';

const WRAPPER = join(REPO_ROOT, 'bin', 'oci-netdevices-runtime');

/** podman splits --annotation as CSV: quote the whole pair (keeps commas, quotes and newlines of YAML values). */
const annotation = (key: string, value: string): string => `"${`${key}=${value}`.replace(/"/g, '""')}"`;

interface Setup {
  c: Cleanup;
  work: string;
  state: string;
  rootfs: string;
}

function setup(t: { after(fn: () => void): void }): Setup {
  const c = cleanupAfter(t);
  const work = mkdtempSync(join(tmpdir(), 'ond-podman-'));
  c.add(`dir ${work}`, () => rmSync(work, { recursive: true, force: true }));
  const rootfs = join(work, 'rootfs');
  makeRootfs(rootfs);
  return { c, work, state: join(work, 'state'), rootfs };
}

function hostDevice(c: Cleanup): { dev: string; mtu: number } {
  const v = createVethPair({ cleanup: c, prefix: 'opd' });
  execResult(['ip', 'addr', 'add', '10.186.0.1/24', 'dev', v.name]);
  return { dev: v.name, mtu: linkInfo(v.name)!.mtu };
}

async function assertHome(dev: string, mtu: number): Promise<void> {
  await waitFor(`${dev} home`, () => linkExists(dev));
  assert.equal(linkInfo(dev)!.mtu, mtu);
  assert.ok(addrStrings(dev).includes('10.186.0.1/24'), addrStrings(dev).join(','));
}

/** `podman run` with a plain rootfs, the flags this machine needs, and everything else before --rootfs. */
function podman(s: Setup, runtime: string, flags: string[], args: string[], env: NodeJS.ProcessEnv = process.env): Promise<ExecResult & { name: string }> {
  if (runtime === 'crun' || runtime.endsWith('-crun')) ensureCrunCgroups();
  const name = randomName('ond-pm-');
  s.c.add(`podman container ${name}`, () => execResult(['podman', ...PODMAN_GLOBAL, 'rm', '-f', '-t', '0', name]));
  const argv = ['podman', ...PODMAN_GLOBAL, '--runtime', runtime, 'run', '--name', name, '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', '--network', 'none', ...flags, '--rootfs', s.rootfs, ...args];
  return execAsync(argv, { env, timeoutMs: 120_000 }).then((r) => ({ ...r, name }));
}

function installHooks(s: Setup): string {
  const dir = join(s.work, 'hooks.d');
  const r = execResult([HOOK_BIN, '--state-dir', s.state, '--log-file', join(s.work, 'hook.log'), 'install-hook', '--dir', dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readdirSync(dir).sort(), ['oci-netdevices-createruntime.json', 'oci-netdevices-poststop.json']);
  return dir;
}

const devicesAnnotation = (dev: string, name: string, addr: string, mtu: number): string[] =>
  ['--annotation', annotation('oci-netdevices.io/devices', JSON.stringify({ [dev]: { name, networkConfig: { interface: { addresses: [addr], mtu } } } }))];

interface StatusDoc {
  containerId: string;
  devices: Array<{ device: string; conditions: Array<{ type: string; status: string; reason: string }>; networkData?: { interfaceName: string; ips: string[] } }>;
}

describe('podman + hooks.d (install-hook) + annotation', () => {
  for (const runtime of RUNTIMES) {
    test(`--runtime ${runtime}, --rm: configured inside, home after --rm`, async (t) => {
      const s = setup(t);
      const { dev, mtu } = hostDevice(s.c);
      const hooksDir = installHooks(s);
      const r = await podman(s, runtime, ['--rm', '--hooks-dir', hooksDir, ...devicesAnnotation(dev, 'eth1', '10.187.0.2/24', 1400)], ['/bin/sh', '-c', SHOW_NETWORK]);
      assert.equal(r.code, 0, `${r.stderr}\nhook log:\n${readFileSync(join(s.work, 'hook.log'), { encoding: 'utf8', flag: 'a+' })}`);
      const eth1 = parseIpOutput(r.stdout).get('eth1');
      assert.ok(eth1, r.stdout);
      assert.equal(eth1.mtu, 1400);
      assert.ok(eth1.addrs.includes('10.187.0.2/24'), eth1.addrs.join(','));
      await assertHome(dev, mtu);
    });
  }

  test('a container that lives: status while it runs, home and status gone after podman rm', async (t) => {
    const s = setup(t);
    const { dev, mtu } = hostDevice(s.c);
    const hooksDir = installHooks(s);
    const r = await podman(s, 'runc', ['-d', '--hooks-dir', hooksDir, ...devicesAnnotation(dev, 'net7', '10.188.0.2/24', 1300)], ['/bin/sleep', '60']);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);
    assert.equal(linkExists(dev), false);
    const st = JSON.parse(execResult([HOOK_BIN, '--state-dir', s.state, 'status', id]).stdout) as StatusDoc;
    assert.equal(st.containerId, id);
    assert.equal(st.devices[0]!.device, dev);
    assert.deepEqual(st.devices[0]!.conditions.map((x) => [x.type, x.status]), [['Ready', 'True'], ['NetworkReady', 'True']]);
    assert.equal(st.devices[0]!.networkData!.interfaceName, 'net7');
    assert.ok(st.devices[0]!.networkData!.ips.includes('10.188.0.2/24'));
    const all = JSON.parse(execResult([HOOK_BIN, '--state-dir', s.state, 'status']).stdout) as StatusDoc[];
    assert.deepEqual(all.map((x) => x.containerId), [id]);
    const rm = execResult(['podman', ...PODMAN_GLOBAL, 'rm', '-f', '-t', '0', r.name]);
    assert.equal(rm.code, 0, rm.stderr);
    await assertHome(dev, mtu);
    assert.equal(execResult([HOOK_BIN, '--state-dir', s.state, 'status', id]).code, 2, 'status removed at teardown (exit 2: no status for that container)');
  });

  test('containers without our annotation do not run our hook', async (t) => {
    const s = setup(t);
    const hooksDir = installHooks(s);
    const r = await podman(s, 'runc', ['--rm', '--hooks-dir', hooksDir, '--annotation', 'unrelated=1'], ['/bin/true']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(s.work, 'hook.log'), { encoding: 'utf8', flag: 'a+' }), '', 'the hook never ran');
  });
});

describe('podman --runtime oci-netdevices-runtime', () => {
  for (const runtime of RUNTIMES) {
    test(`wrapping ${runtime} (${runtime === 'crun' ? 'symlink oci-netdevices-crun' : 'default runc'}): NRI annotation, home after --rm`, async (t) => {
      const s = setup(t);
      const { dev, mtu } = hostDevice(s.c);
      let wrapper = WRAPPER;
      if (runtime === 'crun') {
        const bin = join(s.work, 'bin');
        mkdirSync(bin);
        wrapper = join(bin, 'oci-netdevices-crun');
        symlinkSync(WRAPPER, wrapper);
      }
      // podman does not hand its environment to the runtime: the wrapper and the hook run with their defaults here.
      const yaml = `- name: ${dev}\n  new_name: net1\n  address: 10.189.0.2\n  prefix: 24\n  mtu: 1300\n`;
      const r = await podman(s, wrapper, ['--rm', '--annotation', annotation('netdevices.nri.containerd.io', yaml)], ['/bin/sh', '-c', SHOW_NETWORK]);
      assert.equal(r.code, 0, r.stderr);
      const net1 = parseIpOutput(r.stdout).get('net1');
      assert.ok(net1, `our hook, added by the wrapper, renamed and configured the device:\n${r.stdout}`);
      assert.equal(net1.mtu, 1300);
      assert.ok(net1.addrs.includes('10.189.0.2/24'));
      await assertHome(dev, mtu);
    });
  }
});
