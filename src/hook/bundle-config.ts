/** Reads the bundle's config.json, bounded in size. */
import { closeSync, fstatSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { MAX_CONFIG_BYTES } from '../config/limits.js';
import { readUpTo } from '../state/read-up-to.js';

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
