/**
 * oci-netdevices-runtime: a drop-in OCI runtime with runc's command line. Its native front door
 * (native/front/runtime.c) execs the real runtime itself for the calls that certainly need
 * nothing of this file, and hands every other call here (bin/oci-netdevices-runtime-node).
 *
 * - create/run: when config.json asks for devices, add our createRuntime and
 *   poststop hooks (prepare-bundle.ts), then become the real runtime.
 * - delete of a container we hold state for: run the real delete as a child,
 *   then bring the devices home (after-delete.ts), exit with its code.
 * - anything else: become the real runtime at once.
 *
 * "Become" is execve: same pid, fds, signals and exit code, argv[0] the real
 * runtime's path, the caller's environment untouched (caller-env.ts). This module loads only what the
 * fast path needs; the rest is imported when used.
 */
import { resolve } from 'node:path';
import { ExitCode, NetDevError } from '../errors.js';
import { native } from '../native/binding.js';
import { packageRoot } from '../package-root.js';
import { parseRuntimeArgs, takeRuntimeFlag } from './argv.js';
import { chooseRuntime, resolveExecutable } from './real-runtime.js';
import { hasStateFor, hookArgsFromEnv, wrapperStateDir } from './state-probe.js';
import { type WrapperConfig, readWrapperConfig } from './wrapper-config.js';
import { envList, restoreCallerEnv } from './caller-env.js';

/** One line; exit 2 for what the caller can fix (a bad config.json, settings, runtime name), 1 for the rest. */
function fail(msg: string, code: number = ExitCode.usage): never {
  process.stderr.write(`oci-netdevices-runtime: ${msg.replace(/\s*\n\s*/g, '; ')}\n`);
  process.exit(code);
}

/** An unreadable or malformed config.json is the real runtime's to report, in its own words. */
function runtimeWillReport(e: unknown): boolean {
  return e instanceof SyntaxError || (e as NodeJS.ErrnoException).code === 'ENOENT';
}

export async function runWrapper(argv: readonly string[]): Promise<void> {
  restoreCallerEnv(process.env);
  const { args, runtime: fromFlag } = takeRuntimeFlag(argv.slice(2));
  let real: string;
  let config: WrapperConfig;
  try {
    config = readWrapperConfig();
    real = resolveExecutable(chooseRuntime(argv[1] ?? '', process.env, config, fromFlag), process.env, argv[1]);
  } catch (e) {
    fail((e as Error).message);
  }
  const stateDir = wrapperStateDir(process.env, config);
  const call = parseRuntimeArgs(args);
  if (call.subcommand === 'create' || call.subcommand === 'run') {
    const configPath = resolve(process.cwd(), call.bundle ?? '.', call.config ?? 'config.json');
    const [{ prepareBundle }, { runtimeFeatures }, { hookBins }] = await Promise.all([import('./prepare-bundle.js'), import('./features.js'), import('./inject-hooks.js')]);
    const bins = hookBins(packageRoot());
    try {
      prepareBundle(configPath, {
        hookBin: bins.frontDoor,
        alsoOurs: [bins.node],
        hookArgs: hookArgsFromEnv(process.env, config),
        runtimeMovesDevices: () => runtimeFeatures(real, stateDir).netDevices,
      });
    } catch (e) {
      if (!runtimeWillReport(e)) fail(`cannot add hooks to ${configPath}: ${(e as Error).message}`, e instanceof NetDevError ? e.exitCode : ExitCode.failure);
    }
  } else if (call.subcommand === 'delete' && call.id !== undefined && hasStateFor(stateDir, call.id)) {
    const { deleteThenRestore } = await import('./delete.js');
    process.exit(await deleteThenRestore(real, args, call.id, stateDir, call.subcommandAt));
  }
  native().execve(real, [real, ...args], envList(process.env));
}
