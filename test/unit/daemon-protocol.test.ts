/** The front door's wire format (src/daemon/protocol.ts; native/front/hook.c is the other side). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FrameReader, MAX_REQUEST, decodeAnswer, decodeRequest, encodeAnswer, encodeRequest } from '../../src/daemon/protocol.js';

test('a request survives encoding, whatever its bytes, and arrives however it is split', () => {
  const req = { cwd: '/run/x y', startedAt: 1796229305560, args: ['--state-dir', '/s', 'hook', 'createRuntime', ''], env: { OCI_NETDEVICES_LOG: 'off', PATH: '/bin:/usr/bin', OCI_NETDEVICES_X: 'a=b' }, stdin: '{"id":"é\\u0000"}\n' };
  const wire = encodeRequest(req);
  for (const split of [1, 3, 4, 5, 17, wire.length]) {
    const reader = new FrameReader();
    let got: ReturnType<FrameReader['push']>;
    for (let i = 0; i < wire.length; i += split) got = reader.push(wire.subarray(i, i + split)) ?? got!;
    assert.ok(got!, `split ${split}`);
    assert.deepEqual(decodeRequest(got!.frame), req);
    assert.equal(got!.rest.length, 0);
  }
  // Signal bytes after the frame are handed on, not swallowed.
  const withSignal = new FrameReader().push(Buffer.concat([wire, Buffer.from('T')]));
  assert.equal(withSignal?.rest.toString(), 'T');
});

test('answers: exit code and stderr text, or "run the Node hook"', () => {
  for (const a of [{ code: 0, stderr: '' }, { code: 3, stderr: 'oci-netdevices: x\n' }, { node: true as const }]) assert.deepEqual(decodeAnswer(encodeAnswer(a).subarray(4)), a);
});

test('malformed or oversized requests are refused', () => {
  assert.throws(() => decodeRequest(Buffer.from('nope\0')), /not an oci-netdevices front door request/);
  assert.throws(() => decodeRequest(Buffer.from('ond1\0/\0soon\0')), /bad start time/);
  assert.throws(() => decodeRequest(Buffer.from('ond1\0/\x001\0x\0')), /bad argument count/);
  const big = Buffer.alloc(4);
  big.writeUInt32BE(MAX_REQUEST + 1);
  assert.throws(() => new FrameReader().push(big), /at most/);
});
