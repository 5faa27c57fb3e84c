/** Hook stages: stdin state -> work done, or one error line and a non-zero exit. */
import { existsSync } from 'node:fs';
import type { TeardownMode } from '../state/records.js';
import { StateDir, resolveStateDir } from '../state/state-dir.js';
import { UsageError, ValidationError } from '../errors.js';
import { type Log, openLog } from '../log.js';
import { type OciState, parseOciState } from '../hook/oci-state.js';
import { bundleAnnotations, readBundleConfig } from '../hook/bundle-config.js';
import type { InterruptSource } from '../hook/interrupts.js';
import { readStdin } from './stdin.js';
import { reportError } from './error-sink.js';
import type { GlobalOptions } from './global-options.js';

/** The global options, their environment variables already folded in (cli/global-options.ts). */
export interface HookFlags extends GlobalOptions {
  /** This entry's CDI device (`cdi generate` writes one hook entry per device). */
  cdiDevice?: string;
  /**
   * The options as given on the command line (camelCase), without the environment's: what
   * identifies this run among the config's hook entries (src/cdi/hook-entries.ts).
   * Absent for a caller that is not a hook process.
   */
  given?: Readonly<Record<string, string>>;
}

/**
 * Where a stage's inputs come from: this process (bin/oci-netdevices), or one
 * request to the daemon (src/daemon/), which carries the front door's stdin and
 * environment and its own interrupts.
 */
export interface HookInput {
  stdin: () => string;
  /** Read for OCI_NETDEVICES_LOG_LEVEL and OCI_NETDEVICES_CNI_PATH (the flags' variables are folded in already). */
  env: NodeJS.ProcessEnv;
  interrupts?: InterruptSource;
  /**
   * A daemon's request: work that runs CNI plugins is handed back to the front door, which runs
   * the Node hook for it. A plugin may take up to its 30 s timeout, and the daemon's one thread
   * would hold every other container's start meanwhile.
   */
  handBackPlugins?: true;
}

/** What the stage leaves for its caller to write: the exit code and stderr (one line, or warnings). */
export interface HookOutcome {
  code: number;
  stderr: string;
  /** Nothing was done: the caller runs the Node hook instead (HookInput.handBackPlugins). */
  handBack?: true;
}

/** Thrown before any change when a daemon's request would run CNI plugins. */
class HandBack extends Error {
  override name = 'HandBack';
}

export const processInput = (): HookInput => ({ stdin: readStdin, env: process.env });

export function teardownMode(flag: string | undefined, fromPolicy: TeardownMode | undefined): TeardownMode {
  const v = flag ?? fromPolicy ?? 'restore';
  if (v !== 'restore' && v !== 'kernel') throw new UsageError(`--teardown must be "restore" or "kernel", not ${JSON.stringify(v)}`);
  return v;
}

function deadline(flag: string | undefined): number | undefined {
  const v = flag;
  if (v === undefined) return undefined;
  if (!/^[0-9]+(\.[0-9]+)?$/.test(v)) throw new UsageError(`--timeout must be a number of seconds, not ${JSON.stringify(v)}`);
  return Number(v);
}

/** Runs a hook stage by name; undefined when the stage is unknown (the full CLI then explains). */
export async function runHookStage(stage: string, flags: HookFlags, input: HookInput = processInput()): Promise<HookOutcome | undefined> {
  switch (stage) {
    case 'createRuntime':
      return runStage('createRuntime', flags, input, runCreateRuntime);
    case 'poststop':
      return runStage('poststop', flags, input, runPoststop);
    default:
      return undefined;
  }
}

/** The CLI's side: the outcome written to this process's stderr and exit code. */
export function writeOutcome(o: HookOutcome): void {
  if (o.stderr !== '') process.stderr.write(o.stderr);
  if (o.code !== 0) process.exitCode = o.code;
}

type StageLog = () => Promise<Log>;
interface StageCtx {
  flags: HookFlags;
  input: HookInput;
  log: StageLog;
  /** Warnings for stderr (poststop's notes). */
  warn: (line: string) => void;
}

/** Moving devices between namespaces, pinning them and keeping root-only state all need root. */
function requireRoot(stage: string): void {
  const uid = process.geteuid?.();
  if (uid !== undefined && uid !== 0) throw new UsageError(`hook ${stage} must run as root (uid 0), not as uid ${uid}`);
}

/**
 * Reads the state, runs the stage. The log is opened only when the
 * stage has something to record: a container that asks for nothing costs a
 * JSON parse, not a logger.
 */
async function runStage(stage: string, flags: HookFlags, input: HookInput, body: (state: OciState, ctx: StageCtx) => Promise<void>): Promise<HookOutcome> {
  let opened: Promise<Log> | undefined;
  let id: string | undefined;
  let stderr = '';
  let code = 0;
  const log: StageLog = () => (opened ??= openLog(flags.logFile, { ...(id !== undefined ? { container: id } : {}), stage }, input.env.OCI_NETDEVICES_LOG_LEVEL));
  try {
    const state = parseOciState(input.stdin());
    id = state.id;
    await body(state, { flags, input, log, warn: (line) => (stderr += line) });
  } catch (e) {
    if (e instanceof HandBack) return { code: 0, stderr: '', handBack: true };
    (await log()).error({ err: e instanceof Error ? { name: e.name, message: e.message, errno: (e as { errno?: unknown }).errno } : String(e) }, `${stage} failed`);
    code = reportError(e, (line) => (stderr += line));
  } finally {
    if (opened !== undefined) {
      const l = await opened;
      l.flush();
      l.close?.();
    }
  }
  return { code, stderr };
}

