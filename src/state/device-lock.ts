/**
 * Per-device locks (flock, released by the kernel when the holder dies) and
 * claims (which container owns a device until its teardown).
 */
import { closeSync, constants, openSync } from 'node:fs';
import { DeviceBusyError } from '../errors.js';
import { native } from '../native/binding.js';
import { readFileNoFollow, removeIfPresent, writeFileAtomic } from './atomic-file.js';
import type { StateDir } from './state-dir.js';

export class DeviceLocks {
  private readonly fds: number[] = [];

  /** Takes every device's lock, in sorted order, or none: a held one is a DeviceBusyError. */
  static acquire(dir: StateDir, ifnames: readonly string[], containerId: string): DeviceLocks {
    const locks = new DeviceLocks();
    const n = native();
    try {
      for (const name of [...new Set(ifnames)].sort()) {
        const fd = openSync(dir.deviceFile('locks', name), constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
        locks.fds.push(fd);
        if (!n.flock(fd, n.constants.LOCK_EX! | n.constants.LOCK_NB!)) {
          const owner = readClaim(dir, name);
          throw new DeviceBusyError(`device ${JSON.stringify(name)} is being configured by another container's hook${owner !== undefined ? ` (claimed by container ${owner})` : ''}`);
        }
        const owner = readClaim(dir, name);
        if (owner !== undefined && owner !== containerId) throw new DeviceBusyError(`device ${JSON.stringify(name)} is claimed by container ${owner}`);
      }
    } catch (e) {
      locks.release();
      throw e;
    }
    return locks;
  }

  release(): void {
    while (this.fds.length > 0) closeSync(this.fds.pop()!);
  }
}

export function readClaim(dir: StateDir, ifname: string): string | undefined {
  return readFileNoFollow(dir.deviceFile('claims', ifname))?.trim() || undefined;
}

export function writeClaim(dir: StateDir, ifname: string, containerId: string): void {
  writeFileAtomic(dir.deviceFile('claims', ifname), `${containerId}\n`);
}

export function dropClaim(dir: StateDir, ifname: string, containerId: string): void {
  if (readClaim(dir, ifname) === containerId) removeIfPresent(dir.deviceFile('claims', ifname));
}
