/**
 * Opening a file we are about to trust, without waiting on it: O_NONBLOCK (a FIFO
 * as config.json would block open(2) forever otherwise), then fstat on the
 * descriptor: a regular file (or, where a stream is expected, a pipe), never a
 * directory or a device; read within a size bound. State records must moreover
 * be ours: owned by our uid, not writable by group or others.
 */
import { closeSync, constants, fstatSync, openSync, type Stats } from 'node:fs';
import { UntrustedStateError, UsageError } from './errors.js';
import { ReadTimeout, readUpTo } from './read-up-to.js';

export interface BoundedRead {
  /** What the file is, for the error line: "config", "policy file", "journal of container x". */
  what: string;
  maxBytes: number;
  /** Refuse a symlink as the last component (state files). */
  noFollow?: boolean;
  /** Accept a pipe or FIFO too (validate /dev/stdin), read with a time bound. */
  streams?: boolean;
  /** A state record: owned by our uid and not group/other-writable. */
  ours?: boolean;
}

export function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isSymbolicLink()) return 'a symlink';
  return 'a regular file';
}

/** Why a state file or directory of ours cannot be trusted, or undefined when it can. */
export function untrusted(st: Stats): string | undefined {
  const uid = process.geteuid?.() ?? 0;
  if (st.uid !== uid) return `is owned by uid ${st.uid}, not ${uid}`;
  if ((st.mode & 0o022) !== 0) return `is writable by ${(st.mode & 0o020) !== 0 ? 'its group' : 'others'} (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')})`;
  return undefined;
}

/** The file's bytes; undefined when it does not exist. Every other problem is a UsageError naming the file. */
export function readBounded(path: string, o: BoundedRead): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | (o.noFollow === true ? constants.O_NOFOLLOW : 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP' && o.noFollow === true) throw new UntrustedStateError(`${o.what} ${path} is a symlink: refusing to follow it`);
    throw new UsageError(`cannot read ${o.what} ${path}: ${(e as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    const stream = st.isFIFO() || st.isSocket();
    if (!st.isFile() && !(stream && o.streams === true)) throw new UsageError(`${o.what} ${path} is ${kindOf(st)}, not a regular file`);
    if (o.ours === true) {
      const why = untrusted(st);
      if (why !== undefined) throw new UntrustedStateError(`${o.what} ${path} ${why}: refusing to trust it`);
    }
    if (st.size > o.maxBytes) throw new UsageError(`${o.what} ${path} is ${st.size} bytes, over the limit of ${o.maxBytes}`);
    let data: Buffer;
    try {
      data = readUpTo(fd, o.maxBytes + 1, st.size);
    } catch (e) {
      if (e instanceof ReadTimeout) throw new UsageError(`${o.what} ${path}: ${e.message} (a pipe whose writer never finished)`);
      throw new UsageError(`cannot read ${o.what} ${path}: ${(e as Error).message}`);
    }
    if (data.length > o.maxBytes) throw new UsageError(`${o.what} ${path} is over the limit of ${o.maxBytes} bytes`);
    return data;
  } finally {
    closeSync(fd);
  }
}
