/**
 * The NRI connection multiplexer (containerd/nri pkg/net/multiplex): one unix
 * stream carries several logical connections, each frame being
 * `connID uint32 BE | length uint32 BE | payload`. Writes longer than the
 * largest payload are split; the reader reassembles nothing across frames
 * (each logical connection is a byte stream of its own).
 */

/** Logical connection ids: the runtime calls the plugin on 1, the plugin calls the runtime on 2 (0 is reserved). */
export const PLUGIN_SERVICE_CONN = 1;
export const RUNTIME_SERVICE_CONN = 2;

export const MUX_HEADER_BYTES = 8;
/** A ttrpc header plus ttrpc's largest message: the runtime's own bound for one frame. */
export const MUX_MAX_PAYLOAD = 10 + 4 * 1024 * 1024;

/** The frames for `data` on `connId`, split at `maxPayload`. */
export function encodeFrames(connId: number, data: Uint8Array, maxPayload = MUX_MAX_PAYLOAD): Buffer[] {
  const out: Buffer[] = [];
  let off = 0;
  do {
    const size = Math.min(data.length - off, maxPayload);
    const frame = Buffer.alloc(MUX_HEADER_BYTES + size);
    frame.writeUInt32BE(connId >>> 0, 0);
    frame.writeUInt32BE(size, 4);
    frame.set(data.subarray(off, off + size), MUX_HEADER_BYTES);
    out.push(frame);
    off += size;
  } while (off < data.length);
  return out;
}

export class MuxProtocolError extends Error {}

/** Cuts the trunk's byte stream into frames, whatever the chunking of the socket reads. */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly onFrame: (connId: number, payload: Buffer) => void, private readonly maxPayload = MUX_MAX_PAYLOAD) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= MUX_HEADER_BYTES) {
      const connId = this.pending.readUInt32BE(0);
      const size = this.pending.readUInt32BE(4);
      if (size > this.maxPayload) throw new MuxProtocolError(`mux frame of ${size} bytes on connection ${connId}, at most ${this.maxPayload} allowed`);
      if (this.pending.length < MUX_HEADER_BYTES + size) return;
      const payload = Buffer.from(this.pending.subarray(MUX_HEADER_BYTES, MUX_HEADER_BYTES + size));
      this.pending = this.pending.subarray(MUX_HEADER_BYTES + size);
      this.onFrame(connId, payload);
    }
  }
}
