/**
 * The pure pieces behind "identity, not names" (issue 11): interface names as
 * the kernel's dev_valid_name() judges them, `%d` templates resolved before
 * anything moves, the host name a device comes home under, and device
 * identities (matching and parsing). No root, no kernel.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { extractDevices } from '../../src/config/extract.js';
import { isTemplate, validIfName, validTemplate } from '../../src/config/ifname.js';
import { type NamespaceView, findMoved, locateDevices } from '../../src/apply/inspect.js';
import type { HostOriginal } from '../../src/state/device-record.js';
import { chooseHostName } from '../../src/hook/teardown.js';
import { takenAmong } from '../../src/apply/host-names.js';
import { RTNL } from '../../src/netlink/constants.js';
import type { Link } from '../../src/netlink/link.js';
import { type DeviceIdentity, findByIdentity, identifies, identityOf, parseIdentity } from '../../src/state/identity.js';
import { StateParseError } from '../../src/state/records.js';

/**
 * The bytes whose isspace() is true in the kernel's lib/ctype.c table (_S): 0x09-0x0d (_C|_S),
 * 0x20 and 0xa0 (_S|_SP); 0x80-0x9f are 0 there. Written out by hand from the table, not derived.
 */
const KERNEL_ISSPACE = [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20, 0xa0];

test('dev_valid_name byte for byte: in ASCII exactly the kernel\'s isspace set, "/" and ":" are refused', () => {
  for (let b = 1; b < 0x80; b++) {
    const name = `a${String.fromCharCode(b)}b`;
    const refused = KERNEL_ISSPACE.includes(b) || b === 0x2f || b === 0x3a;
    assert.equal(validIfName(name) !== undefined, refused, `byte 0x${b.toString(16)}: ${validIfName(name) ?? 'accepted'}`);
  }
  // Not whitespace to the kernel, though JavaScript's \s or Python's isspace() say so.
  for (const ok of ['a\u001cb', 'a\u001fb', 'a\u0085b', 'a\u2028b', 'a\ufeffb', 'a\u3000b', 'a\u1680b']) assert.equal(validIfName(ok), undefined, JSON.stringify(ok));
});

test('dev_valid_name walks UTF-8 bytes: any character whose encoding holds 0xa0 is refused', () => {
  // U+00A0 = c2 a0, U+0120 = c4 a0, U+2020 = e2 80 a0, U+0820 = e0 a0 a0.
  for (const ch of ['\u00a0', '\u0120', '\u2020', '\u0820']) {
    assert.ok(Buffer.from(ch, 'utf8').includes(0xa0));
    assert.match(validIfName(`e${ch}x`)!, /0xa0/, JSON.stringify(ch));
  }
  // The other Latin-1 bytes (0x80-0x9f are 0 in the kernel's table; 0xa1-0xff are not space).
  for (const ch of ['\u0080', '\u009f', '\u00a1', '\u00ff', '\u00e9']) assert.equal(validIfName(`e${ch}x`), undefined, JSON.stringify(ch));
});

test('dev_valid_name: 1..15 bytes (IFNAMSIZ - 1, counted in UTF-8), not "." or ".."; NUL refused', () => {
  assert.equal(validIfName('a'.repeat(15)), undefined);
  assert.match(validIfName('a'.repeat(16))!, /16 bytes/);
  assert.equal(validIfName('é'.repeat(7) + 'a'), undefined, '15 bytes');
  assert.match(validIfName('é'.repeat(8))!, /16 bytes/);
  assert.match(validIfName('')!, /empty/);
  assert.notEqual(validIfName('.'), undefined);
  assert.notEqual(validIfName('..'), undefined);
  assert.equal(validIfName('...'), undefined);
  assert.equal(validIfName('.a'), undefined);
  assert.notEqual(validIfName('a\u0000b'), undefined);
});

test('templates: exactly one "%", followed by d (dev_alloc_name)', () => {
  for (const t of ['eth%d', '%d', 'net%dx']) {
    assert.ok(isTemplate(t), t);
    assert.equal(validTemplate(t), undefined, t);
  }
  for (const t of ['eth%d%d', 'eth%s', 'eth%', '%%d']) assert.notEqual(validTemplate(t), undefined, t);
  assert.equal(isTemplate('eth0'), false);
  assert.equal(validTemplate('eth0'), undefined, 'no "%": not a template question');
});

// --- %d templates resolved before anything moves ---------------------------------------------------

let nextIndex = 100;
function link(name: string, extra: Partial<Link> = {}): Link {
  return { index: nextIndex++, name, flags: 0, up: false, mtu: 1500, ...extra };
}
const view = (links: Link[]): NamespaceView => ({ links, addrs: [], routes: [], nexthops: [] });
const lo = (): Link => link('lo', { index: 1, flags: RTNL.IFF_LOOPBACK });

