/** net.ipv6.conf.<dev>.* from the link's IFLA_INET6_CONF (src/apply/ipv6-devconf.ts, host-extras.ts readIpv6Conf). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Ipv6Conf, readIpv6Conf } from '../../src/apply/host-extras.js';
import { devconfPairs, devconfValue } from '../../src/apply/ipv6-devconf.js';
import { native } from '../../src/native/binding.js';

const K = native().constants;
const at = (name: string): number => {
  const v = K[name];
  assert.ok(v !== undefined, `${name} is exported`);
  return v;
};

/** An array as the kernel sends it: every entry 0 but those given. */
function devconf(values: Record<string, number>, length = 80): Int32Array {
  const a = new Int32Array(length);
  for (const [name, v] of Object.entries(values)) a[at(name)] = v;
  return a;
}

/** Files of one device, with every read counted. */
function fakeFiles(files: Record<string, string>): Ipv6Conf & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    read: () => ({ ...files }),
    list: () => Object.keys(files),
    readOne: (_dev, k) => {
      reads.push(k);
      return files[k];
    },
    write: () => {
      throw new Error('not written here');
    },
  };
}

test('the headers give every paired file its DEVCONF index, each index once', () => {
  const pairs = devconfPairs();
  assert.ok(pairs.size >= 50, `${pairs.size} pairs`);
  assert.deepEqual(pairs.get('forwarding'), [at('DEVCONF_FORWARDING'), 'int']);
  assert.deepEqual(pairs.get('mtu'), [at('DEVCONF_MTU6'), 'int']);
  const indexes = [...pairs.values()].map(([i]) => i);
  assert.equal(new Set(indexes).size, indexes.length, 'no two files share an entry');
  assert.ok(!pairs.has('stable_secret') && !pairs.has('mc_forwarding'), 'the files the snapshot skips are not paired');
});

test('values print as the files do: ints as is, u32 unsigned, jiffies settings in seconds', () => {
  const a = devconf({ DEVCONF_HOPLIMIT: 64, DEVCONF_USE_TEMPADDR: -1, DEVCONF_RA_DEFRTR_METRIC: -1, DEVCONF_RTR_SOLICIT_INTERVAL: 4000, DEVCONF_RTR_SOLICIT_MAX_INTERVAL: 3_600_000, DEVCONF_MLDV1_UNSOLICITED_REPORT_INTERVAL: 10000 });
  assert.equal(devconfValue('hop_limit', a), '64');
  assert.equal(devconfValue('use_tempaddr', a), '-1');
  assert.equal(devconfValue('ra_defrtr_metric', a), '4294967295');
  assert.equal(devconfValue('router_solicitation_interval', a), '4');
  assert.equal(devconfValue('router_solicitation_max_interval', a), '3600');
  assert.equal(devconfValue('mldv1_unsolicited_report_interval', a), '10000', 'kept in ms by both');
  assert.equal(devconfValue('no_such_setting', a), undefined);
});

test('readIpv6Conf: paired files from the array, the others from their files, the skipped ones not at all', () => {
  // The files say otherwise for the paired ones: the result shows which source was used.
  const io = fakeFiles({ forwarding: '0', hop_limit: '1', router_solicitation_interval: '9', some_newer_setting: '7', stable_secret: 'x', mc_forwarding: '0' });
  const got = readIpv6Conf('eth9', devconf({ DEVCONF_FORWARDING: 1, DEVCONF_HOPLIMIT: 64, DEVCONF_RTR_SOLICIT_INTERVAL: 4000 }), io);
  assert.deepEqual(got, { forwarding: '1', hop_limit: '64', router_solicitation_interval: '4', some_newer_setting: '7' });
  assert.deepEqual(Object.keys(got!), Object.keys(got!).sort(), 'in name order, as the files were read');
  assert.deepEqual(io.reads, ['some_newer_setting']);
});

test('an entry past the end of the array the kernel sent (an older kernel) is read from its file', () => {
  const io = fakeFiles({ accept_ra_min_lft: '5', forwarding: '0' });
  const short = devconf({ DEVCONF_FORWARDING: 1 }, at('DEVCONF_ACCEPT_RA_MIN_LFT'));
  assert.deepEqual(readIpv6Conf('eth9', short, io), { accept_ra_min_lft: '5', forwarding: '1' });
  assert.deepEqual(io.reads, ['accept_ra_min_lft']);
});

test('without the array (no IPv6 state in the dump) every file is read; without the directory there is nothing', () => {
  const io = fakeFiles({ forwarding: '0', hop_limit: '64' });
  assert.deepEqual(readIpv6Conf('eth9', undefined, io), { forwarding: '0', hop_limit: '64' });
  assert.equal(readIpv6Conf('eth9', devconf({}), { ...io, list: () => undefined }), undefined);
});
