/** Reads the bundle's config.json, bounded in size. */
import { join } from 'node:path';
import { readJsonFile } from '../config/json-file.js';

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
