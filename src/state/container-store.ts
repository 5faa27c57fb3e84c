/**
 * Reading and writing a container's journal.json and devices.json (atomically),
 * listing containers, and forgetting one.
 *
 * Journals are indexed: journals/<id> exists from before a journal is written until after it is
 * removed, so the sweep at every createRuntime lists one directory, usually empty, instead of
 * reading a file of every running container (10 us each: a millisecond a start on a node of a
 * hundred pods). A mark left without its journal (a crash between the two removals) costs the
 * sweep one look; a journal is never left without its mark.
 */
import { closeSync, constants, existsSync, openSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { DeviceRecord } from './device-record.js';
import { readRecordFile, removeIfPresent, writeFileAtomic } from './atomic-file.js';
import { type ContainerDevice, type ContainerRecord, type Journal, parseContainerRecord, parseJournal, serialise } from './records.js';
import { type StateDir, isContainerId } from './state-dir.js';

export function writeJournal(dir: StateDir, j: Journal): void {
  markJournal(dir, j.id);
  writeFileAtomic(dir.containerFile(j.id, 'journal.json', true), serialise(j));
}

function markJournal(dir: StateDir, id: string): void {
  closeSync(openSync(dir.journalMark(id, true), constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW, 0o600));
}

export function readJournal(dir: StateDir, id: string): Journal | undefined {
  const text = readRecordFile(dir.containerFile(id, 'journal.json'), `journal of container ${id}`);
  return text === undefined ? undefined : checkRecord(dir, id, parseJournal(text, `journal of container ${id}`), 'journal.json');
}

/**
 * A record is acted on only when it describes its own container: its id is the directory's and its
 * pin lies in that directory (a planted record must not make us unmount or delete anything else).
 */
function checkRecord<R extends ContainerRecord>(dir: StateDir, id: string, r: R, file: string): R {
  const where = `${dir.containerFile(id, file as 'journal.json')}`;
  if (r.id !== id) throw new UsageError(`${where} names container ${JSON.stringify(r.id)}, not ${JSON.stringify(id)}: refusing to act on it`);
  if (r.netnsPin !== undefined && !pinInside(r.netnsPin, dir.containerDir(id, false))) {
    throw new UsageError(`${where}: its netns pin ${JSON.stringify(r.netnsPin)} is not the container's own ${join(dir.containerDir(id, false), 'netns')}: refusing to act on it`);
  }
  return r;
}

function pinInside(pin: string, containerDir: string): boolean {
  if (basename(pin) !== 'netns') return false;
  if (resolve(dirname(pin)) === containerDir) return true;
  // The same directory under another spelling of the root (/var/run -> /run).
  try {
    return realpathSync(dirname(pin)) === realpathSync(containerDir);
  } catch {
    return false;
  }
}

export function removeJournal(dir: StateDir, id: string): void {
  removeIfPresent(dir.containerFile(id, 'journal.json'));
  removeIfPresent(dir.journalMark(id));
}

export function writeDevices(dir: StateDir, r: ContainerRecord): void {
  writeFileAtomic(dir.containerFile(r.id, 'devices.json', true), serialise({ version: 1, id: r.id, teardown: r.teardown, ...(r.netnsPin !== undefined ? { netnsPin: r.netnsPin } : {}), devices: r.devices }));
}

export function readDevices(dir: StateDir, id: string): ContainerRecord | undefined {
  const text = readRecordFile(dir.containerFile(id, 'devices.json'), `devices.json of container ${id}`);
  return text === undefined ? undefined : checkRecord(dir, id, parseContainerRecord(text, `devices.json of container ${id}`), 'devices.json');
}

/** Removes the container's directory (journal, devices.json, the pin's mount point once unmounted). */
export function removeContainerDir(dir: StateDir, id: string): void {
  rmSync(dir.containerDir(id, false), { recursive: true, force: true });
  removeIfPresent(dir.journalMark(id));
}

/** Container ids that have a directory; anything that is not a valid id is ignored. An untrusted state directory throws. */
export function listContainerIds(dir: StateDir): string[] {
  return readdirSync(dir.containersDir()).filter(isContainerId);
}

/**
 * Container ids that may have a journal: the index's. A state directory without an index (written
 * before there was one) is read whole, once: each journal found there is marked, and from then on
 * the index is complete.
 */
export function listJournaledIds(dir: StateDir): string[] {
  const index = dir.journalsDir(false);
  if (existsSync(index)) {
    // A mark whose container directory is gone was left by a crash mid-removal (the directory is
    // made before the mark): dropped here, so such leftovers cannot pile up.
    return readdirSync(index).filter((id) => {
      if (!isContainerId(id)) return false;
      if (existsSync(dir.containerDir(id, false))) return true;
      removeIfPresent(dir.journalMark(id));
      return false;
    });
  }
  const ids = listContainerIds(dir).filter((id) => existsSync(dir.containerFile(id, 'journal.json')));
  dir.journalsDir(true);
  for (const id of ids) markJournal(dir, id);
  return ids;
}

export function fromRecords(records: readonly DeviceRecord[]): ContainerDevice[] {
  return records.map((r) => ({ hostName: r.hostName, containerName: r.containerName, containerIndex: r.containerIndex, movedByRuntime: r.movedByRuntime, original: r.original, identity: r.identity, ...(r.dhcpLease !== undefined ? { dhcpLease: r.dhcpLease } : {}), ...(r.child !== undefined ? { child: r.child } : {}) }));
}
