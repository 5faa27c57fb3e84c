/**
 * The NRI plugin against a fake runtime speaking the same wire (mux + ttrpc + NRI messages):
 * registration, Configure's event mask, Synchronize, pods without devices untouched, host-network
 * pods refused, the CreateContainer barrier, and reconnecting after the runtime drops the connection.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { type Server, type Socket, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { silentLog } from '../../src/log.js';
import { FrameReader, PLUGIN_SERVICE_CONN, RUNTIME_SERVICE_CONN, encodeFrames } from '../../src/nri/mux.js';
import { runNriPlugin } from '../../src/nri/plugin.js';
import { NRI_PACKAGE, decode, encode } from '../../src/nri/proto.js';
import { RpcError, TtrpcClient, TtrpcServer } from '../../src/nri/ttrpc.js';
import { StateDir } from '../../src/state/state-dir.js';

interface FakeRuntime {
  server: Server;
  registered: { plugin_name: string; plugin_idx: string }[];
  /** The next plugin connection, once registered. */
  nextPlugin(): Promise<{ call(method: string, type: string, value: Record<string, unknown>): Promise<Buffer>; socket: Socket }>;
}

function fakeRuntime(path: string): Promise<FakeRuntime> {
  const registered: FakeRuntime['registered'] = [];
  const waiting: ((p: Awaited<ReturnType<FakeRuntime['nextPlugin']>>) => void)[] = [];
  const server = createServer((socket) => {
    const write = (id: number) => (b: Buffer): void => {
      for (const f of encodeFrames(id, b)) socket.write(f);
    };
    const client = new TtrpcClient(write(PLUGIN_SERVICE_CONN));
    const peer = {
      socket,
      call: (method: string, type: string, value: Record<string, unknown>) => client.call(`${NRI_PACKAGE}.Plugin`, method, encode(type, value), 5000),
    };
    const rt = new TtrpcServer(write(RUNTIME_SERVICE_CONN), new Map([[`${NRI_PACKAGE}.Runtime/RegisterPlugin`, async (p: Buffer) => {
      registered.push(decode('RegisterPluginRequest', p));
      setImmediate(() => waiting.shift()?.(peer));
      return encode('Empty', {});
    }]]), () => undefined);
    const frames = new FrameReader((id, p) => (id === PLUGIN_SERVICE_CONN ? client.receive(p) : rt.receive(p)));
    socket.on('data', (c: Buffer) => frames.push(c));
    socket.on('error', () => undefined);
  });
  return new Promise((resolve) => server.listen(path, () => resolve({ server, registered, nextPlugin: () => new Promise((r) => waiting.push(r)) })));
}

const pod = (id: string, annotations: Record<string, string>, netns?: string): Record<string, unknown> => ({
  id, name: `n-${id}`, uid: 'u', namespace: 'default', annotations,
  linux: { namespaces: netns === undefined ? [{ type: 'ipc', path: '' }] : [{ type: 'network', path: netns }] },
});

test('register, configure, synchronize, pod events, barrier, reconnect', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ond-nri-'));
  const state = join(dir, 'state');
  const rt = await fakeRuntime(join(dir, 'nri.sock'));
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  const first = rt.nextPlugin();
  const running = runNriPlugin({
    socket: join(dir, 'nri.sock'), name: 'ond-test', index: '07', stateDir: new StateDir(state),
    policy: () => ({ source: 'test' }), teardown: () => 'restore', log: silentLog, stop: stopped,
  });
  t.after(() => {
    rt.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const p = await first;
  assert.deepEqual(rt.registered, [{ plugin_name: 'ond-test', plugin_idx: '07' }]);
  const conf = decode<{ events: number }>('ConfigureResponse', await p.call('Configure', 'ConfigureRequest', { runtime_name: 'fake', runtime_version: '0' }));
  assert.equal(conf.events, 0xf, 'RUN/STOP/REMOVE_POD_SANDBOX and CREATE_CONTAINER');
  const more = decode<{ more: boolean }>('SynchronizeResponse', await p.call('Synchronize', 'SynchronizeRequest', { pods: [], more: true }));
  assert.equal(more.more, true, 'more echoed while the runtime has more to send');
  const last = decode<{ more: boolean }>('SynchronizeResponse', await p.call('Synchronize', 'SynchronizeRequest', { pods: [], more: false }));
  assert.equal(last.more, false);

  // A pod that asks for nothing: accepted, nothing kept.
  await p.call('StateChange', 'StateChangeEvent', { event: 1, pod: pod('plain', { other: 'x' }, '/proc/self/ns/net') });
  await p.call('CreateContainer', 'CreateContainerRequest', { pod: pod('plain', { other: 'x' }, '/proc/self/ns/net'), container: { id: 'c1', pod_sandbox_id: 'plain', name: 'app' } });
  assert.equal(existsSync(join(state, 'containers')) ? readdirSync(join(state, 'containers')).length : 0, 0);

  // A host-network pod asking for a device: refused at RunPodSandbox, and its containers at CreateContainer.
  const ask = { 'oci-netdevices.io/devices': '{"ondnope0":{"name":"eth1"}}' };
  await assert.rejects(p.call('StateChange', 'StateChangeEvent', { event: 1, pod: pod('hostnet', ask) }), (e: unknown) => e instanceof RpcError && /host network/.test(e.message));
  await assert.rejects(p.call('CreateContainer', 'CreateContainerRequest', { pod: pod('hostnet', ask), container: { id: 'c2', pod_sandbox_id: 'hostnet', name: 'app' } }), (e: unknown) => e instanceof RpcError && /refused: .*host network/.test(e.message));
  // A pod asking for devices the plugin never set up (it was away): refused too.
  await assert.rejects(p.call('CreateContainer', 'CreateContainerRequest', { pod: pod('unseen', ask, '/x'), container: { id: 'c3', pod_sandbox_id: 'unseen', name: 'app' } }), (e: unknown) => e instanceof RpcError && /not set up/.test(e.message));
  // Stop/remove of pods without state: no-ops.
  await p.call('StateChange', 'StateChangeEvent', { event: 2, pod: pod('hostnet', ask) });
  await p.call('StateChange', 'StateChangeEvent', { event: 3, pod: pod('hostnet', ask) });
  await p.call('StateChange', 'StateChangeEvent', { event: 3, pod: pod('plain', {}) });
  assert.equal(existsSync(join(state, 'nri-pods')) ? readdirSync(join(state, 'nri-pods')).length : 0, 0, 'no pod markers left');

  // Unknown methods are answered, not dropped.
  await assert.rejects(p.call('UpdateContainer', 'Empty', {}), (e: unknown) => e instanceof RpcError && e.code === 12);

  // The runtime drops the connection (a restart): the plugin comes back and registers again.
  const second = rt.nextPlugin();
  p.socket.destroy();
  await second;
  assert.equal(rt.registered.length, 2);
  stop();
  await running;
});
