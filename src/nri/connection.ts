/**
 * One session with the runtime over the NRI socket: the mux, our ttrpc
 * server for the Plugin service (logical connection 1), our ttrpc client of
 * the Runtime service (connection 2), and the registration.
 */
import { type Socket, createConnection } from 'node:net';
import { FrameReader, PLUGIN_SERVICE_CONN, RUNTIME_SERVICE_CONN, encodeFrames } from './mux.js';
import { NRI_PACKAGE, encode } from './proto.js';
import { type Handler, TtrpcClient, TtrpcServer } from './ttrpc.js';

export const PLUGIN_SERVICE = `${NRI_PACKAGE}.Plugin`;
export const RUNTIME_SERVICE = `${NRI_PACKAGE}.Runtime`;

export interface NriSession {
  /** Resolves when the connection closes (runtime gone, Shutdown, or an error). */
  closed: Promise<Error | undefined>;
  close(): void;
}

export function connectSocket(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection({ path });
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** Serves `handlers` (method name -> handler) and registers as `name` with index `index`. */
export async function openSession(socket: Socket, name: string, index: string, handlers: ReadonlyMap<string, Handler>, onError: (e: Error) => void): Promise<NriSession> {
  const write = (connId: number) => (bytes: Buffer): void => {
    for (const f of encodeFrames(connId, bytes)) socket.write(f);
  };
  const served = new Map<string, Handler>();
  for (const [method, h] of handlers) served.set(`${PLUGIN_SERVICE}/${method}`, h);
  const server = new TtrpcServer(write(PLUGIN_SERVICE_CONN), served, onError);
  const client = new TtrpcClient(write(RUNTIME_SERVICE_CONN));
  let failure: Error | undefined;
  const frames = new FrameReader((connId, payload) => {
    if (connId === PLUGIN_SERVICE_CONN) server.receive(payload);
    else if (connId === RUNTIME_SERVICE_CONN) client.receive(payload);
  });
  const closed = new Promise<Error | undefined>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      try {
        frames.push(chunk);
      } catch (e) {
        failure = e as Error;
        socket.destroy();
      }
    });
    socket.on('error', (e) => {
      failure ??= e;
    });
    socket.on('close', () => {
      const e = failure ?? new Error('the runtime closed the NRI connection');
      client.failAll(e);
      resolve(failure);
    });
  });
  await client.call(RUNTIME_SERVICE, 'RegisterPlugin', encode('RegisterPluginRequest', { plugin_name: name, plugin_idx: index }), 10_000);
  return { closed, close: () => socket.destroy() };
}
