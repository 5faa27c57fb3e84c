import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { type ContainerRecord, type Journal, StateParseError, parseContainerRecord, parseJournal, serialise } from '../../src/state/records.js';

const ifname = fc.stringMatching(/^[a-z][a-z0-9._-]{0,14}$/);
const b64 = fc.uint8Array({ minLength: 4, maxLength: 16 }).map((b) => Buffer.from(b).toString('base64'));
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const flags = fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), fc.boolean(), { maxKeys: 4 });

const u8 = fc.integer({ min: 0, max: 255 });
const address = fc.record(
  {
    family: fc.constantFrom<4 | 6>(4, 6), bytes: b64, prefixLength: fc.integer({ min: 0, max: 128 }), text: fc.string(), scope: u8, flags: u32,
    peer: b64, broadcast: b64, label: fc.string({ maxLength: 15 }), metric: u32, proto: u8, lifetime: fc.record({ preferred: u32, valid: u32 }),
  },
  { requiredKeys: ['family', 'bytes', 'prefixLength', 'text', 'scope', 'flags'] },
);
const nexthop = fc.record({ oif: fc.integer({ min: 0, max: 0x7fffffff }), flags: u8, hops: u8, gateway: b64 }, { requiredKeys: ['oif', 'flags', 'hops'] });
const route = fc.record(
  {
    family: fc.constantFrom<4 | 6>(4, 6), dst: b64, dstLength: fc.integer({ min: 0, max: 128 }), gateway: b64, prefSrc: b64, scope: u8, text: fc.string(),
    table: u32, protocol: u8, type: u8, priority: u32, flags: u32, nexthops: fc.array(nexthop, { maxLength: 3 }), metrics: b64, pref: u8, nhId: u32,
  },
  { requiredKeys: ['family', 'dst', 'dstLength', 'scope', 'text'] },
);
const original = fc.record(
  {
    name: ifname, index: fc.integer({ min: 1, max: 0x7fffffff }), up: fc.boolean(), mtu: u32, mac: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 }).map((b) => b.map((x) => x.toString(16).padStart(2, '0')).join(':')),
    gsoMaxSize: u32, groMaxSize: u32, gsoIPv4MaxSize: u32, groIPv4MaxSize: u32,
    addresses: fc.array(address, { maxLength: 3 }), routes: fc.array(route, { maxLength: 3 }), features: flags, privateFlags: flags,
    promisc: fc.boolean(), allmulti: fc.boolean(), noarp: fc.boolean(), txqlen: u32, ifalias: fc.string({ maxLength: 64 }), group: u32,
    altnames: fc.array(fc.stringMatching(/^[a-z][a-z0-9._-]{0,30}$/), { maxLength: 3 }), takenAt: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
    ipv4Conf: fc.dictionary(fc.stringMatching(/^[1-9][0-9]?$/), u32, { maxKeys: 4 }), ipv6Conf: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_]{0,20}$/), fc.string({ maxLength: 20 }), { maxKeys: 4 }),
    featuresAll: flags, privateFlagsAll: flags,
  },
  { requiredKeys: ['name', 'index', 'up', 'mtu', 'addresses', 'routes', 'features', 'privateFlags'] },
);
const device = fc.record(
  { hostName: ifname, containerName: fc.string({ minLength: 1, maxLength: 15 }), original, containerIndex: u32, movedByRuntime: fc.boolean(), hardwareAddr: fc.string() },
  { requiredKeys: ['hostName', 'containerName', 'original'] },
);
const containerId = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_+-]{0,40}$/);
const record: fc.Arbitrary<ContainerRecord> = fc.record(
  { version: fc.constant<1>(1), id: containerId, teardown: fc.constantFrom<'restore' | 'kernel'>('restore', 'kernel'), netnsPin: fc.stringMatching(/^\/[a-z/]{0,30}$/), devices: fc.array(device, { maxLength: 4 }) },
  { requiredKeys: ['version', 'id', 'teardown', 'devices'] },
);
const journal: fc.Arbitrary<Journal> = fc.tuple(record, fc.integer({ min: 1, max: 0x7fffffff }), fc.stringMatching(/^[0-9]{1,12}$/)).map(([r, hookPid, hookStart]) => ({ ...r, hookPid, hookStart }));

test('property: every valid record survives serialise -> parse unchanged', () => {
  fc.assert(fc.property(record, (r) => assert.deepEqual(parseContainerRecord(serialise(r)), r)));
  fc.assert(fc.property(journal, (j) => assert.deepEqual(parseJournal(serialise(j)), j)));
});

test('property: any text either parses to a valid record or fails with StateParseError (never another error)', () => {
  const anyText = fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify(v)));
  fc.assert(fc.property(anyText, (t) => {
    try {
      parseJournal(t);
      parseContainerRecord(t);
    } catch (e) {
      assert.ok(e instanceof StateParseError, String(e));
    }
  }), { numRuns: 2000 });
});

test('property: breaking any field of a valid journal is caught', () => {
  const breakers: Array<(o: Record<string, unknown>) => void> = [
    (o) => delete o.hookPid,
    (o) => (o.version = 2),
    (o) => (o.id = '../escape'),
    (o) => (o.teardown = 'maybe'),
    (o) => (o.netnsPin = 'relative/pin'),
    (o) => (o.devices = {}),
    (o) => (o.devices = [{ hostName: 'a/b', containerName: 'x', original: {} }]),
  ];
  fc.assert(fc.property(journal, fc.integer({ min: 0, max: breakers.length - 1 }), (j, k) => {
    const o = JSON.parse(serialise(j)) as Record<string, unknown>;
    breakers[k]!(o);
    assert.throws(() => parseJournal(JSON.stringify(o)), StateParseError);
  }));
});

test('property: a mutated device original is caught (wrong types, bad values, missing keys)', () => {
  const invalid: Record<string, unknown[]> = {
    name: [null, -1, [], {}, true, 'a/b', '', 'x'.repeat(16), undefined],
    index: [null, 'x', 0, -1, 1.5, [], true, undefined],
    up: [null, 'x', 1, [], {}, undefined],
    mtu: [null, 'x', -1, 1.5, [], {}, undefined],
    addresses: [null, 'x', 1, {}, [1], [{}], undefined],
    routes: [null, 'x', 1, {}, [null], [{ family: 5 }], undefined],
    features: [null, 'x', 1, [], { a: 1 }, undefined],
    privateFlags: [null, 'x', 1, [], { a: 'yes' }, undefined],
  };
  const mutation = fc.constantFrom(...Object.keys(invalid)).chain((key) => fc.tuple(fc.constant(key), fc.constantFrom(...invalid[key]!)));
  fc.assert(fc.property(journal.filter((j) => j.devices.length > 0), mutation, (j, [key, value]) => {
    const o = JSON.parse(serialise(j)) as { devices: Array<{ original: Record<string, unknown> }> };
    const orig = o.devices[0]!.original;
    if (value === undefined) delete orig[key];
    else orig[key] = value;
    assert.throws(() => parseJournal(JSON.stringify(o)), StateParseError, `${key} = ${JSON.stringify(value)}`);
  }), { numRuns: 500 });
});
