/**
 * The pairing of net.ipv6.conf.<dev>.* files with IFLA_INET6_CONF entries (src/apply/ipv6-devconf.ts),
 * proved on the running kernel: on a veth of our own, every paired file reads as its entry says, and
 * writing each file changes exactly its entry, to what the file then reads. A pairing that named the
 * wrong entry or unit would make the host snapshot record a value the device never had.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { devconfPairs, devconfValue } from '../../src/apply/ipv6-devconf.js';
import { procIpv6Conf, readIpv6Conf } from '../../src/apply/host-extras.js';
import { linkList } from '../../src/netlink/link.js';
import { openRoute } from '../../src/netlink/open.js';
import type { NetlinkSocket } from '../../src/netlink/socket.js';

const run = (...args: string[]): string => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

describe('IFLA_INET6_CONF against net.ipv6.conf.<dev> on a real veth', () => {
  const dev = `v6c${randomBytes(3).toString('hex')}a`;
  const peer = `${dev.slice(0, -1)}b`;
  const dir = `/proc/sys/net/ipv6/conf/${dev}`;
  let sock: NetlinkSocket;
  const array = (): Int32Array => {
    const l = sock.run(linkList()).find((x) => x.name === dev);
    assert.ok(l?.ipv6Conf !== undefined, `${dev} has IFLA_INET6_CONF`);
    return l.ipv6Conf;
  };
  const file = (name: string): string => readFileSync(`${dir}/${name}`, 'utf8').trim();

  before(() => {
    run('link', 'add', dev, 'type', 'veth', 'peer', 'name', peer);
    sock = openRoute(null);
  });
  after(() => {
    sock?.close();
    try {
      run('link', 'del', dev); // the pair, and with it every setting written here
    } catch {
      /* already gone */
    }
  });

  test('every paired file reads as its entry says, and readIpv6Conf equals reading every file', () => {
    const a = array();
    const checked: string[] = [];
    for (const name of procIpv6Conf.list(dev)!) {
      const v = devconfValue(name, a);
      if (v === undefined) continue;
      assert.equal(v, file(name), `${name} (DEVCONF ${devconfPairs().get(name)![0]})`);
      checked.push(name);
    }
    assert.ok(checked.length >= 50, `${checked.length} files checked against their entries`);
    assert.deepEqual(readIpv6Conf(dev, a), procIpv6Conf.read(dev));
  });

  test('writing each paired file changes exactly its entry, to what the file then reads', () => {
    const unwritable: string[] = [];
    for (const [name, [index]] of devconfPairs()) {
      const before = array();
      if (index >= before.length) continue; // this kernel does not send the entry: the file is read instead
      const was = file(name);
      const n = Number(was);
      const tries = [n + 1, n - 1, 1, 0, 2].filter((x) => String(x) !== was);
      let written: string | undefined;
      for (const t of tries) {
        try {
          writeFileSync(`${dir}/${name}`, `${t}\n`);
        } catch {
          continue;
        }
        if (file(name) !== was) {
          written = file(name);
          break;
        }
      }
      if (written === undefined) {
        unwritable.push(name);
        continue;
      }
      const now = array();
      assert.equal(devconfValue(name, now), written, `${name}: entry ${index} follows the file`);
      const changed = [...now.keys()].filter((i) => now[i] !== before[i]);
      assert.deepEqual(changed, [index], `${name}: only entry ${index} changed (changed: ${changed.join(',')})`);
    }
    assert.deepEqual(unwritable, [], 'every paired file could be given a new value');
  });
});
