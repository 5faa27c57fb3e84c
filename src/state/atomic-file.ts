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
import { closeSync, constants, fstatSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';

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
    // /proc files report size 0: read until EOF, within the bound.
    let buf = Buffer.alloc(Math.min(Math.max(fstatSync(fd).size, 4096), maxBytes));
    let off = 0;
    for (;;) {
      if (off === buf.length) {
        if (buf.length >= maxBytes) throw new Error(`${path} is larger than ${maxBytes} bytes`);
        const bigger = Buffer.alloc(Math.min(buf.length * 2, maxBytes));
        buf.copy(bigger);
        buf = bigger;
      }
      const n = readSync(fd, buf, off, buf.length - off, null);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off).toString('utf8');
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
