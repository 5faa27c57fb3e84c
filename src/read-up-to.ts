/** Reading a file descriptor to its end, within a bound. */
import { readSync } from 'node:fs';

/**
 * Reads from the current position until EOF or until `limit` bytes, whichever
 * comes first; the caller tells "too large" by the length. Reads to EOF
 * rather than trusting fstat: pipes, /dev/stdin and /proc files report size 0.
 * `sizeHint` (fstat's size, say) sizes the first buffer.
 */
export function readUpTo(fd: number, limit: number, sizeHint = 0): Buffer {
  let buf = Buffer.alloc(Math.min(Math.max(sizeHint, 4096), limit));
  let off = 0;
  while (off < limit) {
    if (off === buf.length) {
      const bigger = Buffer.alloc(Math.min(buf.length * 2, limit));
      buf.copy(bigger);
      buf = bigger;
    }
    const n = readSync(fd, buf, off, buf.length - off, null);
    if (n === 0) break;
    off += n;
  }
  return buf.subarray(0, off);
}
