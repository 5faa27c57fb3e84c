/**
 * Does the real runtime move `linux.netDevices` itself? Asked once per
 * runtime binary (`<runtime> features`, OCI runtime-spec features document:
 * `linux.netDevices.enabled`), cached in the state directory under the
 * binary's path, size and mtime so an upgrade is noticed and no create
 * spawns the runtime twice.
 *
 * runc 1.1.5 answers `features` without netDevices; crun 1.8.1 has no
 * `features` command (non-zero exit): both count as "not native".
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { readRecordFile, writeFileAtomic } from '../state/atomic-file.js';
import { ensureDir } from '../state/state-dir.js';

export interface RuntimeFeatures {
  path: string;
  size: number;
  mtimeMs: number;
  netDevices: boolean;
}

/** `linux.netDevices.enabled === true` in a features document; anything else is false. */
export function featuresSayNetDevices(text: string): boolean {
  try {
    const doc = JSON.parse(text) as { linux?: { netDevices?: { enabled?: unknown } } } | null;
    return doc?.linux?.netDevices?.enabled === true;
  } catch {
    return false;
  }
}

export type FeaturesProbe = (runtimePath: string) => string | undefined;

/** stdout of `<runtime> features`, or undefined when it fails or takes over 5 s. */
export const probeFeatures: FeaturesProbe = (runtimePath) => {
  const r = spawnSync(runtimePath, ['features'], { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
  return r.status === 0 ? r.stdout : undefined;
};

function cacheFile(stateRoot: string, runtimePath: string): string {
  const dir = ensureDir(join(ensureDir(stateRoot), 'runtime-features'));
  return join(dir, `${createHash('sha256').update(runtimePath).digest('hex').slice(0, 32)}.json`);
}

function cached(file: string, path: string, size: number, mtimeMs: number): RuntimeFeatures | undefined {
  try {
    const text = readRecordFile(file, 'runtime features cache');
    if (text === undefined) return undefined;
    const c = JSON.parse(text) as Partial<RuntimeFeatures>;
    return c.path === path && c.size === size && c.mtimeMs === mtimeMs && typeof c.netDevices === 'boolean' ? (c as RuntimeFeatures) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The runtime's answer, from the cache when the binary has not changed.
 * A cache that cannot be written only costs a spawn next time.
 */
export function runtimeFeatures(runtimePath: string, stateRoot: string, probe: FeaturesProbe = probeFeatures): RuntimeFeatures {
  const st = statSync(runtimePath);
  const key = { path: runtimePath, size: st.size, mtimeMs: st.mtimeMs };
  let file: string | undefined;
  try {
    file = cacheFile(stateRoot, runtimePath);
    const hit = cached(file, key.path, key.size, key.mtimeMs);
    if (hit !== undefined) return hit;
  } catch {
    file = undefined;
  }
  const out = probe(runtimePath);
  const answer: RuntimeFeatures = { ...key, netDevices: out !== undefined && featuresSayNetDevices(out) };
  if (file !== undefined) {
    try {
      writeFileAtomic(file, `${JSON.stringify(answer)}\n`);
    } catch {
      /* next create asks again */
    }
  }
  return answer;
}
