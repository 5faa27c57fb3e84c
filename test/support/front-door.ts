/**
 * The front-door test mode: with OCI_NETDEVICES_TEST_VIA=front-door, the test kits run hooks as
 * bin/oci-netdevices-hook against a daemon this test process starts on first use (one per test
 * file, stopped at exit), found through OCI_NETDEVICES_DAEMON_SOCKET. Without it they run
 * bin/oci-netdevices, the Node hook, as before. `npm test` runs a representative half of the
 * integration files in both modes (test/run-tiers.mjs, tier integration-daemon).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './bundle.js';

export const NODE_HOOK_BIN = join(REPO_ROOT, 'bin', 'oci-netdevices');
export const FRONT_DOOR_BIN = join(REPO_ROOT, 'bin', 'oci-netdevices-hook');
export const VIA_FRONT_DOOR = process.env.OCI_NETDEVICES_TEST_VIA === 'front-door';

/** The binary the kits run hooks with in this mode. */
export const TEST_HOOK_BIN = VIA_FRONT_DOOR ? FRONT_DOOR_BIN : NODE_HOOK_BIN;

export interface RunningDaemon {
  socket: string;
  pid: number;
  /** The daemon's stdout (its "listening" line) and stderr so far. */
  output(): string;
  logFile: string;
  child: ChildProcess;
  /** SIGTERM, then waits for the exit (in-flight requests finish first). */
  stop(): Promise<void>;
  /** Resolves once the daemon exited (exitCode or signalCode set). */
  exited(): Promise<void>;
  kill(sig: NodeJS.Signals): void;
}

const sleepMs = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

/**
 * Starts `oci-netdevices daemon --socket <tmp>/d.sock` and waits (synchronously: the kits' hook
 * runners are synchronous) until it listens. `args`: global flags before `daemon`.
 */
export function startTestDaemon(o: { args?: string[]; socket?: string; env?: NodeJS.ProcessEnv } = {}): RunningDaemon {
  const dir = mkdtempSync(join(tmpdir(), 'ond-daemon-'));
  const socket = o.socket ?? join(dir, 'd.sock');
  const logFile = join(dir, 'daemon.log');
  const outFile = join(dir, 'output');
  const outFd = openSync(outFile, 'w');
  const out = (): string => (existsSync(outFile) ? readFileSync(outFile, 'utf8') : '');
  // Its output goes to a file and the child is unref'd: a test file's process ends when its tests do.
  const child = spawn(NODE_HOOK_BIN, ['--log-file', logFile, ...(o.args ?? []), 'daemon', '--socket', socket], { stdio: ['ignore', outFd, outFd], env: o.env ?? process.env });
  closeSync(outFd);
  child.unref();
  const until = Date.now() + 20_000;
  // The "listening" line comes after listen() and chmod: the socket is usable once it is printed.
  // (Synchronous wait: stdout is read by polling the log file the daemon writes.)
  while (!(existsSync(logFile) && readFileSync(logFile, 'utf8').includes('"daemon listening"'))) {
    if (Date.now() > until || child.exitCode !== null) throw new Error(`daemon did not start: ${out()}`);
    sleepMs(10);
  }
  // Polled, not awaited as an event: the child is unref'd and would not keep this process alive.
  const exited = async (): Promise<void> => {
    const end = Date.now() + 30_000;
    while (child.exitCode === null && child.signalCode === null && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  };
  const cleanup = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', cleanup);
  return {
    socket,
    pid: child.pid!,
    output: out,
    logFile,
    child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited();
      process.off('exit', cleanup);
      cleanup();
    },
    kill: (sig) => child.kill(sig),
    exited,
  };
}

let shared: RunningDaemon | undefined;

/** Environment the kits add to every hook run: the shared daemon's socket in front-door mode, nothing otherwise. */
export function frontDoorEnv(): Record<string, string> {
  if (!VIA_FRONT_DOOR) return {};
  shared ??= startTestDaemon();
  return { OCI_NETDEVICES_DAEMON_SOCKET: shared.socket };
}

/** The shared daemon's pid (front-door mode), for tests that check it is still serving. */
export function sharedDaemonAlive(): boolean {
  return shared !== undefined && shared.child.exitCode === null && spawnSync('kill', ['-0', String(shared.pid)]).status === 0;
}