/** Container names the devices get, host devices named h0.. with the wanted names in that order. */
function resolve(wanted: string[], inContainer: string[] = []): { names: string[]; issues: string[] } {
  const specs = extractDevices({ linux: { namespaces: [{ type: 'network' }], netDevices: wanted.map((n, i) => ({ name: `h${i}`, properties: { name: n } })) } });
  const host = view(wanted.map((_, i) => link(`h${i}`)));
  const ctr = view([lo(), ...inContainer.map((n) => link(n))]);
  const { targets, issues } = locateDevices(specs, host, ctr);
  return { names: targets.map((t) => t.containerName), issues: issues.map((i) => i.message) };
}

test('a template next to a fixed name gets the next free number, in either order', () => {
  assert.deepEqual(resolve(['eth%d', 'eth0']), { names: ['eth1', 'eth0'], issues: [] });
  assert.deepEqual(resolve(['eth0', 'eth%d']), { names: ['eth0', 'eth1'], issues: [] });
  assert.deepEqual(resolve(['eth%d', 'eth%d', 'eth1']), { names: ['eth0', 'eth2', 'eth1'], issues: [] });
});

test('templates skip names already in the container netns; different stems do not interfere', () => {
  assert.deepEqual(resolve(['eth%d', 'net%d'], ['eth0', 'eth1', 'net1']), { names: ['eth2', 'net0'], issues: [] });
  assert.deepEqual(resolve(['e%dx', 'e%dx'], ['e0x']), { names: ['e1x', 'e2x'], issues: [] });
});

