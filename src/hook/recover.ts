/**
 * Recovery after a hook died mid-apply: a journal in phase "applying" whose
 * writer is gone means devices may sit half-configured in a pinned netns (or
 * be lost with it). Bring every one home and forget the container.
 */
import { type ContainerState, listContainerIds, processStartTime, readContainerState } from '../state/container-state.js';
import type { StateDir } from '../state/state-dir.js';
import { DeviceLocks } from '../state/device-lock.js';
import { DeviceBusyError } from '../errors.js';
import { forgetContainer, restoreDevices } from './teardown.js';

export interface Recovered {
  id: string;
  restored: string[];
  missing: string[];
  errors: string[];
}

function writerAlive(s: ContainerState): boolean {
  if (s.hookPid === process.pid) return true;
  const start = processStartTime(s.hookPid);
  return start !== undefined && start === s.hookStart;
}

/** Journals left by dead hooks. With `all`, also containers fully set up (for `recover --all`). */
export function recoverAbandoned(dir: StateDir, opts: { all?: boolean; only?: string } = {}): Recovered[] {
  const out: Recovered[] = [];
  for (const id of listContainerIds(dir)) {
    if (opts.only !== undefined && id !== opts.only) continue;
    let s: ContainerState | undefined;
    try {
      s = readContainerState(dir, id);
    } catch (e) {
      out.push({ id, restored: [], missing: [], errors: [(e as Error).message] });
      continue;
    }
    if (s === undefined) continue;
    if (s.phase === 'applying' ? writerAlive(s) : !(opts.all === true || opts.only === id)) continue;
    // A hook still working on these devices holds their locks: never pull devices from under it.
    let locks: DeviceLocks;
    try {
      locks = DeviceLocks.acquire(dir, s.devices.map((d) => d.hostName), s.id);
    } catch (e) {
      if (e instanceof DeviceBusyError) continue;
      throw e;
    }
    try {
      const r = restoreDevices(s);
      if (r.errors.length === 0) forgetContainer(dir, s);
      out.push({ id, restored: r.restored, missing: r.missing, errors: r.errors.map((e) => e.message) });
    } finally {
      locks.release();
    }
  }
  return out;
}
