import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { HostOriginal } from '../../src/state/device-record.js';
import { verdict } from '../../src/hook/recover.js';
import { writeFileAtomic } from '../../src/state/atomic-file.js';
import { listContainerIds, readDevices, readJournal, removeContainerDir, writeDevices, writeJournal } from '../../src/state/container-store.js';
import { ownStartTime, processAlive, processStartTime } from '../../src/state/proc-start.js';
import type { Journal } from '../../src/state/records.js';
import { StateDir } from '../../src/state/state-dir.js';

const scratch = mkdtempSync(join(tmpdir(), 'ond-journal-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;
const fresh = (): StateDir => new StateDir(join(scratch, `s${n++}`));

const original = (name: string): HostOriginal => ({
  name, index: 7, up: true, mtu: 1500, mac: '02:00:00:00:00:01', gsoMaxSize: 65536,
  addresses: [{ family: 4, bytes: 'CgAAAQ==', prefixLength: 24, text: '10.0.0.1/24', scope: 0, flags: 128 }],
  routes: [{ family: 4, dst: 'CgEAAA==', dstLength: 24, gateway: 'CgAAFA==', scope: 0, text: '10.1.0.0/24 via 10.0.0.20' }],
  features: { 'rx-gro': true }, privateFlags: {},
});

/** `pinIn`: the state directory whose container directory holds the pin (the only place a pin may be). */
const journal = (id: string, pid: number, start: string, pinIn?: StateDir): Journal => ({
  version: 1, id, teardown: 'restore', hookPid: pid, hookStart: start, ...(pinIn !== undefined ? { netnsPin: pinIn.containerFile(id, 'netns') } : {}),
  devices: [{ hostName: 'veth1', containerName: 'eth%d', original: original('veth1'), hardwareAddr: '02:00:00:00:00:09' }],
});

test('writeFileAtomic replaces the whole file through a temp file: no partial content, no temp left, 0600', () => {
  const d = mkdtempSync(join(scratch, 'atomic-'));
  const p = join(d, 'f.json');
  writeFileSync(p, 'old');
  const inodeBefore = statSync(p).ino;
  writeFileAtomic(p, 'new content');
  assert.equal(readFileSync(p, 'utf8'), 'new content');
  assert.notEqual(statSync(p).ino, inodeBefore, 'renamed into place, not rewritten in place');
  assert.equal(statSync(p).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(d), ['f.json']);
});

test('a writer killed at any point leaves either the old or the new file, never a mix', () => {
  const d = mkdtempSync(join(scratch, 'kill-'));
  const p = join(d, 'j.json');
  const big = (tag: string): string => JSON.stringify({ tag, pad: tag.repeat(50_000) });
  writeFileAtomic(p, big('a'));
  const mod = new URL('../../src/state/atomic-file.js', import.meta.url).href;
  for (let i = 0; i < 5; i++) {
    // A child rewriting the file in a loop, killed after a random delay.
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import { writeFileAtomic } from ${JSON.stringify(mod)}; for (let i = 0; ; i++) writeFileAtomic(${JSON.stringify(p)}, ${JSON.stringify(big('b'))});`], { timeout: 100 + Math.floor(Math.random() * 200), killSignal: 'SIGKILL' });
    assert.equal(r.signal, 'SIGKILL', `the writer ran until killed: ${String(r.error ?? r.stderr)}`);
    const text = readFileSync(p, 'utf8');
    const parsed = JSON.parse(text) as { tag: string; pad: string };
    assert.ok(parsed.tag === 'a' || parsed.tag === 'b');
    assert.equal(parsed.pad.length, 50_000);
  }
});

test('journal and devices.json round-trip; listing ignores names that are not container ids', () => {
  const dir = fresh();
  const j = journal('c1', 4242, '123', dir);
  writeJournal(dir, j);
  assert.deepEqual(readJournal(dir, 'c1'), j);
  assert.equal(statSync(dir.containerFile('c1', 'journal.json')).mode & 0o777, 0o600);
  const { hookPid: _p, hookStart: _s, ...record } = j;
  writeDevices(dir, { ...record, devices: [{ ...record.devices[0]!, containerIndex: 3, containerName: 'eth1', movedByRuntime: false }] });
  assert.equal(readDevices(dir, 'c1')?.devices[0]?.containerIndex, 3);
  writeFileSync(join(dir.containersDir(), '.tmp-junk'), '');
  assert.deepEqual(listContainerIds(dir), ['c1']);
  removeContainerDir(dir, 'c1');
  assert.equal(readJournal(dir, 'c1'), undefined);
  assert.deepEqual(listContainerIds(dir), []);
});

test('a corrupt journal is an error, never half-used', () => {
  const dir = fresh();
  writeJournal(dir, journal('c2', 1, 'x'));
  writeFileSync(dir.containerFile('c2', 'journal.json'), '{"version":1,"id":"c2"');
  assert.throws(() => readJournal(dir, 'c2'), /not JSON/);
  writeFileSync(dir.containerFile('c2', 'journal.json'), JSON.stringify({ ...journal('c2', 1, 'x'), id: '../etc' }));
  assert.throws(() => readJournal(dir, 'c2'), /id: must be a container id/);
});

test('a record is used only for its own container: another id, or a pin outside its directory, is refused', () => {
  const dir = fresh();
  writeJournal(dir, journal('c3', 1, 'x', dir));
  writeFileSync(dir.containerFile('c3', 'journal.json'), JSON.stringify({ ...journal('c3', 1, 'x'), netnsPin: '/etc/important' }));
  assert.throws(() => readJournal(dir, 'c3'), /its netns pin "\/etc\/important" is not the container's own .*c3\/netns: refusing to act on it/);
  writeFileSync(dir.containerFile('c3', 'journal.json'), JSON.stringify({ ...journal('c3', 1, 'x'), netnsPin: dir.containerFile('c3', 'netns').replace('/c3/', '/c4/') }));
  assert.throws(() => readJournal(dir, 'c3'), /is not the container's own/);
  writeFileSync(dir.containerFile('c3', 'journal.json'), JSON.stringify(journal('c4', 1, 'x')));
  assert.throws(() => readJournal(dir, 'c3'), /names container "c4", not "c3"/);
});

test('process liveness uses pid and start time, so a reused pid is not mistaken for the hook', () => {
  const start = processStartTime(process.pid);
  assert.match(start ?? '', /^\d+$/);
  assert.equal(processAlive(process.pid, start!), true);
  assert.equal(processAlive(process.pid, `${start}0`), false);
  const child = spawnSync('true');
  assert.equal(processAlive(child.pid!, '1'), false);
  // The journal's hookStart: this process's own, read once and kept.
  assert.equal(ownStartTime(), start);
  assert.equal(ownStartTime(), start);
});

test('recovery verdicts: dead writer -> recover; live writer -> leave; devices.json supersedes a journal', () => {
  const dir = fresh();
  writeJournal(dir, journal('dead', 1, 'not-init-start-time'));
  const v1 = verdict(dir, 'dead', false);
  assert.equal(v1.act, true);

  writeJournal(dir, journal('alive', process.ppid, processStartTime(process.ppid)!));
  assert.equal(verdict(dir, 'alive', false).act, false);
  assert.equal(verdict(dir, 'alive', true).act, false, 'even forced: a live hook is applying');

  const j = journal('done', 1, 'gone');
  writeJournal(dir, j);
  const { hookPid: _p, hookStart: _s, ...record } = j;
  writeDevices(dir, record);
  assert.equal(verdict(dir, 'done', false).act, false, 'a set-up container is left alone');
  assert.equal(readJournal(dir, 'done'), undefined, 'its stale journal is dropped');
  const forced = verdict(dir, 'done', true);
  assert.equal(forced.act, true);

  assert.deepEqual(verdict(dir, 'nothing', true), { act: false, why: 'no state' });
});
