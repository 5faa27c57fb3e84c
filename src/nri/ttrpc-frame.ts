/**
 * ttrpc's message framing (containerd/ttrpc channel.go), inside one logical
 * connection: `length uint32 BE | streamID uint32 BE | type uint8 | flags uint8`,
 * then `length` bytes of protobuf. Clients use odd stream ids; a response
 * comes back on the request's stream id.
 */
export const TTRPC_HEADER_BYTES = 10;
export const TTRPC_MAX_MESSAGE = 4 * 1024 * 1024;

export const MessageType = { request: 1, response: 2, data: 3 } as const;

export interface TtrpcMessage {
  streamId: number;
  type: number;
  flags: number;
  payload: Buffer;
}

export class TtrpcProtocolError extends Error {}

export function encodeMessage(m: TtrpcMessage): Buffer {
  if (m.payload.length > TTRPC_MAX_MESSAGE) throw new TtrpcProtocolError(`ttrpc message of ${m.payload.length} bytes, at most ${TTRPC_MAX_MESSAGE} allowed`);
  const out = Buffer.alloc(TTRPC_HEADER_BYTES + m.payload.length);
  out.writeUInt32BE(m.payload.length, 0);
  out.writeUInt32BE(m.streamId >>> 0, 4);
  out.writeUInt8(m.type, 8);
  out.writeUInt8(m.flags, 9);
  out.set(m.payload, TTRPC_HEADER_BYTES);
  return out;
}

/** Reassembles messages from one logical connection's byte stream. */
export class MessageReader {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly onMessage: (m: TtrpcMessage) => void) {}

  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= TTRPC_HEADER_BYTES) {
      const size = this.pending.readUInt32BE(0);
      if (size > TTRPC_MAX_MESSAGE) throw new TtrpcProtocolError(`ttrpc message of ${size} bytes, at most ${TTRPC_MAX_MESSAGE} allowed`);
      if (this.pending.length < TTRPC_HEADER_BYTES + size) return;
      const m: TtrpcMessage = {
        streamId: this.pending.readUInt32BE(4),
        type: this.pending.readUInt8(8),
        flags: this.pending.readUInt8(9),
        payload: Buffer.from(this.pending.subarray(TTRPC_HEADER_BYTES, TTRPC_HEADER_BYTES + size)),
      };
      this.pending = this.pending.subarray(TTRPC_HEADER_BYTES + size);
      this.onMessage(m);
    }
  }
}
