/** The journals index (src/state/container-store.ts): the createRuntime sweep lists journals/, not every container. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { listJournaledIds, readJournal, removeContainerDir, removeJournal, writeDevices, writeJournal } from '../../src/state/container-store.js';
import type { Journal } from '../../src/state/records.js';
import { StateDir } from '../../src/state/state-dir.js';

function stateDir(t: { after(fn: () => void): void }): StateDir {
  const root = mkdtempSync(join(tmpdir(), 'ond-journals-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  return new StateDir(root);
}

const journal = (id: string): Journal => ({ version: 1, id, teardown: 'restore', hookPid: 1, hookStart: '1', devices: [] });

test('a journal is marked before it is written and unmarked after it is removed; devices.json alone is not listed', (t) => {
  const dir = stateDir(t);
  dir.claimContainerDir('a');
  writeJournal(dir, journal('a'));
  dir.claimContainerDir('b');
  writeDevices(dir, { version: 1, id: 'b', teardown: 'restore', devices: [] });
  assert.deepEqual(listJournaledIds(dir), ['a']);
  assert.equal(readJournal(dir, 'a')?.id, 'a');
  removeJournal(dir, 'a');
  assert.deepEqual(listJournaledIds(dir), []);
  assert.deepEqual(readdirSync(dir.journalsDir(false)), []);
});

test('forgetting a container drops its mark with its directory; a mark whose directory is gone is dropped by the listing', (t) => {
  const dir = stateDir(t);
  dir.claimContainerDir('c');
  writeJournal(dir, journal('c'));
  removeContainerDir(dir, 'c');
  assert.equal(existsSync(dir.journalMark('c')), false);
  // A crash between the directory's removal and the mark's.
  writeFileSync(dir.journalMark('d', true), '');
  assert.deepEqual(listJournaledIds(dir), []);
  assert.equal(existsSync(dir.journalMark('d')), false);
});

test('a state directory from before the index: read whole once, its journals marked, then the index alone', (t) => {
  const dir = stateDir(t);
  for (const id of ['old1', 'old2']) {
    mkdirSync(join(dir.root, 'containers', id), { recursive: true, mode: 0o700 });
    writeFileSync(join(dir.root, 'containers', id, 'journal.json'), JSON.stringify(journal(id)), { mode: 0o600 });
  }
  mkdirSync(join(dir.root, 'containers', 'done'), { mode: 0o700 });
  writeFileSync(join(dir.root, 'containers', 'done', 'devices.json'), JSON.stringify({ version: 1, id: 'done', teardown: 'restore', devices: [] }), { mode: 0o600 });
  assert.equal(existsSync(dir.journalsDir(false)), false);
  assert.deepEqual(listJournaledIds(dir).sort(), ['old1', 'old2']);
  assert.deepEqual(readdirSync(dir.journalsDir(false)).sort(), ['old1', 'old2']);
  // From now on the index answers: a journal written behind its back (as an old hook would) is not seen.
  mkdirSync(join(dir.root, 'containers', 'old3'), { mode: 0o700 });
  writeFileSync(join(dir.root, 'containers', 'old3', 'journal.json'), JSON.stringify(journal('old3')), { mode: 0o600 });
  assert.deepEqual(listJournaledIds(new StateDir(dir.root)).sort(), ['old1', 'old2']);
});
