/**
 * Unary ttrpc over one logical connection: a server that answers requests on
 * their stream id, and a client that numbers its streams 1, 3, 5, ...
 * A handler's error becomes a google.rpc.Status in the response, which the
 * runtime reports as the call's error.
 */
import { decode, encode } from './proto.js';
import { MessageReader, MessageType, type TtrpcMessage, encodeMessage } from './ttrpc-frame.js';

/** google.rpc codes used here. */
export const RpcCode = { UNKNOWN: 2, UNIMPLEMENTED: 12, INTERNAL: 13 } as const;

interface RequestEnvelope {
  service: string;
  method: string;
  payload: Uint8Array;
}
interface ResponseEnvelope {
  status?: { code: number; message: string } | null;
  payload: Uint8Array;
}

export class RpcError extends Error {
  constructor(readonly code: number, message: string) {
    super(message);
  }
}

/** `service/method` -> the response payload for a request payload. */
export type Handler = (payload: Buffer) => Promise<Buffer>;

export class TtrpcServer {
  private readonly reader = new MessageReader((m) => this.onMessage(m));

  constructor(private readonly send: (bytes: Buffer) => void, private readonly handlers: ReadonlyMap<string, Handler>, private readonly onError: (e: Error) => void) {}

  receive(chunk: Buffer): void {
    this.reader.push(chunk);
  }

  private onMessage(m: TtrpcMessage): void {
    if (m.type !== MessageType.request) return; // data/response frames are not ours to answer on this side
    const req = decode<RequestEnvelope>('ttrpc.Request', m.payload);
    const handler = this.handlers.get(`${req.service}/${req.method}`);
    const reply = (r: Record<string, unknown>): void => this.send(encodeMessage({ streamId: m.streamId, type: MessageType.response, flags: 0, payload: encode('ttrpc.Response', r) }));
    if (handler === undefined) {
      reply({ status: { code: RpcCode.UNIMPLEMENTED, message: `${req.service}/${req.method} is not implemented by this plugin` } });
      return;
    }
    handler(Buffer.from(req.payload)).then(
      (payload) => reply({ payload }),
      (e: unknown) => {
        const code = e instanceof RpcError ? e.code : RpcCode.UNKNOWN;
        reply({ status: { code, message: e instanceof Error ? e.message : String(e) } });
        if (!(e instanceof RpcError)) this.onError(e instanceof Error ? e : new Error(String(e)));
      },
    ).catch((e: unknown) => this.onError(e as Error));
  }
}

export class TtrpcClient {
  private nextStream = 1;
  private readonly waiting = new Map<number, { resolve: (b: Buffer) => void; reject: (e: Error) => void }>();
  private readonly reader = new MessageReader((m) => this.onMessage(m));

  constructor(private readonly send: (bytes: Buffer) => void) {}

  receive(chunk: Buffer): void {
    this.reader.push(chunk);
  }

  call(service: string, method: string, payload: Buffer, timeoutMs: number): Promise<Buffer> {
    const streamId = this.nextStream;
    this.nextStream += 2;
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(streamId);
        reject(new RpcError(RpcCode.UNKNOWN, `${service}/${method}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(streamId, {
        resolve: (b) => (clearTimeout(timer), resolve(b)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      const body = encode('ttrpc.Request', { service, method, payload, timeout_nano: timeoutMs * 1_000_000 });
      this.send(encodeMessage({ streamId, type: MessageType.request, flags: 0, payload: body }));
    });
  }

  /** The connection is gone: every pending call fails. */
  failAll(e: Error): void {
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
  }

  private onMessage(m: TtrpcMessage): void {
    if (m.type !== MessageType.response) return;
    const w = this.waiting.get(m.streamId);
    if (w === undefined) return;
    this.waiting.delete(m.streamId);
    const r = decode<ResponseEnvelope>('ttrpc.Response', m.payload);
    if (r.status !== undefined && r.status !== null && r.status.code !== 0) w.reject(new RpcError(r.status.code, r.status.message));
    else w.resolve(Buffer.from(r.payload));
  }
}
