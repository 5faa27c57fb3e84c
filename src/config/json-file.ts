/**
 * A JSON file read whole, bounded: config.json, the policy file, `validate`'s argument.
 * bounded-file.ts: a FIFO, directory or device is refused at once (never waited on);
 * `streams`: a pipe is read, within a time bound. A repeated key is refused with its path.
 */
import { UsageError, ValidationError } from '../errors.js';
import { readBounded } from '../bounded-file.js';
import { findDuplicateKey } from './duplicate-keys.js';
import { MAX_CONFIG_BYTES } from './limits.js';

export function readJsonFile(path: string, what: string, maxBytes = MAX_CONFIG_BYTES, opts: { streams?: boolean } = {}): unknown {
  const data = readBounded(path, { what, maxBytes, ...(opts.streams === true ? { streams: true } : {}) });
  if (data === undefined) throw new UsageError(`cannot read ${what} ${path}: it does not exist`);
  if (data.length === 0) throw new UsageError(`${what} ${path} is empty`);
  const text = data.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${what} ${path} is not valid JSON: ${(e as Error).message}`);
  }
  const dup = findDuplicateKey(text);
  if (dup !== undefined) throw new ValidationError([{ path: dup, message: `duplicate key in ${what} ${path} (JSON keeps only the last one, silently)` }]);
  return value;
}
