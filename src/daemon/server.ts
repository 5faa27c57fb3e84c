/**
 * The resident engine: the hook stages served on a unix socket, so a container start pays for a
 * connect instead of a cold Node process. Each request runs the very code bin/oci-netdevices runs
 * (cli/run-hook.ts), with the front door's flags, environment and stdin, and answers its exit code
 * and stderr; nothing of one request reaches the process (exit code, signals) or another request.
 *
 * Access: the socket is 0600 in a root-only directory, and each peer's credentials (SO_PEERCRED)
 * must say uid 0: anyone else gets a refusal and the connection closed.
 */
import { chmodSync, lstatSync, mkdirSync, statSync, unlinkSync } from 'node:fs';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fastHookFlags, parseFastHook } from '../cli/entry.js';
import { reportError } from '../cli/error-sink.js';
import { ExitCode } from '../errors.js';
import { type HookOutcome, runHookStage } from '../cli/run-hook.js';
import type { Log } from '../log.js';
import { native } from '../native/binding.js';
import { idleGc } from './idle-gc.js';
import { FrameReader, type HookAnswer, type HookRequest, decodeRequest, encodeAnswer } from './protocol.js';

/** As the Node hook's refusal of a caller that is not root (README, Errors: 2). */
const REFUSED_CODE = ExitCode.usage;

export interface Daemon {
  server: Server;
  /** Requests being served now. */
  inFlight(): number;
  /** Stops accepting (the socket goes: new hooks take the Node path), resolves when the last request answered. */
  drain(): Promise<void>;
}

/** Who connected, from the kernel (Node exposes no SO_PEERCRED). */
function peerOf(sock: Socket): { pid: number; uid: number } | undefined {
  // net.Socket keeps its descriptor on the libuv handle; there is no public accessor.
  const fd = (sock as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return undefined;
  try {
    return native().peerCred(fd);
  } catch {
    return undefined;
  }
}

const NAMESPACES = ['net', 'mnt', 'pid'] as const;

/**
 * A hook works in the namespaces it runs in: "the host" is its network namespace, paths are
 * its mount namespace's, the state's pid its pid namespace's. A front door elsewhere (a runtime
 * in a netns of its own, `ip netns exec`) is told to run the Node hook there instead.
 */
function sameNamespaces(pid: number): boolean {
  try {
    const own = ownNamespaces();
    return NAMESPACES.every((ns, i) => statSync(`/proc/${pid}/ns/${ns}`).ino === own[i]);
  } catch {
    return false;
  }
}

/** The daemon's own namespaces, read once: they never change (the native shim's setns steps back before it returns, or aborts). */
let ownInodes: number[] | undefined;
function ownNamespaces(): number[] {
  return (ownInodes ??= NAMESPACES.map((ns) => statSync(`/proc/self/ns/${ns}`).ino));
}

/** Relative --policy and --log-file paths mean what they mean for a hook started in the front door's cwd. */
function inCwd(p: string | undefined, cwd: string): string | undefined {
  return p === undefined || p === '' || p === 'off' || isAbsolute(p) ? p : resolve(cwd, p);
}

/** One request through the Node hook's own code path. */
export async function serveRequest(req: HookRequest, signal: AbortSignal): Promise<HookAnswer> {
  const fast = parseFastHook(req.args);
  if (fast === undefined) return { node: true };
  let outcome: HookOutcome | undefined;
  try {
    const flags = fastHookFlags(fast, req.env);
    const policy = inCwd(flags.policy, req.cwd);
    const logFile = inCwd(flags.logFile, req.cwd);
    outcome = await runHookStage(fast.stage, { ...flags, ...(policy !== undefined ? { policy } : {}), ...(logFile !== undefined ? { logFile } : {}) }, {
      stdin: () => req.stdin,
      env: req.env,
      handBackPlugins: true,
      interrupts: { signal, startedAt: Math.min(req.startedAt, Date.now()) },
    });
  } catch (e) {
    let stderr = '';
    const code = reportError(e, (l) => (stderr += l));
    return { code, stderr };
  }
  // Unknown stage (the full CLI explains), or work that runs CNI plugins: the front door runs the Node hook.
  return outcome === undefined || outcome.handBack === true ? { node: true } : { code: outcome.code, stderr: outcome.stderr };
}

function handle(sock: Socket, log: Log, track: (p: Promise<void>) => void): void {
  const peer = peerOf(sock);
  const uid = peer?.uid;
  if (uid !== 0) {
    log.warn({ uid: uid ?? null }, 'refused a client that is not root');
    sock.on('error', () => undefined);
    sock.resume(); // read (and drop) what it sends, so its hang-up is seen and the socket closed
    sock.end(encodeAnswer({ code: REFUSED_CODE, stderr: `oci-netdevices: daemon: refused: the client is uid ${uid ?? 'unknown'}, only root may call the daemon\n` }));
    return;
  }
  if (!sameNamespaces(peer!.pid)) {
    sock.on('error', () => undefined);
    sock.on('data', () => undefined);
    sock.end(encodeAnswer({ node: true }));
    return;
  }
  const reader = new FrameReader();
  const interrupt = new AbortController();
  let started = false;
  let answered = false;
  const onSignalBytes = (bytes: Buffer): void => {
    for (const b of bytes) {
      if (b === 0x54) interrupt.abort('interrupted by SIGTERM');
      else if (b === 0x49) interrupt.abort('interrupted by SIGINT');
    }
  };
  const gone = (): void => {
    if (!answered) interrupt.abort('interrupted by SIGTERM (the front door went away: killed, or the runtime\'s hook timeout)');
  };
  sock.on('error', gone);
  sock.on('end', gone);
  sock.on('close', gone);
  sock.on('data', (data: Buffer) => {
    if (started) return onSignalBytes(data);
    let got: ReturnType<FrameReader['push']>;
    let req: HookRequest;
    try {
      got = reader.push(data);
      if (got === undefined) return;
      req = decodeRequest(got.frame);
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'bad request');
      answered = true;
      sock.end(encodeAnswer({ code: 1, stderr: `oci-netdevices: daemon: ${(e as Error).message}\n` }));
      return;
    }
    started = true;
    onSignalBytes(got.rest);
    track(
      serveRequest(req, interrupt.signal).then((answer) => {
        answered = true;
        if ('node' in answer) log.info({ args: req.args }, 'handed back: the front door runs the Node hook for this request (CNI plugins, or a command line the daemon does not serve)');
        if (!sock.destroyed) sock.end(encodeAnswer(answer));
      }),
    );
  });
}

