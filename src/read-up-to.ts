/** Reading a file descriptor to its end, within a bound of size and, for pipes, of time. */
import { readSync } from 'node:fs';

/** How long a read from a pipe or FIFO may wait for its writer, in total. */
export const STREAM_WAIT_MS = 2000;

/** Thrown when a non-blocking stream gave no end within the time bound. */
export class ReadTimeout extends Error {
  override name = 'ReadTimeout';
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * Reads from the current position until EOF or until `limit` bytes, whichever
 * comes first; the caller tells "too large" by the length. Reads to EOF
 * rather than trusting fstat: pipes, /dev/stdin and /proc files report size 0.
 * `sizeHint` (fstat's size, say) sizes the first buffer. A descriptor opened
 * O_NONBLOCK that has no data yet (EAGAIN) is polled, `waitMs` in all.
 */
export function readUpTo(fd: number, limit: number, sizeHint = 0, waitMs = STREAM_WAIT_MS): Buffer {
  let buf = Buffer.alloc(Math.min(Math.max(sizeHint, 4096), limit));
  let off = 0;
  let waited = 0;
  while (off < limit) {
    if (off === buf.length) {
      const bigger = Buffer.alloc(Math.min(buf.length * 2, limit));
      buf.copy(bigger);
      buf = bigger;
    }
    let n: number;
    try {
      n = readSync(fd, buf, off, buf.length - off, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      if (waited >= waitMs) throw new ReadTimeout(`no end of data after ${waitMs} ms`);
      Atomics.wait(sleeper, 0, 0, 5);
      waited += 5;
      continue;
    }
    if (n === 0) break;
    off += n;
  }
  return buf.subarray(0, off);
}
