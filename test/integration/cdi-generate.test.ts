/**
 * `cdi generate` against the real host: the interfaces a glob picks, JSON on stdout or a
 * .json/.yaml file (the same spec, 0644, written whole), skipped interfaces named with their
 * reason, and the refusals (no interface left, an extension CDI does not read, an unknown version).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { Cleanup, createVethPair, exec, execResult, randomName } from '../support/netns.js';
import { HOOK_BIN } from './hook-kit.js';

const c = new Cleanup();
after(() => {
  const errors = c.run();
  if (errors.length > 0) process.stderr.write(`cleanup problems:\n  ${errors.join('\n  ')}\n`);
});
const work = mkdtempSync(join(tmpdir(), 'ond-cdigen-'));
c.add(`dir ${work}`, () => rmSync(work, { recursive: true, force: true }));
const prefix = randomName('og', 6);
const a = createVethPair({ cleanup: c, prefix }).name;
const b = createVethPair({ cleanup: c, prefix }).name;
// A bridge port: refused by the default policy, so skipped with the reason.
const port = createVethPair({ cleanup: c, prefix }).name;
const bridge = randomName('ogbr');
exec(['ip', 'link', 'add', bridge, 'type', 'bridge']);
c.add(`bridge ${bridge}`, () => execResult(['ip', 'link', 'del', bridge]));
exec(['ip', 'link', 'set', port, 'master', bridge]);

const gen = (...args: string[]): ReturnType<typeof execResult> => execResult([HOOK_BIN, '--state-dir', '/run/ond-x', 'cdi', 'generate', '--devices', `${prefix}*`, ...args]);

test('JSON on stdout: the picked interfaces, sorted, with our hooks; a bridge port skipped with the reason', () => {
  const r = gen();
  assert.equal(r.code, 0, r.stderr);
  const spec = JSON.parse(r.stdout) as { cdiVersion: string; kind: string; devices: { name: string; containerEdits: { hooks: { args: string[] }[] } }[] };
  assert.equal(spec.cdiVersion, '0.5.0');
  assert.equal(spec.kind, 'oci-netdevices.io/netdev');
  assert.deepEqual(spec.devices.map((d) => d.name), [a, b].sort());
  assert.deepEqual(spec.devices[0]!.containerEdits.hooks[0]!.args, ['oci-netdevices', '--state-dir', '/run/ond-x', 'hook', 'createRuntime', '--cdi-device', spec.devices[0]!.name]);
  assert.match(r.stderr, new RegExp(`skipped "${port}": refused by policy .*port of a bridge`));
});

test('a .yaml and a .json file hold the same spec, mode 0644, no temporary file left', () => {
  const y = join(work, 'net.yaml');
  const j = join(work, 'net.json');
  for (const f of [y, j]) assert.equal(gen('--cdi-version', '0.6.0', '--output', f).code, 0);
  assert.deepEqual(parseYaml(readFileSync(y, 'utf8')), JSON.parse(readFileSync(j, 'utf8')));
  assert.equal((parseYaml(readFileSync(y, 'utf8')) as { cdiVersion: unknown }).cdiVersion, '0.6.0', 'the version stays a string in YAML');
  for (const f of [y, j]) assert.equal(statSync(f).mode & 0o777, 0o644);
  assert.deepEqual(readdirSync(work).sort(), ['net.json', 'net.yaml']);
});

test('refusals: no interface left, an extension CDI does not read, an unknown version, a bad glob (exit 2, nothing written)', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--devices', 'ondnomatch*'], /no host interface to offer matches --devices "ondnomatch\*"/],
    [['--output', join(work, 'net.txt')], /CDI reads only \.json and \.yaml/],
    [['--cdi-version', '0.7.0'], /--cdi-version must be one of 0\.5\.0, 0\.6\.0, 1\.1\.0/],
    [['--devices', 'og['], /--devices: /],
  ];
  for (const [args, re] of cases) {
    const r = execResult([HOOK_BIN, 'cdi', 'generate', ...(args[0] === '--devices' ? [] : ['--devices', `${prefix}*`]), ...args, ...(args.includes('--output') ? [] : ['--output', join(work, 'refused.json')])]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
  }
  assert.equal(existsSync(join(work, 'refused.json')) || existsSync(join(work, 'net.txt')), false);
});
