/**
 * Status files: `<state-dir>/status/<id>.json` (0600 in a 0700 dir), written
 * atomically by createRuntime, removed at teardown.
 *
 * Not under `containers/<id>/`: that directory holds the teardown records
 * whose presence drives recovery, and a failed createRuntime must leave none
 * of it behind, while its status (saying why) must stay readable.
 */
import { readdirSync } from 'node:fs';
import { readRecordFile, removeIfPresent, writeFileAtomic } from '../state/atomic-file.js';
import { isContainerId, type StateDir } from '../state/state-dir.js';
import type { ContainerStatus, DeviceStatus } from './device-status.js';

export function writeStatus(state: StateDir, id: string, devices: readonly DeviceStatus[]): void {
  const doc: ContainerStatus = { containerId: id, devices: [...devices] };
  writeFileAtomic(state.statusFile(id, true), `${JSON.stringify(doc, null, 2)}\n`);
}

/** One container's status, or every container's (sorted by id); missing ones are left out. */
export function readStatus(state: StateDir, id?: string): ContainerStatus[] {
  let ids: string[];
  if (id !== undefined) ids = [id];
  else {
    try {
      ids = readdirSync(state.statusDir(false)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).filter(isContainerId).sort();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  }
  const out: ContainerStatus[] = [];
  for (const i of ids) {
    const text = readRecordFile(state.statusFile(i), `status of container ${i}`);
    if (text !== undefined) out.push(JSON.parse(text) as ContainerStatus);
  }
  return out;
}

export function removeStatus(state: StateDir, id: string): void {
  removeIfPresent(state.statusFile(id));
}
