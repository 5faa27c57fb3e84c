/**
 * `oci-netdevices nri`: a long-running NRI plugin. It connects to the
 * runtime's NRI socket, registers, subscribes to the pod events and
 * CreateContainer, and reconnects with backoff whenever the runtime goes away
 * (restart, Shutdown). The entry point is runNriPlugin(); the rest of the
 * program (a resident daemon, say) can host it as it is.
 */
import type { Log } from '../log.js';
import type { Policy } from '../policy/policy.js';
import type { TeardownMode } from '../state/records.js';
import type { StateDir } from '../state/state-dir.js';
import { connectSocket, openSession } from './connection.js';
import { PodDevices } from './pods.js';
import { type Container, NriEvent, type PodSandbox, decode, encode, eventMask } from './proto.js';
import type { Handler } from './ttrpc.js';

export const DEFAULT_NRI_SOCKET = '/var/run/nri/nri.sock';
export const DEFAULT_PLUGIN_NAME = 'oci-netdevices';
export const DEFAULT_PLUGIN_INDEX = '10';

export interface NriPluginOptions {
  socket: string;
  name: string;
  /** Two digits: plugins are called in ascending index order. */
  index: string;
  stateDir: StateDir;
  policy: () => Policy;
  teardown: (policy: Policy) => TeardownMode;
  log: Log;
  cniPath?: string[];
  /** Resolves when the plugin should stop (SIGTERM); the current session is closed. */
  stop: Promise<void>;
}

const EVENTS = eventMask([NriEvent.RUN_POD_SANDBOX, NriEvent.STOP_POD_SANDBOX, NriEvent.REMOVE_POD_SANDBOX, NriEvent.CREATE_CONTAINER]);
const BACKOFF_MS = { first: 250, max: 10_000 };

interface StateChange {
  event: number;
  pod?: PodSandbox | null;
}
interface SyncRequest {
  pods: PodSandbox[];
  more: boolean;
}
interface CreateRequest {
  pod?: PodSandbox | null;
  container?: Container | null;
}

/** The Plugin service: method name -> handler. */
export function pluginHandlers(pods: PodDevices, log: Log): Map<string, Handler> {
  let syncing: PodSandbox[] = [];
  const empty = encode('Empty', {});
  return new Map<string, Handler>([
    [
      'Configure',
      async (payload) => {
        const req = decode<{ runtime_name: string; runtime_version: string }>('ConfigureRequest', payload);
        log.info({ runtime: req.runtime_name, version: req.runtime_version, events: EVENTS }, 'configured');
        return encode('ConfigureResponse', { events: EVENTS });
      },
    ],
    [
      'Synchronize',
      async (payload) => {
        const req = decode<SyncRequest>('SynchronizeRequest', payload);
        syncing.push(...req.pods);
        if (!req.more) {
          const all = syncing;
          syncing = [];
          log.info({ pods: all.length }, 'synchronizing');
          // Answered at once (the runtime waits for us with a short timeout); the work is queued
          // ahead of every later event, so a barrier or a stop sees its outcome.
          pods.reconcile(all).catch((e: unknown) => log.error({ err: (e as Error).message }, 'reconcile failed'));
        }
        return encode('SynchronizeResponse', { more: req.more });
      },
    ],
    ['Shutdown', async () => empty],
    [
      'CreateContainer',
      async (payload) => {
        const req = decode<CreateRequest>('CreateContainerRequest', payload);
        if (req.pod && req.container) await pods.admit(req.pod, req.container);
        return encode('CreateContainerResponse', {});
      },
    ],
    [
      'StateChange',
      async (payload) => {
        const evt = decode<StateChange>('StateChangeEvent', payload);
        const pod = evt.pod;
        if (!pod) return empty;
        if (evt.event === NriEvent.RUN_POD_SANDBOX) await pods.runPod(pod);
        else if (evt.event === NriEvent.STOP_POD_SANDBOX) await pods.stopPod(pod, false);
        else if (evt.event === NriEvent.REMOVE_POD_SANDBOX) await pods.stopPod(pod, true);
        return empty;
      },
    ],
  ]);
}

const sleep = (ms: number, stop: Promise<void>): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    void stop.then(() => (clearTimeout(t), resolve()));
  });

export async function runNriPlugin(opts: NriPluginOptions): Promise<void> {
  const { log } = opts;
  const pods = new PodDevices({ stateDir: opts.stateDir, policy: opts.policy, teardown: opts.teardown, log, ...(opts.cniPath !== undefined ? { cniPath: opts.cniPath } : {}) });
  const handlers = pluginHandlers(pods, log);
  let stopping = false;
  void opts.stop.then(() => (stopping = true));
  let backoff = BACKOFF_MS.first;
  while (!stopping) {
    let socket;
    try {
      socket = await connectSocket(opts.socket);
    } catch (e) {
      log.debug({ socket: opts.socket, err: (e as Error).message, retryMs: backoff }, 'NRI socket not ready');
      await sleep(backoff, opts.stop);
      backoff = Math.min(backoff * 2, BACKOFF_MS.max);
      continue;
    }
    try {
      const session = await openSession(socket, opts.name, opts.index, handlers, (e) => log.error({ err: e.message }, 'request failed'));
      log.info({ socket: opts.socket, name: opts.name, index: opts.index }, 'registered');
      backoff = BACKOFF_MS.first;
      const onStop = (): void => session.close();
      void opts.stop.then(onStop);
      const why = await session.closed;
      if (!stopping) {
        log.warn({ err: why?.message }, 'NRI connection closed; reconnecting');
        await sleep(BACKOFF_MS.first, opts.stop);
      }
    } catch (e) {
      socket.destroy();
      log.warn({ err: (e as Error).message, retryMs: backoff }, 'registration failed');
      await sleep(backoff, opts.stop);
      backoff = Math.min(backoff * 2, BACKOFF_MS.max);
    }
  }
  log.info({}, 'stopped');
}
