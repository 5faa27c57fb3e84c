/**
 * Recovery after a hook died mid-apply (SIGKILL, OOM, power loss): a
 * journal whose writer is gone means devices may sit half-configured in the
 * pinned container netns, or still on the host without their addresses.
 * Every one goes home with its original name and configuration; then the
 * journal, the pin and the claims go.
 */
import { DeviceBusyError, UntrustedStateError, UsageError } from '../errors.js';
import { listContainerIds, listJournaledIds, readDevices, readJournal, removeJournal } from '../state/container-store.js';
import { DeviceLocks } from '../state/device-lock.js';
import { applyingHere } from '../state/applying.js';
import { processAlive } from '../state/proc-start.js';
import type { ContainerRecord } from '../state/records.js';
import type { StateDir } from '../state/state-dir.js';
import { forgetContainer, restoreDevices } from './teardown.js';
import { deleteAttachments } from '../cni/attach.js';
import type { Loss } from '../state/device-record.js';
import { lossStatus } from '../status/device-status.js';
import { writeStatus } from '../status/status-store.js';

/** The status file after a teardown with losses: one `Restored` condition per device that lost something. */
function reportLosses(dir: StateDir, id: string, losses: readonly Loss[]): void {
  try {
    writeStatus(dir, id, lossStatus(losses));
  } catch {
    /* a report: the log line and the exit code say it too */
  }
}

export interface Recovered {
  id: string;
  restored: string[];
  /** Not found anywhere: destroyed with the container netns (virtual devices). */
  missing: string[];
  errors: string[];
  notes: string[];
  /** What came home without some of its host state (the state is forgotten all the same: a retry would lose it again). */
  losses: Loss[];
  /**
   * The record was refused, nothing was done for it: `untrusted` (the state directory or the file
   * is not ours and tight: anyone may have planted it) or `invalid` (its content does not describe
   * its own container, e.g. a pin outside its directory).
   */
  refused?: 'untrusted' | 'invalid';
}

/** What to do for one container: its record when its devices should come home now. */
export type Verdict = { act: false; why: string } | { act: true; record: ContainerRecord };

/**
 * journal only, writer dead      -> recover (the hook died mid-apply)
 * journal only, writer alive     -> leave (a hook is applying right now)
 * journal and devices.json       -> the hook finished and died before removing its journal: drop it
 * devices.json only              -> a running container: only when asked (`recover <id>`, `--all`, poststop)
 */
export function verdict(dir: StateDir, id: string, force: boolean): Verdict {
  const journal = readJournal(dir, id);
  // The sweep at every createRuntime reads one small file per container and no more.
  if (journal === undefined && !force) return { act: false, why: 'no journal' };
  const devices = readDevices(dir, id);
  if (journal !== undefined && devices !== undefined) {
    if (!processAlive(journal.hookPid, journal.hookStart)) removeJournal(dir, id);
    return force ? { act: true, record: devices } : { act: false, why: 'set up' };
  }
  if (journal !== undefined) {
    if (journal.hookPid === process.pid ? applyingHere(id) : processAlive(journal.hookPid, journal.hookStart)) return { act: false, why: `hook ${journal.hookPid} is applying` };
    return { act: true, record: journal };
  }
  if (devices !== undefined) return force ? { act: true, record: devices } : { act: false, why: 'set up' };
  return { act: false, why: 'no state' };
}

/**
 * Brings one container's devices home, holding their locks; forgets it when all went well.
 * The record is read again under the locks: another hook may have finished or recovered it
 * meanwhile. Other containers' claims on the same names do not stop it: only devices whose
 * identity matches the record are touched.
 */
export function recoverOne(dir: StateDir, record: ContainerRecord, opts: { wait?: boolean; waitMs?: number; force: boolean }): Recovered {
  const names = new Set(record.devices.map((d) => d.hostName));
  const locks = DeviceLocks.acquire(dir, [...names], record.id, { ...(opts.wait !== undefined ? { wait: opts.wait } : {}), ...(opts.waitMs !== undefined ? { waitMs: opts.waitMs } : {}), others: 'report' });
  try {
    const again = verdict(dir, record.id, opts.force);
    if (!again.act) return { id: record.id, restored: [], missing: [], errors: [], notes: [`nothing left to do: ${again.why}`], losses: [] };
    const fresh = again.record;
    if (fresh.devices.some((d) => !names.has(d.hostName))) throw new Error(`the record of ${record.id} changed while waiting for its devices' locks; run "oci-netdevices recover ${record.id}" again`);
    // teardown=kernel: a finished container's devices are the kernel's (they go with its netns);
    // a journal (the hook died mid-apply) is brought home in both modes.
    const midApply = 'hookPid' in fresh;
    // CNI attachments first, in reverse, while the pinned netns still holds their interfaces.
    const cniErrors = deleteAttachments(dir, fresh.id);
    const r = fresh.teardown === 'restore' || midApply ? restoreDevices(fresh) : { restored: [], missing: [], errors: [], notes: [], losses: [] };
    if (r.errors.length === 0 && cniErrors.length === 0) {
      forgetContainer(dir, fresh);
      // The claim goes and the device is free again; what it lost stays readable in the status.
      if (r.losses.length > 0) reportLosses(dir, fresh.id, r.losses);
    }
    return { id: fresh.id, restored: r.restored, missing: r.missing, errors: [...cniErrors, ...r.errors.map((e) => e.message)], notes: r.notes, losses: r.losses };
  } finally {
    locks.release();
  }
}

function refusal(e: unknown): { refused?: 'untrusted' | 'invalid' } {
  if (e instanceof UntrustedStateError) return { refused: 'untrusted' };
  return e instanceof UsageError ? { refused: 'invalid' } : {};
}

/** Journals left by dead hooks; with `all` also set-up containers; with `only` just that one (forced). */
export function recoverAbandoned(dir: StateDir, opts: { all?: boolean; only?: string } = {}): Recovered[] {
  const out: Recovered[] = [];
  // The sweep (nothing forced) acts only on journals: the index lists them.
  const ids = opts.only !== undefined ? [opts.only] : opts.all === true ? listContainerIds(dir) : listJournaledIds(dir);
  for (const id of ids) {
    let v: Verdict;
    const force = opts.all === true || opts.only === id;
    try {
      v = verdict(dir, id, force);
    } catch (e) {
      out.push({ id, restored: [], missing: [], errors: [(e as Error).message], notes: [], losses: [], ...refusal(e) });
      continue;
    }
    if (!v.act) continue;
    try {
      out.push(recoverOne(dir, v.record, { force }));
    } catch (e) {
      // A hook still working on these devices holds their locks: never pull devices from under it.
      // Anything else is this record's problem alone: reported, and the next record is handled.
      if (!(e instanceof DeviceBusyError)) out.push({ id, restored: [], missing: [], errors: [(e as Error).message], notes: [], losses: [], ...refusal(e) });
    }
  }
  return out;
}
