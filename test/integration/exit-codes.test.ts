/**
 * The exit-code table (README "Errors"): 2 command line or state, 3 config, 4 kernel (device and
 * step named), 1 only for a bug; always exactly one stderr line, and the host left as it was.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { HOOK_BIN, Sandbox, baseConfig, ipJson, linkIn, runcState, uniqueName } from './hook-kit.js';

const FAULTY_HOOK = resolve(fileURLToPath(import.meta.url), '../../support/faulty-hook.js');
const box = new Sandbox();
after(() => box.cleanup());

interface Case {
  name: string;
  code: number;
  says: RegExp;
  run(): { status: number | null; stdout: string; stderr: string };
}

describe('exit codes: one line, the documented code, nothing changed', () => {
  const [dev] = box.veth();
  const ctr = box.container();
  const config = baseConfig({ netDevices: { [dev]: { name: 'ctr0' } } });
  const bundle = box.bundle(config);
  const state = (over: Record<string, unknown> = {}): Record<string, unknown> => ({ ...runcState(uniqueName('c'), ctr.pid, bundle), ...over });
  const gone = spawnSync('true').pid!;
  const hookWithFaults = (rules: unknown[]) => {
    const r = spawnSync(process.execPath, [FAULTY_HOOK, '--log-file', 'off', '--state-dir', box.stateDir, 'hook', 'createRuntime'], {
      input: JSON.stringify(state()), encoding: 'utf8', env: { ...process.env, OND_TEST_FAULTS: JSON.stringify(rules) },
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  const cases: Case[] = [
    { name: 'missing pid', code: 2, says: /container state for createRuntime has no pid/, run: () => box.hook('createRuntime', state({ pid: undefined })) },
    { name: 'a pid that does not exist', code: 2, says: new RegExp(`container process ${gone} does not exist`), run: () => box.hook('createRuntime', state({ pid: gone })) },
    {
      name: 'not root', code: 2, says: /hook createRuntime must run as root \(uid 0\), not as uid 65534/,
      run: () => {
        // A bundle the user can read: the refusal is about root, not about the files.
        const b = box.bundle(config);
        chmodSync(b, 0o755);
        chmodSync(join(b, 'config.json'), 0o644);
        const r = spawnSync(HOOK_BIN, ['--log-file', 'off', '--state-dir', box.stateDir, 'hook', 'createRuntime'], { input: JSON.stringify(state({ bundle: b })), encoding: 'utf8', uid: 65534, gid: 65534 });
        return { status: r.status, stdout: r.stdout, stderr: r.stderr };
      },
    },
    { name: 'unreadable bundle', code: 2, says: /cannot read config \/nonexistent-bundle\/config\.json/, run: () => box.hook('createRuntime', state({ bundle: '/nonexistent-bundle' })) },
    {
      name: 'config.json a directory', code: 2, says: /config .*config\.json is a directory, not a regular file/,
      run: () => {
        const b = box.bundle({});
        const dir = join(b, 'sub');
        mkdirSync(join(dir, 'config.json'), { recursive: true });
        return box.hook('createRuntime', state({ bundle: dir }));
      },
    },
    {
      name: 'a symlinked claim file', code: 2, says: new RegExp(`claim of device "${dev}" .* is a symlink: refusing to follow it`),
      run: () => {
        const claims = join(box.stateDir, 'claims');
        mkdirSync(claims, { recursive: true, mode: 0o700 });
        writeFileSync(join(box.stateDir, 'elsewhere'), 'someone\n');
        symlinkSync(join(box.stateDir, 'elsewhere'), join(claims, dev));
        try {
          return box.hook('createRuntime', state());
        } finally {
          spawnSync('rm', ['-f', join(claims, dev)]);
        }
      },
    },
    {
      name: 'an id that already has state', code: 2, says: /already has state in .*refusing to start a second one with this id/,
      run: () => {
        const id = uniqueName('c');
        mkdirSync(join(box.stateDir, 'containers', id), { recursive: true, mode: 0o700 });
        return box.hook('createRuntime', state({ id }));
      },
    },
    {
      name: 'status of a container that has none', code: 2, says: /no status for container ond-no-such-ctr/,
      run: () => {
        const r = spawnSync(HOOK_BIN, ['--state-dir', box.stateDir, 'status', 'ond-no-such-ctr'], { encoding: 'utf8' });
        return { status: r.status, stdout: r.stdout, stderr: r.stderr };
      },
    },
    {
      name: 'a duplicate key in config.json', code: 3, says: new RegExp(`linux\\.netDevices\\["${dev}"\\]: duplicate key`),
      run: () => {
        const b = box.bundle({});
        writeFileSync(join(b, 'config.json'), `{"linux": {"namespaces": [{"type": "network"}], "netDevices": {"${dev}": {"name": "a"}, "${dev}": {"name": "b"}}}}`);
        return box.hook('createRuntime', state({ bundle: b }));
      },
    },
    {
      name: 'the kernel failing the host view', code: 4, says: new RegExp(`device "${dev}": reading the host network namespace \\(links, addresses, routes\\) failed: list routes.*EBUSY`),
      run: () => hookWithFaults([{ netns: 'host', type: 'RTM_GETROUTE', dump: true, nth: 1, mode: 'refuse', errno: 16 }]),
    },
    {
      name: "the kernel failing the container's view", code: 4, says: new RegExp(`device "${dev}": reading the container's network namespace \\(links, addresses\\) failed: list links.*EBUSY`),
      run: () => hookWithFaults([{ netns: 'ctr', type: 'RTM_GETLINK', dump: true, nth: 1, mode: 'refuse', errno: 16 }]),
    },
    {
      // After the move the device is read back by the name it was given (a get, not a dump).
      name: 'the kernel failing the read of the moved device', code: 4, says: new RegExp(`device "${dev}": moving and configuring failed: get link ctr0.*EBUSY`),
      run: () => hookWithFaults([{ netns: 'ctr', type: 'RTM_GETLINK', dump: false, nth: 1, mode: 'refuse', errno: 16 }]),
    },
  ];

  for (const c of cases) {
    test(`${c.name}: exit ${c.code}`, () => {
      const r = c.run();
      assert.equal(r.status, c.code, `${c.name}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      const lines = r.stderr.trimEnd().split('\n');
      assert.equal(lines.length, 1, `one line: ${r.stderr}`);
      assert.match(lines[0]!, /^oci-netdevices: /);
      assert.match(lines[0]!, c.says);
      assert.ok(linkIn(undefined, dev), 'the device is still on the host');
      assert.deepEqual(ipJson(ctr.netns, 'link', 'show').map((l) => l.ifname), ['lo']);
    });
  }
});
