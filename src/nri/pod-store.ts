/**
 * The plugin's own record of the pods it acts for: `<state-dir>/nri-pods/<id>.json`,
 * written before the first change to a pod's devices and removed when the pod
 * is gone. It tells the plugin, after a restart, which state entries are its
 * pods (the hook keeps containers in the same directory).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readFileNoFollow, removeIfPresent, writeFileAtomic } from '../state/atomic-file.js';
import { type StateDir, assertContainerId, ensureDir, isContainerId } from '../state/state-dir.js';

export interface PodMarker {
  id: string;
  name: string;
  namespace: string;
  uid: string;
  netns: string;
}

function podsDir(dir: StateDir, create: boolean): string {
  const path = join(dir.root, 'nri-pods');
  if (create) {
    ensureDir(dir.root);
    ensureDir(path);
  }
  return path;
}

function markerFile(dir: StateDir, id: string, create = false): string {
  return join(podsDir(dir, create), `${assertContainerId(id)}.json`);
}

export function writeMarker(dir: StateDir, m: PodMarker): void {
  writeFileAtomic(markerFile(dir, m.id, true), `${JSON.stringify(m)}\n`);
}

export function readMarker(dir: StateDir, id: string): PodMarker | undefined {
  const text = readFileNoFollow(markerFile(dir, id), 64 * 1024);
  return text === undefined ? undefined : (JSON.parse(text) as PodMarker);
}

export function removeMarker(dir: StateDir, id: string): void {
  removeIfPresent(markerFile(dir, id));
}

export function listMarkedPods(dir: StateDir): string[] {
  try {
    return readdirSync(podsDir(dir, false))
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -5))
      .filter(isContainerId)
      .sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}
