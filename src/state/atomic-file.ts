/**
 * Files replaced atomically (temp + rename), read without following symlinks.
 *
 * Atomic, deliberately not durable (no fsync): the state describes network
 * namespaces of this boot. A killed hook leaves its writes in the page cache,
 * where recovery reads them; a power loss takes the namespaces with it, and a
 * record that survives on disk is recovered as a dead writer's (its process
 * start time no longer matches). An fsync costs milliseconds on a disk-backed
 * state directory, on the critical path of every container start.
 */
import { closeSync, constants, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { readBounded } from './bounded-file.js';

export function writeFileAtomic(path: string, data: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  try {
    writeSync(fd, data);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/**
 * The file's text, or undefined when it does not exist. Refuses symlinks, FIFOs,
 * directories and devices (bounded-file.ts); `ours`: a state record, which must
 * be owned by us and not group/other-writable.
 */
export function readFileNoFollow(path: string, maxBytes = 16 * 1024 * 1024, opts: { ours?: boolean; what?: string } = {}): string | undefined {
  return readBounded(path, { what: opts.what ?? 'state file', maxBytes, noFollow: true, ...(opts.ours === true ? { ours: true } : {}) })?.toString('utf8');
}

/** A state record of ours (journal, devices.json, claim, status...): see readFileNoFollow. */
export function readRecordFile(path: string, what: string, maxBytes = 16 * 1024 * 1024): string | undefined {
  return readFileNoFollow(path, maxBytes, { ours: true, what });
}

export function removeIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}
