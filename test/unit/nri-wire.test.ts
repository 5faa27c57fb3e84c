/** NRI wire format: mux frames, ttrpc framing and envelopes, NRI messages, byte for byte; readers under any chunking. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameReader, MuxProtocolError, encodeFrames } from '../../src/nri/mux.js';
import { NriEvent, decode, encode, eventMask } from '../../src/nri/proto.js';
import { MessageReader, TtrpcProtocolError, encodeMessage, type TtrpcMessage } from '../../src/nri/ttrpc-frame.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('mux frame: connID BE, length BE, payload; long writes split at the bound', () => {
  assert.equal(hex(Buffer.concat(encodeFrames(2, Buffer.from([0xaa, 0xbb, 0xcc])))), '00000002' + '00000003' + 'aabbcc');
  const parts = encodeFrames(1, Buffer.from([1, 2, 3, 4, 5]), 2);
  assert.deepEqual(parts.map(hex), ['00000001000000020102', '00000001000000020304', '000000010000000105']);
  assert.deepEqual(encodeFrames(1, Buffer.alloc(0)).map(hex), ['0000000100000000'], 'an empty write is one empty frame');
});

test('mux reader: frames out of any chunking, in order, per connection', () => {
  const got: string[] = [];
  const r = new FrameReader((id, p) => got.push(`${id}:${hex(p)}`));
  const wire = Buffer.concat([...encodeFrames(1, Buffer.from('ab')), ...encodeFrames(2, Buffer.from('c')), ...encodeFrames(1, Buffer.alloc(0))]);
  for (const byte of wire) r.push(Buffer.from([byte]));
  assert.deepEqual(got, ['1:6162', '2:63', '1:']);
  const whole: string[] = [];
  new FrameReader((id, p) => whole.push(`${id}:${hex(p)}`)).push(wire);
  assert.deepEqual(whole, got);
});

test('mux reader refuses a frame over the bound before reading it', () => {
  const r = new FrameReader(() => assert.fail('no frame expected'), 4);
  assert.throws(() => r.push(Buffer.from('0000000100000005', 'hex')), MuxProtocolError);
});

test('ttrpc header: length, stream id, type, flags (10 bytes), then the payload', () => {
  assert.equal(hex(encodeMessage({ streamId: 1, type: 1, flags: 0, payload: Buffer.from([0xaa, 0xbb]) })), '00000002' + '00000001' + '01' + '00' + 'aabb');
  assert.equal(hex(encodeMessage({ streamId: 0xfffffffd, type: 2, flags: 4, payload: Buffer.alloc(0) })), '00000000fffffffd0204');
});

test('ttrpc reader: messages out of any chunking; oversized refused', () => {
  const msgs: TtrpcMessage[] = [];
  const r = new MessageReader((m) => msgs.push(m));
  const wire = Buffer.concat([encodeMessage({ streamId: 3, type: 1, flags: 0, payload: Buffer.from('xy') }), encodeMessage({ streamId: 5, type: 2, flags: 1, payload: Buffer.from('z') })]);
  r.push(wire.subarray(0, 7));
  assert.equal(msgs.length, 0);
  r.push(wire.subarray(7, 13));
  r.push(wire.subarray(13));
  assert.deepEqual(msgs.map((m) => [m.streamId, m.type, m.flags, m.payload.toString()]), [[3, 1, 0, 'xy'], [5, 2, 1, 'z']]);
  assert.throws(() => new MessageReader(() => undefined).push(Buffer.from('00400001000000010100', 'hex')), TtrpcProtocolError);
});

test('ttrpc Request and Response envelopes (protobuf field numbers of containerd/ttrpc)', () => {
  // service=1 "s", method=2 "m", payload=3 [01], timeout_nano=4 5
  assert.equal(hex(encode('ttrpc.Request', { service: 's', method: 'm', payload: Buffer.from([1]), timeout_nano: 5 })), '0a0173' + '12016d' + '1a0101' + '2005');
  // status=1 {code=1 2, message=2 "x"}
  assert.equal(hex(encode('ttrpc.Response', { status: { code: 2, message: 'x' } })), '0a05' + '0802' + '120178');
  const ok = decode<{ status: unknown; payload: Uint8Array }>('ttrpc.Response', Buffer.from('12020a00', 'hex'));
  assert.equal(ok.status, null, 'success: no status');
  assert.equal(hex(ok.payload), '0a00');
});

test('NRI messages: RegisterPlugin, ConfigureResponse, a StateChange with a pod (snake_case kept)', () => {
  assert.equal(hex(encode('RegisterPluginRequest', { plugin_name: 'p', plugin_idx: '10' })), '0a0170' + '12023130');
  assert.equal(hex(encode('ConfigureResponse', { events: 15 })), '100f', 'events is field 2');
  assert.equal(eventMask([NriEvent.RUN_POD_SANDBOX, NriEvent.STOP_POD_SANDBOX, NriEvent.REMOVE_POD_SANDBOX, NriEvent.CREATE_CONTAINER]), 0xf);
  // event=1 RUN_POD_SANDBOX; pod=2 {id=1 "a", annotations=6 {k: v}, linux=8 {namespaces=5 {type=1 "network", path=2 "/n"}}}
  const pod = '0a0161' + '3206' + '0a016b' + '120176' + '420f' + '2a0d' + '0a076e6574776f726b' + '12022f6e';
  const wire = Buffer.from('0801' + '12' + (pod.length / 2).toString(16).padStart(2, '0') + pod, 'hex');
  const evt = decode<{ event: number; pod: { id: string; annotations: Record<string, string>; runtime_handler: string; linux: { namespaces: { type: string; path: string }[] } } }>('StateChangeEvent', wire);
  assert.equal(evt.event, NriEvent.RUN_POD_SANDBOX);
  assert.equal(evt.pod.id, 'a');
  assert.deepEqual(evt.pod.annotations, { k: 'v' });
  assert.equal(evt.pod.runtime_handler, '', 'defaults filled in');
  assert.deepEqual(evt.pod.linux.namespaces, [{ type: 'network', path: '/n' }]);
  const back = { event: 1, pod: { id: 'a', annotations: { k: 'v' }, linux: { namespaces: [{ type: 'network', path: '/n' }] } } };
  assert.equal(hex(encode('StateChangeEvent', back)), hex(wire), 'and back, byte for byte');
});