async function runCreateRuntime(state: OciState, { flags, input, log: openStageLog }: StageCtx): Promise<void> {
  const config = readBundleConfig(state.bundle);
  const { planCdi } = await import('../cdi/hook-entries.js');
  const cdi = planCdi(config, 'createRuntime', flags.given ?? (flags.cdiDevice !== undefined ? { cdiDevice: flags.cdiDevice } : {}));
  if (!cdi.act) return; // the first of our entries acts for this one's CDI device too
  const { requestsDevices } = await import('../config/extract.js');
  const annotations = { ...state.annotations, ...bundleAnnotations(config) };
  if (cdi.devices.length === 0 && !requestsDevices(config, annotations)) return;
  if (input.handBackPlugins === true && (await import('../cni/extract.js')).requestsAttachments(annotations)) throw new HandBack('the container asks for CNI attachments');
  requireRoot('createRuntime');
  const log = await openStageLog();
  if (cdi.repeated && (await import('../cdi/done.js')).alreadyDone(state, flags.stateDir)) {
    log.info({ cdiDevices: cdi.devices }, 'an identical earlier hook entry (a CDI device asked twice) already acted for this container');
    return;
  }
  const { createRuntime } = await import('../hook/create-runtime.js');
  const { loadPolicy } = await import('../policy/policy.js');
  const policy = loadPolicy(flags.policy);
  const deadlineSeconds = deadline(flags.timeout);
  const { resolveCniPath } = await import('../cni/cni-path.js');
  const cniPath = resolveCniPath(flags.cniPath, input.env);
  const { records } = await createRuntime(
    state,
    {
      stateDir: new StateDir(resolveStateDir(flags.stateDir)),
      teardown: teardownMode(flags.teardown, policy.teardown),
      policy,
      log,
      cniPath,
      // The hook's PATH, not the daemon's: a plugin runs as it would under the Node hook.
      ...(input.env.PATH !== undefined ? { pluginPath: input.env.PATH } : {}),
      ...(input.interrupts !== undefined ? { interrupts: input.interrupts } : {}),
      ...(cdi.devices.length > 0 ? { cdiDevices: cdi.devices } : {}),
      ...(deadlineSeconds !== undefined ? { deadlineSeconds } : {}),
    },
    config,
  );
  if (records.length > 0) log.info({ devices: records.map((r) => ({ host: r.hostName, container: r.containerName })) }, 'devices ready');
}

/**
 * Poststop needs no coordination between CDI entries: it works from the state the
 * acting createRuntime wrote, so the first run brings everything home and later
 * ones find nothing left (podman even runs its hooks.d poststop itself, outside config.json).
 */
async function runPoststop(state: OciState, { flags, input, log: openStageLog, warn }: StageCtx): Promise<void> {
  if (flags.cdiDevice !== undefined) {
    const { cdiNameProblem } = await import('../cdi/names.js');
    const problem = cdiNameProblem(flags.cdiDevice);
    if (problem !== undefined) throw new ValidationError([{ path: '--cdi-device', device: flags.cdiDevice, message: problem }]);
  }
  const dir = new StateDir(resolveStateDir(flags.stateDir));
  // Not root, a state directory we cannot read: the devices would silently never come home.
  if (existsSync(dir.root)) requireRoot('poststop');
  if (!dir.knows(state.id)) return; // nothing was moved for this container: nothing to load
  if (input.handBackPlugins === true && existsSync(dir.containerFile(state.id, 'cni.json'))) throw new HandBack('the container has CNI attachments to delete');
  const { poststop } = await import('../hook/poststop.js');
  // --timeout bounds the wait for the devices' locks too (default 10 s), so a stuck holder cannot stall teardown.
  const seconds = deadline(flags.timeout);
  const r = await poststopRetryingInProcess(state.id, dir, (id, d) => poststop(id, d, seconds !== undefined ? seconds * 1000 : undefined));
  if (r === undefined) return;
  const log = await openStageLog();
  log.info({ restored: r.restored, missing: r.missing, notes: r.notes }, 'devices returned to the host');
  // Not a failure (nothing left to do), but worth a line: a runtime shows it when it logs hook output.
  if (r.missing.length > 0) log.warn({ missing: r.missing }, 'devices were gone with the container netns (virtual devices are destroyed with it)');
  for (const n of r.notes) warn(`oci-netdevices: warning: ${n}\n`);
  if (r.losses.length > 0) {
    for (const l of r.losses) log.error({ device: l.device, lost: l.what, why: l.why }, 'not restored');
    const { RestoredWithLossesError } = await import('../errors.js');
    const { formatLosses } = await import('../apply/losses.js');
    throw new RestoredWithLossesError(`container ${state.id}: devices came home with losses: ${formatLosses(r.losses)}`);
  }
}

/**
 * Teardown waits for its devices' locks, blocking. In the daemon the holder may be another
 * request of this very process, parked at an await: blocking would stop it from ever letting
 * go, so the lock layer refuses at once (HeldInProcessError) and the stage waits here,
 * letting the holder run. In bin/oci-netdevices no lock is ever held in-process.
 */
async function poststopRetryingInProcess<T>(id: string, dir: StateDir, stage: (id: string, dir: StateDir) => T): Promise<T> {
  const { HeldInProcessError } = await import('../state/device-lock.js');
  for (;;) {
    try {
      return stage(id, dir);
    } catch (e) {
      if (!(e instanceof HeldInProcessError)) throw e;
      await new Promise((r) => setTimeout(r, 2));
    }
  }
}