/** Leaves a live daemon's socket alone; removes a dead one's. */
async function clearStaleSocket(path: string): Promise<void> {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new Error(`${path} exists and is not a socket`);
  const live = await new Promise<boolean>((done) => {
    const c = connect(path);
    c.on('connect', () => {
      c.destroy();
      done(true);
    });
    c.on('error', () => done(false));
  });
  if (live) throw new Error(`another daemon is listening on ${path}`);
  unlinkSync(path);
}

/** `prepareDir`: makes the socket's directory root-only (the state directory); otherwise it must exist or is made 0700. */
export async function startDaemon(socketPath: string, log: Log, prepareDir: (dir: string) => void = (d) => mkdirSync(d, { recursive: true, mode: 0o700 })): Promise<Daemon> {
  prepareDir(dirname(socketPath));
  await clearStaleSocket(socketPath);
  const requests = new Set<Promise<void>>();
  const collector = idleGc();
  const track = (p: Promise<void>): void => {
    collector.busy();
    requests.add(p);
    void p.finally(() => {
      requests.delete(p);
      collector.done(requests.size);
    });
  };
  const server = createServer({ allowHalfOpen: true }, (sock) => handle(sock, log, track));
  // The socket is born 0600: no window in which others could connect.
  const umask = process.umask(0o177);
  try {
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(socketPath, () => {
        server.off('error', fail);
        ok();
      });
    });
  } finally {
    process.umask(umask);
  }
  chmodSync(socketPath, 0o600);
  return {
    server,
    inFlight: () => requests.size,
    drain: async () => {
      await new Promise<void>((done) => server.close(() => done()));
      while (requests.size > 0) await Promise.allSettled([...requests]);
      collector.stop();
    },
  };
}
