/**
 * Per-device locks and claims.
 *
 * Lock: flock(LOCK_EX) on <dir>/locks/<ifname>.lock, held while a hook
 * works on the device; the kernel drops it when the holder dies. The holder
 * writes its container id into the file so a loser can say who has it.
 * Claim: <dir>/claims/<ifname> names the container that owns the device
 * from a successful createRuntime until its teardown.
 */
import { closeSync, constants, fstatSync, ftruncateSync, openSync, readSync, writeSync } from 'node:fs';
import { DeviceBusyError, UntrustedStateError } from '../errors.js';
import { untrusted } from '../bounded-file.js';
import { describeHolders } from './lock-holder.js';
import { native } from '../native/binding.js';
import { readRecordFile, removeIfPresent, writeFileAtomic } from './atomic-file.js';
import type { StateDir } from './state-dir.js';

/** How long a loser waits for the winner to write its id into the lock file. */
const HOLDER_WAIT_MS = 50;
/** How long teardown (`wait`) waits for a device's lock by default: other hooks let go at once when they see our claim. */
export const LOCK_WAIT_MS = 10_000;

/**
 * Device names whose lock this process holds. flock locks belong to open file
 * descriptions, so two holders in one process (the daemon's concurrent requests)
 * exclude each other like two processes; but a blocking wait for a holder in this
 * same process would never end (the holder cannot run while we block).
 */
const heldHere = new Map<string, number>();

/** A `wait` acquire found the lock held by this process: retry after letting the event loop run. */
export class HeldInProcessError extends Error {
  constructor(readonly device: string) {
    super(`device ${JSON.stringify(device)} is locked by another request of this process`);
  }
}

export class DeviceLocks {
  private readonly fds: number[] = [];
  private readonly names: string[] = [];
  /** Devices claimed by another container (only filled with `others: 'report'`): name -> container id. */
  readonly claimedByOthers = new Map<string, string>();

  /**
   * Takes every device's lock in sorted order (no lock-order deadlock), or
   * none. A lock held by another hook, or a device claimed by another
   * container, is a DeviceBusyError naming the device and that container.
   * `wait`: poll until the lock is free, `waitMs` in all (default LOCK_WAIT_MS;
   * teardown: the claim is ours, other hooks give up quickly), then fail naming
   * the holder (/proc/locks); otherwise fail at once.
   * `others: 'report'`: a claim by another container is not refused but listed in
   * claimedByOthers, for the caller to judge by identity (stale, shared in a pod, or live).
   */
  static acquire(dir: StateDir, ifnames: readonly string[], containerId: string, opts: { wait?: boolean; waitMs?: number; others?: 'refuse' | 'report' } = {}): DeviceLocks {
    const locks = new DeviceLocks();
    const n = native();
    const waitMs = opts.wait === true ? (opts.waitMs ?? LOCK_WAIT_MS) : 0;
    const started = Date.now();
    try {
      for (const name of [...new Set(ifnames)].sort()) {
        if (opts.wait === true && heldHere.has(name)) throw new HeldInProcessError(name);
        const fd = openSync(dir.deviceFile('locks', name), constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK, 0o600);
        let taken: boolean;
        try {
          const st = fstatSync(fd);
          if (!st.isFile() || untrusted(st) !== undefined) throw new UntrustedStateError(`lock file of device ${JSON.stringify(name)} is not a regular file of ours: refusing to use it`);
          // Polled, never a blocking flock: a holder that hangs (or is stopped) must not hang us with it.
          taken = pollLock(fd, Math.max(0, waitMs - (Date.now() - started)));
        } catch (e) {
          closeSync(fd);
          throw e;
        }
        if (!taken) {
          const claim = readClaim(dir, name);
          const holder = waitForHolder(fd) ?? (claim !== containerId ? claim : undefined);
          const who = describeHolders(fd);
          closeSync(fd); // not ours: never truncate a file whose lock someone else holds
          const waited = waitMs > 0 ? `; waited ${Math.round(waitMs / 1000)} s for its lock` : '';
          if (holder !== undefined) throw new DeviceBusyError(`device ${JSON.stringify(name)} is claimed by container ${holder} (its hook is working on it${who !== undefined ? `: lock held by ${who}` : ''})${waited}`);
          throw new DeviceBusyError(`device ${JSON.stringify(name)}: its lock ${dir.deviceFile('locks', name)} is held by ${who ?? 'an unknown process'}, which names no container${waited}`);
        }
        locks.fds.push(fd);
        locks.names.push(name);
        heldHere.set(name, (heldHere.get(name) ?? 0) + 1);
        ftruncateSync(fd, 0);
        writeSync(fd, containerId, 0);
        const owner = readClaim(dir, name);
        if (owner !== undefined && owner !== containerId) {
          if (opts.others !== 'report') throw new DeviceBusyError(`device ${JSON.stringify(name)} is claimed by container ${owner}`);
          locks.claimedByOthers.set(name, owner);
        }
      }
    } catch (e) {
      locks.release();
      throw e;
    }
    return locks;
  }

  /** Drops every lock; the files stay (removing them would race with a new holder). */
  release(): void {
    while (this.fds.length > 0) {
      const fd = this.fds.pop()!;
      try {
        ftruncateSync(fd, 0);
      } catch {
        // A read-only or full file system: the next holder overwrites it anyway.
      }
      closeSync(fd);
    }
    while (this.names.length > 0) {
      const name = this.names.pop()!;
      const left = (heldHere.get(name) ?? 1) - 1;
      if (left > 0) heldHere.set(name, left);
      else heldHere.delete(name);
    }
  }
}

/** Tries LOCK_EX|LOCK_NB every few milliseconds for up to `waitMs`. */
function pollLock(fd: number, waitMs: number): boolean {
  const n = native();
  const op = n.constants.LOCK_EX! | n.constants.LOCK_NB!;
  const until = Date.now() + waitMs;
  for (let pause = 1; ; pause = Math.min(pause * 2, 50)) {
    if (n.flock(fd, op)) return true;
    if (Date.now() >= until) return false;
    Atomics.wait(sleeper, 0, 0, Math.min(pause, Math.max(1, until - Date.now())));
  }
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

function readHolder(fd: number): string | undefined {
  const buf = Buffer.alloc(256);
  const len = readSync(fd, buf, 0, buf.length, 0);
  return buf.subarray(0, len).toString('utf8').trim() || undefined;
}

function waitForHolder(fd: number): string | undefined {
  for (let waited = 0; waited <= HOLDER_WAIT_MS; waited += 2) {
    const h = readHolder(fd);
    if (h !== undefined) return h;
    Atomics.wait(sleeper, 0, 0, 2);
  }
  return undefined;
}

export function readClaim(dir: StateDir, ifname: string): string | undefined {
  return readRecordFile(dir.deviceFile('claims', ifname), `claim of device ${JSON.stringify(ifname)}`, 4096)?.trim() || undefined;
}

export function writeClaim(dir: StateDir, ifname: string, containerId: string): void {
  writeFileAtomic(dir.deviceFile('claims', ifname), `${containerId}\n`);
}

export function dropClaim(dir: StateDir, ifname: string, containerId: string): void {
  if (readClaim(dir, ifname) === containerId) removeIfPresent(dir.deviceFile('claims', ifname));
}
