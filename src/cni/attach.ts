/**
 * CNI attachments inside the engine: ADD at createRuntime (inside its
 * transaction, after the netDevices devices are in place), DEL at teardown
 * and recovery, CHECK on demand. The saved record (state.ts) is what every
 * later step reads; each result is on disk before the next step runs.
 */
import { existsSync, statSync } from 'node:fs';
import type { Transaction } from '../apply/transaction.js';
import type { StateDir } from '../state/state-dir.js';
import { CniListError, type RunContext, addList, checkList, delList } from './conflist.js';
import { DEFAULT_PLUGIN_TIMEOUT_MS } from './plugin-exec.js';
import type { CniAttachment } from './model.js';
import type { CniResult } from './result.js';
import { type CniRecord, type SavedAttachment, readCniRecord, writeCniRecord } from './state.js';

/** `dev:ino` of a namespace file; "" when it cannot be read. */
export function netnsIdOf(path: string): string {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}`;
  } catch {
    return '';
  }
}

/** How a record's plugins are run: its args, CNI path and PATH, as the container `containerId` in `netns`. */
function runContext(record: CniRecord, containerId: string, netns: string, exec: RunContext['exec'] | undefined): RunContext {
  return { containerId, netns, args: record.args, cniPath: record.cniPath, ...(record.path !== undefined ? { path: record.path } : {}), ...(exec !== undefined ? { exec } : {}) };
}

export interface AddContext {
  dir: StateDir;
  id: string;
  /** CNI_NETNS: the pin in restore mode, /proc/<pid>/ns/net in kernel mode. */
  netns: string;
  args: Array<[string, string]>;
  cniPath: string[];
  /** The PATH the plugins run with (the hook's own: the front door forwards it to the daemon). */
  path?: string;
  tx: Transaction;
  checkpoint: () => Promise<void>;
  exec?: RunContext['exec'];
  /** The hook's deadline (epoch ms): no ADD may run past it, so that the rollback still has time. */
  deadlineAt?: number;
  /** Told about DEL refusals the rollback does not count as failures (see sameRefusal). */
  warn?: (message: string) => void;
}

/** A plugin's timeout for one ADD: the default, cut to what is left before the deadline. */
export function addTimeoutMs(deadlineAt: number | undefined, now = Date.now()): number | undefined {
  if (deadlineAt === undefined) return undefined;
  return Math.max(1, Math.min(DEFAULT_PLUGIN_TIMEOUT_MS, Math.floor(deadlineAt - now)));
}

/**
 * A plugin that refused ADD and refuses DEL in the very same words (a master
 * that does not exist, a config it cannot load) stopped before changing
 * anything, and will refuse every retry the same way: keeping the state for
 * `recover` could never help.
 */
function sameRefusal(del: CniListError, add: CniListError): boolean {
  return del.position === add.position && del.code === add.code && del.pluginMessage === add.pluginMessage;
}

const listFailed = (errors: readonly CniListError[]): Error => new Error(errors.map((e) => e.message).join('; '));

/**
 * ADD for each attachment in order. Before each ADD its config is saved and
 * its DEL registered as the undo (a failed or interrupted ADD is deleted
 * too, as the spec asks); after it, its result is saved. Returns the results by ifName.
 */
export async function addAttachments(attachments: readonly CniAttachment[], ctx: AddContext): Promise<Map<string, CniResult>> {
  const record: CniRecord = { version: 1, id: ctx.id, netns: ctx.netns, netnsId: netnsIdOf(ctx.netns), args: ctx.args, cniPath: ctx.cniPath, ...(ctx.path !== undefined ? { path: ctx.path } : {}), attachments: [] };
  const run = runContext(record, ctx.id, ctx.netns, ctx.exec);
  const results = new Map<string, CniResult>();
  for (const a of attachments) {
    const saved: SavedAttachment = { ...a };
    record.attachments.push(saved);
    writeCniRecord(ctx.dir, record);
    let refused: CniListError | undefined;
    ctx.tx.registerUndo({
      device: a.ifName,
      what: `CNI DEL of network ${JSON.stringify(a.config.name)}`,
      run: () => {
        const errors = delList(a, saved.result, run);
        const same = errors.filter((e) => refused !== undefined && sameRefusal(e, refused));
        for (const e of same) ctx.warn?.(`attachment ${JSON.stringify(a.ifName)}: DEL refused as ADD was (nothing to undo): ${e.message}`);
        const real = errors.filter((e) => !same.includes(e));
        if (real.length > 0) throw listFailed(real);
      },
    });
    const timeoutMs = addTimeoutMs(ctx.deadlineAt);
    const result = ctx.tx.step(a.ifName, `CNI ADD of network ${JSON.stringify(a.config.name)}`, () => {
      try {
        return addList(a, timeoutMs !== undefined ? { ...run, timeoutMs } : run);
      } catch (e) {
        if (e instanceof CniListError) refused = e;
        throw e;
      }
    });
    saved.result = result.raw;
    writeCniRecord(ctx.dir, record);
    results.set(a.ifName, result);
    await ctx.checkpoint();
  }
  return results;
}

/** The netns to hand DEL/CHECK: the one used at ADD while it still is that namespace, else "" (gone). */
export function liveNetns(record: CniRecord): string {
  if (record.netns === '' || !existsSync(record.netns)) return '';
  return record.netnsId !== '' && netnsIdOf(record.netns) === record.netnsId ? record.netns : '';
}

/**
 * Teardown: DEL for each saved attachment in reverse order (with its result,
 * or its config alone when the hook died before saving it), while the
 * namespace still exists. Every attachment is tried; the failures are returned.
 */
export function deleteAttachments(dir: StateDir, id: string, exec?: RunContext['exec']): string[] {
  const record = readCniRecord(dir, id);
  if (record === undefined) return [];
  const run = runContext(record, id, liveNetns(record), exec);
  const errors: string[] = [];
  for (const a of [...record.attachments].reverse()) {
    const failed = delList(a, a.result, run);
    if (failed.length > 0) errors.push(`attachment ${JSON.stringify(a.ifName)}: CNI DEL failed: ${listFailed(failed).message}`);
  }
  return errors;
}

export interface CheckReport {
  ifName: string;
  network: string;
  outcome: 'ok' | 'skipped' | 'failed';
  message: string;
}

/** CHECK for each attachment in order (skipped when disableCheck, or when ADD never returned a result). */
export function checkAttachments(record: CniRecord, exec?: RunContext['exec']): CheckReport[] {
  const netns = liveNetns(record);
  const run = runContext(record, record.id, netns, exec);
  return record.attachments.map((a): CheckReport => {
    const base = { ifName: a.ifName, network: a.config.name };
    if (a.config.disableCheck === true) return { ...base, outcome: 'skipped', message: 'disableCheck is set' };
    if (a.result === undefined) return { ...base, outcome: 'failed', message: 'no saved result: ADD never completed' };
    if (netns === '') return { ...base, outcome: 'failed', message: `the container netns ${record.netns} is gone` };
    try {
      checkList(a, a.result, run);
      return { ...base, outcome: 'ok', message: 'CHECK passed' };
    } catch (e) {
      return { ...base, outcome: 'failed', message: (e as Error).message };
    }
  });
}
