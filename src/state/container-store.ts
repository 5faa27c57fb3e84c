/**
 * Reading and writing a container's journal.json and devices.json (atomically),
 * listing containers, and forgetting one.
 */
import { readdirSync, rmSync } from 'node:fs';
import type { DeviceRecord } from '../apply/record.js';
import { readRecordFile, removeIfPresent, writeFileAtomic } from './atomic-file.js';
import { type ContainerDevice, type ContainerRecord, type Journal, parseContainerRecord, parseJournal, serialise } from './records.js';
import { type StateDir, isContainerId } from './state-dir.js';

export function writeJournal(dir: StateDir, j: Journal): void {
  writeFileAtomic(dir.containerFile(j.id, 'journal.json', true), serialise(j));
}

export function readJournal(dir: StateDir, id: string): Journal | undefined {
  const text = readRecordFile(dir.containerFile(id, 'journal.json'), `journal of container ${id}`);
  return text === undefined ? undefined : parseJournal(text, `journal of container ${id}`);
}

export function removeJournal(dir: StateDir, id: string): void {
  removeIfPresent(dir.containerFile(id, 'journal.json'));
}

export function writeDevices(dir: StateDir, r: ContainerRecord): void {
  writeFileAtomic(dir.containerFile(r.id, 'devices.json', true), serialise({ version: 1, id: r.id, teardown: r.teardown, ...(r.netnsPin !== undefined ? { netnsPin: r.netnsPin } : {}), devices: r.devices }));
}

export function readDevices(dir: StateDir, id: string): ContainerRecord | undefined {
  const text = readRecordFile(dir.containerFile(id, 'devices.json'), `devices.json of container ${id}`);
  return text === undefined ? undefined : parseContainerRecord(text, `devices.json of container ${id}`);
}

/** Removes the container's directory (journal, devices.json, the pin's mount point once unmounted). */
export function removeContainerDir(dir: StateDir, id: string): void {
  rmSync(dir.containerDir(id, false), { recursive: true, force: true });
}

/** Container ids that have a directory; anything that is not a valid id is ignored. */
export function listContainerIds(dir: StateDir): string[] {
  try {
    return readdirSync(dir.containersDir()).filter(isContainerId);
  } catch {
    return [];
  }
}

export function fromRecords(records: readonly DeviceRecord[]): ContainerDevice[] {
  return records.map((r) => ({ hostName: r.hostName, containerName: r.containerName, containerIndex: r.containerIndex, movedByRuntime: r.movedByRuntime, original: r.original, identity: r.identity }));
}
