/** Property tests for the input layer: never a crash on any input, IP text round trips, names as the kernel sees them. */
import assert from 'node:assert/strict';
import { isIP } from 'node:net';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { UNREADABLE, collectIssues, extractDevices, requestsDevices } from '../../src/config/extract.js';
import { isTemplate, validIfName } from '../../src/config/ifname.js';
import { formatIp, parseCidr, parseIp } from '../../src/config/ip.js';
import { parseMac } from '../../src/config/mac.js';
import { maskToPrefix } from '../../src/config/mask.js';
import { ValidationError } from '../../src/errors.js';

const ROOT = resolve(fileURLToPath(import.meta.url), '../../../..');
const NS = [{ type: 'network' }];
const RUNS = { numRuns: 300 };

/** collectIssues answers, extractDevices throws nothing but ValidationError, and no rule tripped over the input. */
function assertTotal(config: unknown, annotations?: Record<string, string>): void {
  const opts = annotations === undefined ? {} : { annotations };
  const r = collectIssues(config, opts);
  for (const i of r.issues) {
    assert.equal(typeof i.path, 'string');
    assert.ok(!i.message.startsWith(UNREADABLE), i.message);
  }
  try {
    const devices = extractDevices(config, opts);
    assert.equal(r.issues.length, 0);
    assert.deepEqual(devices, r.devices);
  } catch (e) {
    assert.ok(e instanceof ValidationError, String(e));
    assert.equal(e.issues.length, r.issues.length);
  }
  requestsDevices(config);
}

const json = fc.jsonValue({ maxDepth: 4 });
/** Values a confused user might put anywhere. */
const junk = fc.oneof(json, fc.constantFrom('', ' ', '%d', 'eth%d%d', '..', 'a:b', 'é'.repeat(8), '10.0.0.1', '10.0.0.1/24', '::', 'fe80::1', 'ff02::1', '0.0.0.0/0', '__proto__', 'constructor', 68, 65536, 0, -1, 253, 1.5, true, null, [], {}));

test('any JSON value as the whole config', () => {
  fc.assert(fc.property(json, (c) => assertTotal(c)), RUNS);
});

test('any JSON value as linux.netDevices or its alias', () => {
  fc.assert(
    fc.property(fc.constantFrom('netDevices', 'netdevices'), json, (key, v) => assertTotal({ linux: { namespaces: NS, [key]: v } })),
    RUNS,
  );
});

const fieldName = fc.constantFrom('name', 'properties', 'networkConfig', 'address', 'mask', 'mtu', 'interface', 'addresses', 'hardwareAddr', 'gsoMaxSize', 'groIPv4MaxSize', 'routes', 'destination', 'gateway', 'source', 'scope', 'ethtool', 'features', 'privateFlags', '__proto__', 'x');
/** Objects shaped like ours, with junk in the leaves. */
const shaped: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small', withCrossShrink: true }, junk, tie('obj'), tie('arr')),
  obj: fc.dictionary(fieldName, tie('node'), { maxKeys: 5 }),
  arr: fc.array(tie('node'), { maxLength: 4 }),
})).node;

test('entries shaped like ours with junk in every field, both shapes', () => {
  const hostName = fc.oneof(fc.constantFrom('v1', 'v2', 'eth%d', 'a/b', ''), fc.string({ maxLength: 20 }));
  fc.assert(
    fc.property(fc.array(fc.tuple(hostName, shaped), { maxLength: 4 }), fc.boolean(), (entries, asMap) => {
      const nd = asMap ? Object.fromEntries(entries) : entries.map(([name, body]) => (typeof body === 'object' && body !== null && !Array.isArray(body) ? { ...body, name } : { name, properties: body }));
      assertTotal({ linux: { namespaces: NS, netDevices: nd } });
    }),
    RUNS,
  );
});

