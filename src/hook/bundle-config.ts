/** Reads the bundle's config.json, bounded in size. */
import { join } from 'node:path';
import { UsageError, ValidationError } from '../errors.js';
import { findDuplicateKey } from '../config/duplicate-keys.js';
import { MAX_CONFIG_BYTES } from '../config/limits.js';
import { readBounded } from '../state/bounded-file.js';

/**
 * A JSON file, bounded (bounded-file.ts: a FIFO, directory or device is refused at once;
 * `streams`: a pipe is read, within a time bound). Duplicate keys are refused.
 */
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

export function readBundleConfig(bundle: string): unknown {
  return readJsonFile(join(bundle, 'config.json'), 'config');
}

/** The string-valued annotations of a config.json (others are not ours to read). */
export function bundleAnnotations(config: unknown): Record<string, string> {
  if (typeof config !== 'object' || config === null) return {};
  const ann = (config as { annotations?: unknown }).annotations;
  if (typeof ann !== 'object' || ann === null || Array.isArray(ann)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(ann)) if (typeof v === 'string') out[k] = v;
  return out;
}
