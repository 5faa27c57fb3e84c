/**
 * Adds our createRuntime and poststop hooks to a bundle's config.json when it
 * asks for devices: atomic rewrite, unknown fields and file mode preserved,
 * nothing written when nothing is asked for or the hooks are already there.
 */
import { closeSync, fstatSync, fsyncSync, openSync, readFileSync, renameSync, writeSync, constants } from 'node:fs';
import { join } from 'node:path';
import { requestsDevices } from '../config/extract.js';

export interface HookEntry {
  path: string;
  args: string[];
  env?: string[];
  timeout?: number;
}

export function ourHooks(hookBin: string, extraArgs: readonly string[] = []): Record<'createRuntime' | 'poststop', HookEntry> {
  const entry = (stage: string): HookEntry => ({ path: hookBin, args: ['oci-netdevices', ...extraArgs, 'hook', stage] });
  return { createRuntime: entry('createRuntime'), poststop: entry('poststop') };
}

type Json = Record<string, unknown>;

/** Returns true when config.json was rewritten. */
export function injectHooks(bundle: string, hookBin: string, extraArgs: readonly string[] = []): boolean {
  const path = join(bundle, 'config.json');
  const text = readFileSync(path, 'utf8');
  const config = JSON.parse(text) as Json;
  if (!requestsDevices(config)) return false;
  const hooks = (typeof config.hooks === 'object' && config.hooks !== null ? config.hooks : {}) as Record<string, HookEntry[] | undefined>;
  let changed = false;
  for (const [stage, entry] of Object.entries(ourHooks(hookBin, extraArgs))) {
    const list = Array.isArray(hooks[stage]) ? hooks[stage]! : [];
    if (list.some((h) => h.path === hookBin && h.args.includes(stage))) continue;
    // Teardown first among poststop hooks, setup last among createRuntime ones? Order matters little; append.
    hooks[stage] = [...list, entry];
    changed = true;
  }
  if (!changed) return false;
  config.hooks = hooks;
  writeAtomic(path, `${JSON.stringify(config)}\n`);
  return true;
}

function writeAtomic(path: string, data: string): void {
  const mode = fstatMode(path);
  const tmp = `${path}.oci-netdevices.${process.pid}`;
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

function fstatMode(path: string): number {
  const fd = openSync(path, 'r');
  try {
    return fstatSync(fd).mode & 0o7777;
  } finally {
    closeSync(fd);
  }
}