test('networkConfig with junk in every field', () => {
  fc.assert(
    fc.property(shaped, shaped, shaped, (iface, routes, ethtool) => {
      assertTotal({ linux: { namespaces: NS, netDevices: { v1: { networkConfig: { interface: iface, routes, ethtool } } } } });
      assertTotal({ linux: { namespaces: NS, netDevices: [{ name: 'v1', networkConfig: { interface: iface, routes: [routes], ethtool: { features: ethtool } } }] } });
    }),
    RUNS,
  );
});

test('annotations holding any text, JSON of any value, or YAML of any value', () => {
  const key = fc.constantFrom('oci-netdevices.io/devices', 'netdevices.nri.containerd.io', 'netdevice.noderesource.dev/pod');
  const text = fc.oneof(fc.string({ maxLength: 200 }), json.map((v) => JSON.stringify(v)), shaped.map((v) => JSON.stringify(v) ?? 'null'), fc.constantFrom('- name: v1\n  prefix: x\n', 'v1: {name: [}', '*a', '!!binary aGVsbG8=', '- name: v1\n  mtu: .inf\n'));
  fc.assert(
    fc.property(key, text, (k, t) => {
      assertTotal({ linux: { namespaces: NS } }, { [k]: t });
      assertTotal({ linux: { namespaces: NS }, annotations: { [k]: t } });
    }),
    RUNS,
  );
});

test('mutating one leaf of every good fixture never crashes', () => {
  const dir = join(ROOT, 'fixtures', 'good');
  const goods = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as { config: unknown; annotations?: Record<string, string> });
  const paths = (v: unknown, at: Array<string | number> = []): Array<Array<string | number>> => {
    if (typeof v !== 'object' || v === null) return [at];
    const kids = Array.isArray(v) ? v.map((x, i) => paths(x, [...at, i])) : Object.entries(v).map(([k, x]) => paths(x, [...at, k]));
    return [at, ...kids.flat()];
  };
  const setAt = (root: unknown, path: Array<string | number>, value: unknown): unknown => {
    if (path.length === 0) return value;
    const copy = structuredClone(root) as Record<string | number, unknown>;
    let o = copy;
    for (const seg of path.slice(0, -1)) o = o[seg] as Record<string | number, unknown>;
    Object.defineProperty(o, path[path.length - 1]!, { value, enumerable: true, writable: true, configurable: true });
    return copy;
  };
  fc.assert(
    fc.property(fc.nat(goods.length - 1), fc.nat(), junk, (gi, pi, value) => {
      const g = goods[gi]!;
      const all = paths(g.config);
      assertTotal(setAt(g.config, all[pi % all.length]!, value), g.annotations);
    }),
    { numRuns: 1000 },
  );
});

const v4 = fc.uint8Array({ minLength: 4, maxLength: 4 });
/** IPv6 bytes biased towards zero runs, so `::` placement gets exercised. */
const v6 = fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 }).map((ws) => {
  const b = new Uint8Array(16);
  ws.forEach((w, i) => {
    b[2 * i] = w >> 8;
    b[2 * i + 1] = w & 0xff;
  });
  return b;
});

test('formatIp/parseIp round trip on random bytes', () => {
  fc.assert(
    fc.property(fc.oneof(v4, v6), (bytes) => {
      const text = formatIp(bytes);
      const ip = parseIp(text);
      assert.ok(ip, text);
      assert.deepEqual(Array.from(ip.bytes), Array.from(bytes));
      assert.equal(ip.text, text);
      assert.equal(ip.family, bytes.length === 4 ? 4 : 6);
      assert.equal(isIP(text), ip.family);
    }),
    { numRuns: 2000 },
  );
});

test('IPv6 canonical text matches the WHATWG URL serialiser (RFC 5952 compression)', () => {
  fc.assert(
    fc.property(v6, (bytes) => {
      const text = formatIp(bytes);
      if (text.startsWith('::ffff:') && text.includes('.')) return; // RFC 5952 §5 dotted tail; URL prints hex
      assert.equal(new URL(`http://[${text}]/`).hostname, `[${text}]`);
      // Any other spelling of the same address parses to the same canonical text.
      const full = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16).toUpperCase().padStart(4, '0')).join(':');
      assert.equal(parseIp(full)?.text, text);
    }),
    { numRuns: 2000 },
  );
});

