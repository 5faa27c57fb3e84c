/**
 * Our createRuntime and poststop hook entries, added to a config's `hooks`
 * after any hooks already there, never twice. Pure: the caller reads and
 * writes the file.
 */

export interface HookEntry {
  path: string;
  args: string[];
  env?: string[];
  timeout?: number;
}

import { join } from 'node:path';

export type Stage = 'createRuntime' | 'poststop';

/**
 * The hook runtimes are told to run: the native front door, which forwards to the daemon or
 * else execs bin/oci-netdevices (the same hook in Node, which stays ours too: configs and hooks.d
 * files written before the front door existed name it).
 */
export function hookBins(root: string): { frontDoor: string; node: string } {
  return { frontDoor: join(root, 'bin', 'oci-netdevices-hook'), node: join(root, 'bin', 'oci-netdevices') };
}
export const STAGES: readonly Stage[] = ['createRuntime', 'poststop'];

/** argv[0] is our name; `extraArgs` are global flags (--state-dir, --log-file) placed before `hook <stage>`. */
export function hookEntry(hookBin: string, stage: Stage, extraArgs: readonly string[] = []): HookEntry {
  return { path: hookBin, args: ['oci-netdevices', ...extraArgs, 'hook', stage] };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Ours already: one of our binaries, running the same stage. */
function isOurs(h: unknown, bins: readonly string[], stage: Stage): boolean {
  if (!isObj(h) || typeof h.path !== 'string' || !bins.includes(h.path) || !Array.isArray(h.args)) return false;
  const a = h.args as unknown[];
  return a.length >= 2 && a[a.length - 2] === 'hook' && a[a.length - 1] === stage;
}

/** Adds the missing entries to `config.hooks`; true when something was added. `alsoOurs`: other paths of our hook. */
export function addOurHooks(config: Obj, hookBin: string, extraArgs: readonly string[] = [], alsoOurs: readonly string[] = []): boolean {
  const hooks: Obj = isObj(config.hooks) ? config.hooks : {};
  let changed = false;
  for (const stage of STAGES) {
    const list: unknown[] = Array.isArray(hooks[stage]) ? (hooks[stage] as unknown[]) : [];
    if (list.some((h) => isOurs(h, [hookBin, ...alsoOurs], stage))) continue;
    hooks[stage] = [...list, hookEntry(hookBin, stage, extraArgs)];
    changed = true;
  }
  if (changed) config.hooks = hooks;
  return changed;
}
