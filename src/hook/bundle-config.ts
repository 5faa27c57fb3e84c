/** Reads the bundle's config.json, bounded in size. */
import { join } from 'node:path';
import { UsageError } from '../errors.js';
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
  try {
    return JSON.parse(data.toString('utf8'));
  } catch (e) {
    throw new UsageError(`${what} ${path} is not valid JSON: ${(e as Error).message}`);
  }
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
