/**
 * Files replaced atomically (temp in the same directory + rename), read without following symlinks.
 * The one atomic write of the project; callers choose durability:
 *
 * - State records: atomic, deliberately not durable (no fsync). The state describes network
 *   namespaces of this boot. A killed hook leaves its writes in the page cache, where recovery
 *   reads them; a power loss takes the namespaces with it, and a record that survives on disk is
 *   recovered as a dead writer's (its process start time no longer matches). An fsync costs
 *   milliseconds on a disk-backed state directory, on the critical path of every container start.
 * - The bundle's config.json and installed hooks.d files: durable (fsync of the file, then of the
 *   directory after the rename): a crash leaves the old or the new file, never a torn or empty one.
 */
import { closeSync, constants, fchmodSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { readBounded } from '../bounded-file.js';

export interface AtomicWriteOptions {
  /** File mode of the new file (default 0600), set exactly (the umask does not apply). */
  mode?: number;
  /** fsync the file before the rename and the directory after it (default false). */
  durable?: boolean;
}

export function writeFileAtomic(path: string, data: string, options: AtomicWriteOptions = {}): void {
  const mode = options.mode ?? 0o600;
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, mode);
  try {
    fchmodSync(fd, mode);
    writeSync(fd, data);
    if (options.durable === true) fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    removeIfPresent(tmp);
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, path);
  if (options.durable === true) fsyncDirectory(dirname(path));
}

function fsyncDirectory(dir: string): void {
  const dfd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
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
