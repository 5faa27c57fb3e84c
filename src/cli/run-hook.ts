/** `hook createRuntime`: stdin state -> devices moved, or one error line and a non-zero exit. */
import { openLog } from '../log.js';
import { createRuntime } from '../hook/create-runtime.js';
import { parseOciState } from '../hook/oci-state.js';
import { readStdin } from './stdin.js';
import { reportError } from './error-sink.js';

export interface HookFlags {
  logFile?: string;
  stateDir?: string;
}

function faultsFromEnv(): { failAtStep?: number } {
  const v = process.env.OCI_NETDEVICES_TEST_FAIL_STEP;
  return v !== undefined && /^[0-9]+$/.test(v) ? { failAtStep: Number(v) } : {};
}

/** Runs a hook stage by name; false when the stage is unknown (the full CLI then explains). */
export async function runHookStage(stage: string, flags: HookFlags): Promise<boolean> {
  switch (stage) {
    case 'createRuntime':
      await runCreateRuntime(flags);
      return true;
    default:
      return false;
  }
}

export async function runCreateRuntime(flags: HookFlags): Promise<void> {
  const state = parseOciState(readStdin());
  const log = await openLog(flags.logFile, { container: state.id, stage: 'createRuntime' });
  try {
    const { records } = createRuntime(state, { log, faults: faultsFromEnv() });
    log.info({ devices: records.map((r) => ({ host: r.hostName, container: r.containerName })) }, 'devices ready');
  } catch (e) {
    log.error({ err: e instanceof Error ? { name: e.name, message: e.message, errno: (e as { errno?: unknown }).errno } : String(e) }, 'createRuntime failed');
    process.exitCode = reportError(e);
  } finally {
    log.flush();
  }
}
