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
import { closeSync, constants, fstatSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { readUpTo } from './read-up-to.js';

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

/** The file's text, or undefined when it does not exist. Refuses symlinks. */
export function readFileNoFollow(path: string, maxBytes = 16 * 1024 * 1024): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const data = readUpTo(fd, maxBytes, fstatSync(fd).size);
    if (data.length >= maxBytes) throw new Error(`${path} is larger than ${maxBytes} bytes`);
    return data.toString('utf8');
  } finally {
    closeSync(fd);
  }
}

export function removeIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}
