/**
 * hooks.d (OCI hooks configuration, version 1.0.0) files for podman and
 * CRI-O: run our hooks for containers carrying one of our annotations.
 * One file per stage, since each stage has its own arguments.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const DEFAULT_HOOKS_DIR = '/etc/containers/oci/hooks.d';

/** Matching is unanchored in podman: anchor it ourselves. */
export const ANNOTATION_KEY_REGEX = '^(oci-netdevices\\.io/devices|netdevices\\.nri\\.containerd\\.io(/pod)?|netdevice\\.noderesource\\.dev(/pod)?)$';

export interface HooksDFile {
  name: string;
  content: { version: '1.0.0'; hook: { path: string; args: string[] }; when: { annotations: Record<string, string> }; stages: string[] };
}

export function hooksDFiles(hookBin: string, extraArgs: readonly string[] = []): HooksDFile[] {
  return (['createRuntime', 'poststop'] as const).map((stage) => ({
    name: `oci-netdevices-${stage.toLowerCase()}.json`,
    content: {
      version: '1.0.0',
      hook: { path: hookBin, args: ['oci-netdevices', ...extraArgs, 'hook', stage] },
      when: { annotations: { [ANNOTATION_KEY_REGEX]: '.+' } },
      stages: [stage],
    },
  }));
}

export function writeHooksD(dir: string, files: readonly HooksDFile[]): string[] {
  mkdirSync(dir, { recursive: true });
  return files.map((f) => {
    const path = join(dir, f.name);
    writeFileSync(`${path}.tmp`, `${JSON.stringify(f.content, null, 2)}\n`, { mode: 0o644 });
    renameSync(`${path}.tmp`, path);
    return path;
  });
}
