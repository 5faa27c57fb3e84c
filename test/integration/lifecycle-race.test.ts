import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { Sandbox, baseConfig, ipJson, runcState, uniqueName } from './hook-kit.js';
import { snapshot, startHook, stateLeft } from './lifecycle-kit.js';

let box = new Sandbox();
afterEach(() => {
  box.cleanup();
  box = new Sandbox();
});

test('two hooks racing for one device, 30 times: exactly one wins, the loser names the device and the winner', async () => {
  for (let round = 0; round < 30; round++) {
    const [dev] = box.veth();
    const a = box.container();
    const b = box.container();
    // Both also ask for a device of their own: the loser must not keep that one either.
    const [ownA] = box.veth();
    const [ownB] = box.veth();
    const before = snapshot([ownA, ownB]);
    const ids = [uniqueName('ra'), uniqueName('rb')] as const;
    const hooks = [
      startHook(box.stateDir, 'createRuntime', runcState(ids[0], a.pid, box.bundle(baseConfig({ netDevices: { [dev]: { name: 'eth1' }, [ownA]: { name: 'eth2' } } })))),
      startHook(box.stateDir, 'createRuntime', runcState(ids[1], b.pid, box.bundle(baseConfig({ netDevices: { [dev]: { name: 'eth1' }, [ownB]: { name: 'eth2' } } })))),
    ];
    const results = await Promise.all(hooks.map((h) => h.done));
    const winners = results.flatMap((r, i) => (r.code === 0 ? [i] : []));
    assert.equal(winners.length, 1, `round ${round}: ${JSON.stringify(results)}`);
    const w = winners[0]!;
    const l = 1 - w;
    assert.equal(results[l]!.code, 5, results[l]!.stderr);
    assert.match(results[l]!.stderr, new RegExp(`^oci-netdevices: device "${dev}" is claimed by container ${ids[w]}\\b`), `round ${round}`);
    const inA = ipJson(a.netns, 'link', 'show').map((x) => x.ifname);
    const inB = ipJson(b.netns, 'link', 'show').map((x) => x.ifname);
    assert.deepEqual((w === 0 ? inA : inB).sort(), ['eth1', 'eth2', 'lo'], `round ${round}: the winner got both`);
    assert.deepEqual(w === 0 ? inB : inA, ['lo'], `round ${round}: the loser got nothing`);
    assert.deepEqual(snapshot([w === 0 ? ownB : ownA]), [(before as unknown[])[l]], `round ${round}: the loser's own device is untouched`);
    const kept = stateLeft(box.stateDir);
    assert.ok(kept.includes(`containers/${ids[w]}`) && !kept.includes(`containers/${ids[l]}`), `round ${round}: only the winner has state: ${kept.join(' ')}`);
  }
});
