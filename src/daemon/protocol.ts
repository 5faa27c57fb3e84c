/**
 * The front door's wire format (native/front/hook.c speaks the other side), on a unix stream socket:
 *
 *   request   u32 big-endian length, then: "ond1" NUL cwd NUL started-at-ms NUL argc NUL
 *             argv[1..] (each NUL-terminated) envc NUL env entries "K=V" (each NUL-terminated),
 *             then the hook's stdin, raw, to the end of the frame
 *   signals   after the request, one byte per signal the front door got: 'T' SIGTERM, 'I' SIGINT;
 *             end of stream (the front door died, or the runtime killed it) counts as SIGTERM
 *   answer    u32 big-endian length, then: "ond1" NUL exit-code NUL stderr text; or
 *             "ond1" NUL "node" NUL: run the Node hook yourself (a command line the fast path does
 *             not know, e.g. --help: the full CLI answers it)
 */
export const MAGIC = 'ond1';
/** A request larger than this is refused (a container state is a few hundred bytes). */
export const MAX_REQUEST = 4 << 20;
export const DAEMON_SOCKET_NAME = 'daemon.sock';

export interface HookRequest {
  cwd: string;
  startedAt: number;
  /** The hook's arguments without argv[0]. */
  args: string[];
  env: Record<string, string>;
  stdin: string;
}

export type HookAnswer = { code: number; stderr: string } | { node: true };

/** The request in `frame` (without its length prefix); throws on anything malformed. */
export function decodeRequest(frame: Buffer): HookRequest {
  let at = 0;
  const field = (): string => {
    const end = frame.indexOf(0, at);
    if (end < 0) throw new Error('truncated request');
    const s = frame.subarray(at, end).toString('utf8');
    at = end + 1;
    return s;
  };
  const count = (what: string): number => {
    const s = field();
    if (!/^[0-9]{1,6}$/.test(s)) throw new Error(`bad ${what} count`);
    return Number(s);
  };
  if (field() !== MAGIC) throw new Error('not an oci-netdevices front door request');
  const cwd = field();
  const t = field();
  if (!/^[0-9]{1,16}$/.test(t)) throw new Error('bad start time');
  const args = Array.from({ length: count('argument') }, field);
  const env: Record<string, string> = {};
  for (let i = count('environment'); i > 0; i--) {
    const kv = field();
    const eq = kv.indexOf('=');
    if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return { cwd, startedAt: Number(t), args, env, stdin: frame.subarray(at).toString('utf8') };
}

export function encodeRequest(r: HookRequest): Buffer {
  const env = Object.entries(r.env).map(([k, v]) => `${k}=${v}`);
  const head = [MAGIC, r.cwd, String(r.startedAt), String(r.args.length), ...r.args, String(env.length), ...env].map((s) => `${s}\0`).join('');
  return frameOf(Buffer.concat([Buffer.from(head, 'utf8'), Buffer.from(r.stdin, 'utf8')]));
}

export function encodeAnswer(a: HookAnswer): Buffer {
  return frameOf(Buffer.from('node' in a ? `${MAGIC}\0node\0` : `${MAGIC}\0${a.code}\0${a.stderr}`, 'utf8'));
}

export function decodeAnswer(frame: Buffer): HookAnswer {
  const text = frame.toString('utf8');
  const [magic, code, ...rest] = text.split('\0');
  if (magic !== MAGIC || code === undefined) throw new Error('not an oci-netdevices daemon answer');
  if (code === 'node') return { node: true };
  return { code: Number(code), stderr: rest.join('\0') };
}

function frameOf(payload: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(payload.length);
  return Buffer.concat([len, payload]);
}

/** Collects one length-prefixed frame from a byte stream; what follows it is handed on. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private size = 0;

  /** Feeds `data`; returns the frame and the bytes after it once complete, else undefined. Throws when too large. */
  push(data: Buffer): { frame: Buffer; rest: Buffer } | undefined {
    this.chunks.push(data);
    this.size += data.length;
    if (this.size < 4) return undefined;
    const all = Buffer.concat(this.chunks);
    this.chunks = [all];
    const len = all.readUInt32BE(0);
    if (len > MAX_REQUEST) throw new Error(`request of ${len} bytes, at most ${MAX_REQUEST}`);
    if (all.length < 4 + len) return undefined;
    return { frame: all.subarray(4, 4 + len), rest: all.subarray(4 + len) };
  }
}
