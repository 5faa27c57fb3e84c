/** Status files: <state-dir>/status/<id>.json, written atomically, removed at teardown. */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readFileNoFollow, removeIfPresent, writeFileAtomic } from '../state/atomic-file.js';
import { ensureDir, type StateDir } from '../state/state-dir.js';
import type { ContainerStatus } from './device-status.js';

function dirOf(state: StateDir): string {
  ensureDir(state.root);
  return ensureDir(join(state.root, 'status'));
}

function fileOf(state: StateDir, id: string): string {
  state.containerDir(id, false); // validates the id
  return join(dirOf(state), `${id}.json`);
}

export function writeStatus(state: StateDir, s: ContainerStatus): void {
  writeFileAtomic(fileOf(state, s.containerId), `${JSON.stringify(s, null, 2)}\n`);
}

export function readStatus(state: StateDir, id?: string): ContainerStatus[] {
  const ids = id !== undefined ? [id] : readdirSync(dirOf(state)).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
  const out: ContainerStatus[] = [];
  for (const i of ids) {
    const text = readFileNoFollow(fileOf(state, i));
    if (text !== undefined) out.push(JSON.parse(text) as ContainerStatus);
  }
  return out;
}

export function removeStatus(state: StateDir, id: string): void {
  removeIfPresent(fileOf(state, id));
}
