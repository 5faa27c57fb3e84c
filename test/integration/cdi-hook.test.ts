/**
 * The hook run as a CDI spec's entries run it (`hook <stage> --cdi-device <ifname>`), against
 * real links: a lone entry moves its device; of several entries listed in config.json the
 * first acts for all and the others exit 0 without touching anything; poststop brings all
 * home once and is a no-op after; a name CDI cannot carry fails as invalid input, changing nothing.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { HOOK_BIN, Sandbox, baseConfig, linkIn, runcState, uniqueName } from './hook-kit.js';

const box = new Sandbox();
after(() => box.cleanup());

/** The entries `cdi generate` writes, with the options the kit's runHook gives (so each run finds itself). */
const entry = (stage: string, dev: string): { path: string; args: string[] } => ({
  path: HOOK_BIN,
  args: ['oci-netdevices', '--log-file', 'off', '--state-dir', box.stateDir, 'hook', stage, '--cdi-device', dev],
});

describe('hook --cdi-device', () => {
  test('a lone entry moves its device under its own name; poststop brings it home', () => {
    const [dev] = box.veth();
    const ctr = box.container();
    const id = uniqueName('cdi');
    const bundle = box.bundle({ ...baseConfig({}), hooks: { createRuntime: [entry('createRuntime', dev)], poststop: [entry('poststop', dev)] } });
    const r = box.hook('createRuntime', runcState(id, ctr.pid, bundle), { args: ['--cdi-device', dev] });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(linkIn(ctr.netns, dev) !== undefined, 'in the container under its own name');
    assert.equal(linkIn(undefined, dev), undefined);
    const p = box.hook('poststop', { id, bundle, status: 'stopped' }, { args: ['--cdi-device', dev] });
    assert.equal(p.status, 0, p.stderr);
    assert.ok(linkIn(undefined, dev) !== undefined, 'home');
  });

  test('several entries: a later one exits 0 and moves nothing, the first moves every listed device; poststop once, then a no-op', () => {
    const [a] = box.veth();
    const [b] = box.veth();
    const ctr = box.container();
    const id = uniqueName('cdi');
    const bundle = box.bundle({
      ...baseConfig({}),
      hooks: { createRuntime: [entry('createRuntime', a), entry('createRuntime', b)], poststop: [entry('poststop', a), entry('poststop', b)] },
    });
    const state = runcState(id, ctr.pid, bundle);
    const second = box.hook('createRuntime', state, { args: ['--cdi-device', b] });
    assert.deepEqual([second.status, second.stderr], [0, '']);
    assert.ok(linkIn(undefined, a) !== undefined && linkIn(undefined, b) !== undefined, 'the second entry left both alone');
    const first = box.hook('createRuntime', state, { args: ['--cdi-device', a] });
    assert.equal(first.status, 0, first.stderr);
    assert.ok(linkIn(ctr.netns, a) !== undefined && linkIn(ctr.netns, b) !== undefined, 'the first entry moved both');
    for (const dev of [a, b]) {
      const p = box.hook('poststop', { id, bundle, status: 'stopped' }, { args: ['--cdi-device', dev] });
      assert.deepEqual([p.status, p.stderr], [0, '']);
      assert.ok(linkIn(undefined, a) !== undefined && linkIn(undefined, b) !== undefined, 'both home after the first poststop');
    }
  });

  test('a name CDI cannot carry: invalid input (exit 3), one line naming the entry and the rule, nothing moved', () => {
    const [dev] = box.veth();
    const ctr = box.container();
    const bad = `${dev.slice(0, 10)}.`;
    const bundle = box.bundle({ ...baseConfig({}), hooks: { createRuntime: [entry('createRuntime', dev), entry('createRuntime', bad)] } });
    const r = box.hook('createRuntime', runcState(uniqueName('cdi'), ctr.pid, bundle), { args: ['--cdi-device', dev] });
    assert.equal(r.status, 3, r.stderr);
    assert.equal(r.stderr.trimEnd().split('\n').length, 1);
    assert.match(r.stderr, new RegExp(`hooks\\.createRuntime\\[1\\]\\.args \\(device "${bad.replace('.', '\\.')}"\\): --cdi-device: CDI device name .* must end with a letter or digit`));
    assert.ok(linkIn(undefined, dev) !== undefined, 'nothing moved');
    const p = box.hook('poststop', { id: uniqueName('cdi'), bundle, status: 'stopped' }, { args: ['--cdi-device', bad] });
    assert.equal(p.status, 3, p.stderr);
    assert.match(p.stderr, /--cdi-device \(device ".*"\): CDI device name .* must end with a letter or digit/);
  });
});
