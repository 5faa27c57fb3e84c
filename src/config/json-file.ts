/** A JSON file read whole, bounded in size: config.json, the policy file, `validate`'s argument. */
import { closeSync, fstatSync, openSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { MAX_CONFIG_BYTES } from './limits.js';
import { readUpTo } from '../read-up-to.js';

export function readJsonFile(path: string, what: string, maxBytes = MAX_CONFIG_BYTES): unknown {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new UsageError(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
  try {
    const size = fstatSync(fd).size;
    if (size > maxBytes) throw new UsageError(`${what} ${path} is ${size} bytes, over the limit of ${maxBytes}`);
    const data = readUpTo(fd, maxBytes + 1, size);
    if (data.length > maxBytes) throw new UsageError(`${what} ${path} is over the limit of ${maxBytes} bytes`);
    try {
      return JSON.parse(data.toString('utf8'));
    } catch (e) {
      throw new UsageError(`${what} ${path} is not valid JSON: ${(e as Error).message}`);
    }
  } finally {
    closeSync(fd);
  }
}