test('parseIp accepts exactly what node:net isIP accepts (no zones, no leading-zero octets)', () => {
  const chars = fc.constantFrom(...'0123456789abcdefABCDEF:.'.split(''), '::', '1.2.3.4', 'ffff', '255', '256', '00');
  fc.assert(
    fc.property(fc.array(chars, { maxLength: 14 }).map((a) => a.join('')), (s) => {
      const ip = parseIp(s);
      assert.equal(ip?.family ?? 0, isIP(s), s);
    }),
    { numRuns: 5000 },
  );
});

test('parseCidr: address and prefix length round trip, out-of-range prefixes refused', () => {
  fc.assert(
    fc.property(fc.oneof(v4, v6), fc.integer({ min: 0, max: 140 }), (bytes, plen) => {
      const max = bytes.length === 4 ? 32 : 128;
      const c = parseCidr(`${formatIp(bytes)}/${plen}`);
      if (plen > max) assert.equal(c, undefined);
      else {
        assert.ok(c);
        assert.equal(c.prefixLength, plen);
        assert.deepEqual(Array.from(c.bytes), Array.from(bytes));
      }
      assert.equal(parseCidr(formatIp(bytes)), undefined, 'a CIDR needs its prefix');
      assert.equal(parseCidr(`${formatIp(bytes)}/0${plen}`), undefined, 'no leading zeros in the prefix');
    }),
    { numRuns: 1000 },
  );
});

test('masks: every contiguous dotted quad is its prefix length, every other one is refused', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
      const text = [24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join('.');
      const bits = n.toString(2).padStart(32, '0');
      const got = maskToPrefix(text, 4);
      if (/^1*0*$/.test(bits)) assert.equal(got, bits.indexOf('0') < 0 ? 32 : bits.indexOf('0'));
      else assert.equal(typeof got, 'string');
    }),
    { numRuns: 2000 },
  );
  for (let p = 0; p <= 32; p++) {
    const n = p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0;
    assert.equal(maskToPrefix([24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join('.'), 4), p);
  }
});

/** The kernel's dev_valid_name(), byte for byte. */
function kernelValid(name: string): boolean {
  const b = Buffer.from(name, 'utf8');
  if (b.length === 0 || b.length >= 16) return false;
  if (name === '.' || name === '..') return false;
  return !b.some((c) => c === 0x2f || c === 0x3a || c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0);
}

test('validIfName agrees with dev_valid_name on random names', () => {
  const ch = fc.oneof(fc.constantFrom('a', 'z', '0', '-', '_', '.', '/', ':', ' ', '\t', '\n', '\v', '\f', '\r', '\0', '%', 'é', '€', '😀'), fc.char());
  fc.assert(
    fc.property(fc.array(ch, { maxLength: 18 }).map((a) => a.join('')), (name) => {
      assert.equal(validIfName(name) === undefined, kernelValid(name), JSON.stringify(name));
    }),
    { numRuns: 5000 },
  );
});

test('isTemplate: exactly one % and it is %d', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom('a', '%', 'd', 's', '0'), { maxLength: 8 }).map((a) => a.join('')), (name) => {
      const percents = name.split('%').length - 1;
      assert.equal(isTemplate(name), percents === 1 && name.includes('%d'), name);
    }),
    { numRuns: 2000 },
  );
});

test('parseMac: normalises any case and either separator; refuses group and zero addresses', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), fc.constantFrom(':', '-'), fc.boolean(), (b, sep, upper) => {
      let text = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(sep);
      if (upper) text = text.toUpperCase();
      const r = parseMac(text);
      const canonical = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
      if (b.every((x) => x === 0) || (b[0]! & 1) === 1) assert.ok('error' in r);
      else assert.deepEqual(r, { mac: canonical });
    }),
    { numRuns: 1000 },
  );
});
