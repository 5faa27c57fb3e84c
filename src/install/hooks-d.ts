/**
 * hooks.d files (OCI hooks configuration 1.0.0, oci-hooks(5)) for podman and
 * CRI-O: run our hooks for containers carrying one of our annotations.
 *
 * - Two files, one per stage: a hooks.d entry has one `hook.args` for all of
 *   its `stages`, and our hook reads its stage from argv.
 * - One `when.annotations` entry whose key regex is an alternation of our
 *   keys: several entries would all have to match (they are ANDed). Matching
 *   is unanchored, so the regex is anchored here; the value regex `.+`
 *   skips empty values (which ask for nothing anyway).
 * - No `hook.env`: the hook then inherits the engine's environment (PATH).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CNI_ANNOTATION, DEVICES_ANNOTATION, NRI_ANNOTATIONS } from '../config/annotations.js';
import { type Stage, STAGES, hookEntry } from '../runtime/inject-hooks.js';
import { writeFileAtomic } from '../state/atomic-file.js';

export const DEFAULT_HOOKS_DIR = '/etc/containers/oci/hooks.d';

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `^(oci-netdevices\.io/devices|netdevices\.nri\.containerd\.io|...)$`, from the keys the config layer reads. */
export const ANNOTATION_KEY_REGEX = `^(${[DEVICES_ANNOTATION, ...NRI_ANNOTATIONS, CNI_ANNOTATION].map(escapeRe).join('|')})$`;

export interface HooksDFile {
  name: string;
  content: { version: '1.0.0'; hook: { path: string; args: string[] }; when: { annotations: Record<string, string> }; stages: Stage[] };
}

/** `extraArgs`: global flags for the hook (--state-dir, --log-file), placed before `hook <stage>`. */
export function hooksDFiles(hookBin: string, extraArgs: readonly string[] = []): HooksDFile[] {
  return STAGES.map((stage) => {
    const { path, args } = hookEntry(hookBin, stage, extraArgs);
    return {
      name: `oci-netdevices-${stage.toLowerCase()}.json`,
      content: { version: '1.0.0', hook: { path, args }, when: { annotations: { [ANNOTATION_KEY_REGEX]: '.+' } }, stages: [stage] },
    };
  });
}

export function renderHooksDFile(f: HooksDFile): string {
  return `${JSON.stringify(f.content, null, 2)}\n`;
}

/** Writes each file atomically and durably (mode 0644); returns the paths written. */
export function writeHooksD(dir: string, files: readonly HooksDFile[]): string[] {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  return files.map((f) => {
    const path = join(dir, f.name);
    writeFileAtomic(path, renderHooksDFile(f), { mode: 0o644, durable: true });
    return path;
  });
}
