/** CNI results and errors as plugins print them (0.4.0, 1.0.0, 1.1.0), checked as untrusted input. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CniResultError, interfaceData, parseErrorText, parseResult, parseResultText } from '../../src/cni/result.js';

const v040 = {
  cniVersion: '0.4.0',
  interfaces: [{ name: 'cni0', mac: '00:11:22:33:44:55' }, { name: 'net1', mac: '0a:58:0a:0a:01:02', sandbox: '/run/netns/x' }],
  ips: [{ version: '4', address: '10.10.1.2/24', gateway: '10.10.1.1', interface: 1 }],
  routes: [{ dst: '0.0.0.0/0' }],
  dns: { nameservers: ['10.0.0.10'] },
};
const v100 = {
  cniVersion: '1.0.0',
  interfaces: [{ name: 'net1', mac: 'ce:78:21:f0:cc:f2', sandbox: '/pin' }],
  ips: [{ interface: 0, address: '10.99.1.2/24', gateway: '10.99.1.1' }, { interface: 0, address: 'fd00::2/64' }],
  dns: {},
};
const v110 = { ...v100, cniVersion: '1.1.0', interfaces: [{ name: 'net1', mac: 'ce:78:21:f0:cc:f2', sandbox: '/pin', mtu: 1500, socketPath: '/x', pciID: '0000:00:01.0' }] };

test('0.4.0: ips carry version; the container interface is the one with a sandbox', () => {
  const r = parseResult(v040);
  assert.equal(r.cniVersion, '0.4.0');
  assert.deepEqual(interfaceData(r, 'net1'), { interfaceName: 'net1', hardwareAddress: '0a:58:0a:0a:01:02', ips: ['10.10.1.2/24'] });
});

test('1.0.0 and 1.1.0: no version on ips; unknown fields are kept in raw', () => {
  for (const input of [v100, v110]) {
    const r = parseResult(input);
    assert.equal(r.cniVersion, input.cniVersion);
    assert.deepEqual(interfaceData(r, 'net1'), { interfaceName: 'net1', hardwareAddress: 'ce:78:21:f0:cc:f2', ips: ['10.99.1.2/24', 'fd00::2/64'] });
    assert.deepEqual(r.raw, input);
  }
});

test('ips of another interface are not the attachment\'s', () => {
  const r = parseResult({ ...v100, interfaces: [{ name: 'br0' }, ...v100.interfaces], ips: [{ interface: 0, address: '10.0.0.1/24' }, { interface: 1, address: '10.0.0.2/24' }] });
  assert.deepEqual(interfaceData(r, 'net1').ips, ['10.0.0.2/24']);
});

test('bad results are refused with the offending field named', () => {
  const cases: Array<[unknown, RegExp]> = [
    [[], /result must be a JSON object/],
    [{ cniVersion: '0.3.1' }, /cniVersion "0.3.1" is not a version we read/],
    [{ cniVersion: '1.0.0', ips: [{ address: '10.1.1.1' }] }, /ips\[0\]\.address must be an address in CIDR/],
    [{ cniVersion: '1.0.0', ips: [{ address: '10.1.1.1/33' }] }, /CIDR/],
    [{ cniVersion: '0.4.0', ips: [{ address: '10.1.1.1/24' }] }, /ips\[0\]\.version must be "4" or "6" in a 0.4.0 result/],
    [{ cniVersion: '1.0.0', ips: [{ address: '10.1.1.1/24', interface: 3 }] }, /ips\[0\]\.interface must index interfaces/],
    [{ cniVersion: '1.0.0', interfaces: [{ mac: 'x' }] }, /interfaces\[0\]\.name is required/],
    [{ cniVersion: '1.0.0', interfaces: 'net1' }, /interfaces must be an array/],
    [{ cniVersion: '1.0.0', routes: [{ dst: '0.0.0.0/0', gw: 'nope' }] }, /routes\[0\]\.gw must be an IP address/],
    [{ cniVersion: '1.0.0', ips: [{ address: '10.1.1.1/24', gateway: 7 }] }, /gateway must be a string/],
    [{ cniVersion: '1.0.0', dns: [] }, /dns must be an object/],
  ];
  for (const [input, re] of cases) assert.throws(() => parseResult(input), (e: unknown) => e instanceof CniResultError && re.test(e.message), JSON.stringify(input));
  assert.throws(() => parseResultText('not json'), /result is not JSON/);
});

test('errors: code, msg and details by the spec; anything else is not an error object', () => {
  assert.deepEqual(parseErrorText('{"cniVersion":"1.0.0","code":7,"msg":"bad sysctl","details":"no such file"}'), { code: 7, msg: 'bad sysctl', details: 'no such file' });
  assert.deepEqual(parseErrorText('{"code":100,"msg":"x"}'), { code: 100, msg: 'x' });
  assert.equal(parseErrorText('{"msg":"no code"}'), undefined);
  assert.equal(parseErrorText('{"code":"7","msg":"string code"}'), undefined);
  assert.equal(parseErrorText('panic: runtime error'), undefined);
  assert.equal(parseErrorText(''), undefined);
});
