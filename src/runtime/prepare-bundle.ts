/**
 * create/run: when the bundle's config asks for devices, add our hooks (and,
 * for a runtime that moves netDevices itself, hand it only what it can read:
 * see native-handoff.ts), then replace config.json atomically. Nothing is
 * written when nothing is asked for or everything is already in place.
 */
import { requestsDevices } from '../config/extract.js';
import { readConfigFile, writeConfigFile } from './config-file.js';
import { addOurHooks } from './inject-hooks.js';
import { arrayFormToAnnotation, hasArrayForm } from './native-handoff.js';

export interface PrepareOptions {
  /** Absolute path of the hook (bin/oci-netdevices-hook). */
  hookBin: string;
  /** Other paths of our hook: entries naming them count as ours (bin/oci-netdevices). */
  alsoOurs?: readonly string[];
  /** Global flags for the hook (--state-dir, --log-file). */
  hookArgs?: readonly string[];
  /** Asked only when the config holds the array form: does the runtime move netDevices itself? */
  runtimeMovesDevices?: () => boolean;
}

export type Prepared = 'untouched' | 'rewritten';

type Obj = Record<string, unknown>;

export function prepareBundle(configPath: string, opts: PrepareOptions): Prepared {
  const file = readConfigFile(configPath);
  const config = file.json.value;
  if (typeof config !== 'object' || config === null || Array.isArray(config) || !requestsDevices(config)) return 'untouched';
  const c = config as Obj;
  let changed = false;
  if (hasArrayForm(c) && opts.runtimeMovesDevices?.() === true) changed = arrayFormToAnnotation(c);
  if (addOurHooks(c, opts.hookBin, opts.hookArgs, opts.alsoOurs)) changed = true;
  if (!changed) return 'untouched';
  writeConfigFile(file, c);
  return 'rewritten';
}
