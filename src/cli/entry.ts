/**
 * Process entry. `hook <stage>` is on the critical path of every container
 * start, so it is dispatched here without loading commander; anything this
 * small parser does not recognise goes to the full CLI (main.ts).
 */
import { reportError } from './error-sink.js';
import { type GlobalOptions, globalOption, withEnvFallbacks } from './global-options.js';
import type { HookFlags } from './run-hook.js';

/** The hook stage's own option (no environment variable): one CDI device per hook entry. */
export const CDI_DEVICE_OPTION = 'cdi-device';

export interface FastHook {
  stage: string;
  options: Record<string, string>;
}

export function parseFastHook(args: readonly string[]): FastHook | undefined {
  const options: Record<string, string> = {};
  let i = 0;
  const take = (): boolean => {
    const a = args[i]!;
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    // Global options a hook invocation may carry, as `--name value` or `--name=value`, and --cdi-device.
    if (globalOption(name) === undefined && name !== `--${CDI_DEVICE_OPTION}`) return false;
    // A repeated option goes to the full CLI, which explains.
    if (Object.hasOwn(options, name.slice(2))) return false;
    if (eq > 0) options[name.slice(2)] = a.slice(eq + 1);
    else {
      const v = args[i + 1];
      if (v === undefined) return false;
      options[name.slice(2)] = v;
      i++;
    }
    i++;
    return true;
  };
  while (i < args.length && args[i]!.startsWith('--')) if (!take()) return undefined;
  if (args[i] !== 'hook' || args[i + 1] === undefined) return undefined;
  const stage = args[i + 1]!;
  i += 2;
  while (i < args.length) if (!args[i]!.startsWith('--') || !take()) return undefined;
  return { stage, options };
}

/** A fast hook's options by their keys in the parsed options (`stateDir`, `cdiDevice`...), as given. */
export function givenOptions(options: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(options)) {
    const key = k === CDI_DEVICE_OPTION ? 'cdiDevice' : globalOption(`--${k}`)?.key;
    if (key !== undefined) out[key] = v;
  }
  return out;
}

/** The flags of a fast-path hook invocation, each from its flag or else its variable in `env` (the daemon passes its request's). */
export function fastHookFlags(fast: FastHook, env: NodeJS.ProcessEnv = process.env): HookFlags {
  const given = givenOptions(fast.options);
  const { cdiDevice, ...globals } = given;
  return { ...withEnvFallbacks(globals as GlobalOptions, env), ...(cdiDevice !== undefined ? { cdiDevice } : {}), given };
}

export async function run(argv: readonly string[]): Promise<void> {
  const fast = parseFastHook(argv.slice(2));
  if (fast !== undefined) {
    const { runHookStage, writeOutcome } = await import('./run-hook.js');
    const flags = fastHookFlags(fast);
    try {
      const outcome = await runHookStage(fast.stage, flags);
      if (outcome !== undefined) {
        writeOutcome(outcome);
        return;
      }
    } catch (e) {
      process.exitCode = reportError(e);
      return;
    }
  }
  const { main } = await import('./main.js');
  await main(argv);
}