test('a template with no free name within 15 bytes, or a fixed name taken in the container, is an issue before any move', () => {
  // 'abcdefghijklm%d' is 15 bytes; its names are m0..m99 (14-15 bytes): m100 would be 16.
  const taken = Array.from({ length: 100 }, (_, i) => `abcdefghijklm${i}`);
  assert.deepEqual(resolve(['abcdefghijklm%d'], taken.slice(0, 99)), { names: ['abcdefghijklm99'], issues: [] });
  const full = resolve(['abcdefghijklm%d'], taken);
  assert.equal(full.issues.length, 1);
  assert.match(full.issues[0]!, /no free name for template "abcdefghijklm%d"/);
  const fixed = resolve(['eth0'], ['eth0']);
  assert.match(fixed.issues[0]!, /name "eth0" is already used in the container's network namespace/);
});

// --- the host name a device comes home under --------------------------------------------------------

const original = (name: string, index: number): HostOriginal => ({ name, index, up: false, mtu: 1500, addresses: [], routes: [], features: {}, privateFlags: {} });

test('chooseHostName: the original when free, else ond<ifindex>, then ond<ifindex>a..z, all checked free', () => {
  const o = original('veth7', 42);
  assert.equal(chooseHostName(takenAmong([link('eth0')]), o), 'veth7');
  assert.equal(chooseHostName(takenAmong([link('veth7')]), o), 'ond42');
  assert.equal(chooseHostName(takenAmong([link('veth7'), link('ond42')]), o), 'ond42a');
  assert.equal(chooseHostName(takenAmong([link('veth7'), link('ond42'), link('ond42a'), link('ond42b')]), o), 'ond42c');
  const all = [link('veth7'), link('ond42'), ...'abcdefghijklmnopqrstuvwxyz'.split('').map((c) => link(`ond42${c}`))];
  assert.throws(() => chooseHostName(takenAmong(all), o), /no free host name for veth7/);
});

test('chooseHostName: the device itself holding a name does not make it taken', () => {
  const self = link('veth7');
  assert.equal(chooseHostName(takenAmong([self], self.index), original('veth7', 42)), 'veth7');
  const aside = link('ond42');
  assert.equal(chooseHostName(takenAmong([link('veth7'), aside], aside.index), original('veth7', 42)), 'ond42');
});

// --- identities -------------------------------------------------------------------------------------

const HOST_NS = 4026531840;
const CTR_NS = 4026532999;
const veth = (extra: Partial<Link> = {}): Link => link('va', { kind: 'veth', mac: '02:00:00:00:00:01', link: 7, ...extra });

test('identityOf records what survives a move; identifies needs every recorded part to agree', () => {
  const l = veth({ index: 30, permMac: '02:aa:00:00:00:01' });
  const id = identityOf(l, HOST_NS, CTR_NS);
  assert.deepEqual(id, { hostIndex: 30, hostNetns: HOST_NS, kind: 'veth', permMac: '02:aa:00:00:00:01', mac: '02:00:00:00:00:01', peerIndex: 7, containerNetns: CTR_NS });
  assert.ok(identifies(l, id, 'host'));
  assert.equal(identifies({ ...l, index: 31 }, id, 'host'), false, 'host stage: the ifindex must agree');
  assert.equal(identifies({ ...l, kind: 'ifb' }, id, 'host'), false, 'kind');
  assert.equal(identifies({ ...l, permMac: '02:aa:00:00:00:02' }, id, 'host'), false, 'permanent MAC');
  assert.equal(identifies({ ...l, link: 8 }, id, 'host'), false, 'veth peer');
  assert.equal(identifies({ ...l, mac: '02:00:00:00:00:09' }, id, 'host'), false, 'MAC');
  // In the container: a new ifindex is fine until the container ifindex is recorded; then it must agree.
  assert.ok(identifies({ ...l, index: 2 }, id, 'container'));
  assert.equal(identifies({ ...l, index: 2 }, { ...id, containerIndex: 3 }, 'container'), false);
  assert.ok(identifies({ ...l, index: 3 }, { ...id, containerIndex: 3 }, 'container'));
  // The MAC we set in the container is accepted as well as the host one.
  assert.ok(identifies({ ...l, mac: '02:00:00:00:00:0c' }, { ...id, containerMac: '02:00:00:00:00:0c' }, 'host'));
});

test('a device that records nothing that survives a move cannot be identified in the container by chance', () => {
  const bare = link('x', { index: 50 });
  const id = identityOf(bare, HOST_NS);
  assert.equal(identifies({ ...bare, index: 2 }, id, 'container'), false);
  assert.ok(identifies({ ...bare, index: 2 }, { ...id, containerIndex: 2 }, 'container'), 'once its container ifindex is known it is');
});

test('findByIdentity: one match, or the kept host ifindex among several, else nobody; findMoved skips claimed and loopback', () => {
  const id: DeviceIdentity = { hostIndex: 30, hostNetns: HOST_NS, kind: 'veth', mac: '02:00:00:00:00:01' };
  const a = veth({ index: 30 });
  const b = veth({ index: 31 });
  assert.equal(findByIdentity([a], id, 'container'), a);
  assert.equal(findByIdentity([a, b], id, 'container'), a, 'the kept host ifindex decides');
  assert.equal(findByIdentity([veth({ index: 32 }), b], id, 'container'), undefined, 'two candidates, neither kept its ifindex: nobody');
  assert.equal(findByIdentity([b], { ...id, hostIndex: 31 }, 'host'), b);
  assert.equal(findMoved(id, new Set([30]), [a, b]), b, 'a claimed link is not ours');
  assert.equal(findMoved({ hostIndex: 1, hostNetns: HOST_NS }, new Set(), [lo()]), undefined);
});

test('parseIdentity: a valid identity round-trips; every bad field is a StateParseError naming its path', () => {
  const id: DeviceIdentity = { hostIndex: 30, hostNetns: HOST_NS, kind: 'veth', permMac: '02:aa:00:00:00:01', mac: '02:00:00:00:00:01', peerIndex: 7, containerNetns: CTR_NS, containerIndex: 3, containerMac: '02:00:00:00:00:0c' };
  assert.deepEqual(parseIdentity(JSON.parse(JSON.stringify(id)), 'd.identity'), id);
  assert.deepEqual(parseIdentity({ hostIndex: 1, hostNetns: 2 }, 'd.identity'), { hostIndex: 1, hostNetns: 2 });
  const bad: Array<[unknown, RegExp]> = [
    [null, /d\.identity: must be an object/],
    [[], /d\.identity: must be an object/],
    [{ hostNetns: 2 }, /d\.identity\.hostIndex: must be a positive integer/],
    [{ hostIndex: 0, hostNetns: 2 }, /hostIndex/],
    [{ hostIndex: 1.5, hostNetns: 2 }, /hostIndex/],
    [{ hostIndex: 1, hostNetns: 2 ** 32 }, /hostNetns/],
    [{ hostIndex: 1, hostNetns: 2, kind: 'Veth X' }, /kind: must be a link kind/],
    [{ hostIndex: 1, hostNetns: 2, mac: '02:AA:00:00:00:01' }, /mac: must be a lower-case colon MAC/],
    [{ hostIndex: 1, hostNetns: 2, permMac: 'zz' }, /permMac/],
    [{ hostIndex: 1, hostNetns: 2, peerIndex: '7' }, /peerIndex/],
    [{ hostIndex: 1, hostNetns: 2, containerIndex: -1 }, /containerIndex/],
  ];
  for (const [v, why] of bad) assert.throws(() => parseIdentity(v, 'd.identity'), (e: unknown) => e instanceof StateParseError && why.test(e.message), JSON.stringify(v));
});
