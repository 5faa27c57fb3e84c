import { MAX_CONFIG_BYTES } from '../config/limits.js';
import { UsageError } from '../errors.js';
import { readUpTo } from '../read-up-to.js';

/** The container state on stdin, within the size bound of a config.json (a runtime writes a small JSON and closes the pipe). */
export function readStdin(maxBytes = MAX_CONFIG_BYTES): string {
  let data: Buffer;
  try {
    data = readUpTo(0, maxBytes + 1);
  } catch (e) {
    throw new UsageError(`cannot read the container state on stdin: ${(e as Error).message}`);
  }
  if (data.length > maxBytes) throw new UsageError(`container state on stdin is over the limit of ${maxBytes} bytes`);
  return data.toString('utf8');
}
