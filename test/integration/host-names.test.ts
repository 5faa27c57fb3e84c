/**
 * The name checks teardown brings devices home with (src/apply/host-names.ts), on the running
 * kernel in a namespace of our own: a get by name finds a device by its altname too, and an
 * altname longer than IFNAMSIZ-1 bytes, which IFLA_IFNAME cannot carry, is found by IFLA_ALT_IFNAME.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { linkIfPresent, takenIn } from '../../src/apply/host-names.js';
import { openRoute } from '../../src/netlink/open.js';
import { cleanupAfter, createNetns } from '../support/netns.js';

describe('host name checks on the real kernel', () => {
  test('names, short and long altnames are taken; the asking device does not take its own; absent names are free', (t) => {
    const c = cleanupAfter(t);
    const ns = createNetns({ cleanup: c, prefix: 'hnm' });
    const long = 'uplink-to-rack-7-port-3'; // 23 bytes
    ns.exec(['ip', '-batch', '-'], { input: ['link add v0 type veth peer name v1', 'link property add dev v0 altname web0', `link property add dev v0 altname ${long}`].join('\n') + '\n' });
    const sock = openRoute(ns.path);
    try {
      const v0 = linkIfPresent(sock, { name: 'v0' })!;
      assert.equal(linkIfPresent(sock, { name: long })?.index, v0.index, 'found by its long altname');
      assert.equal(linkIfPresent(sock, { name: 'web0' })?.index, v0.index, 'found by its altname');
      assert.equal(linkIfPresent(sock, { name: 'nosuchdev0' }), undefined);
      assert.equal(linkIfPresent(sock, { name: 'no-such-device-with-a-long-name' }), undefined);
      assert.equal(linkIfPresent(sock, { index: 999_999 }), undefined);
      const taken = takenIn(sock);
      assert.deepEqual(['v0', 'v1', 'web0', long, 'free0', `${long}x`].map(taken), [true, true, true, true, false, false]);
      const bySelf = takenIn(sock, v0.index);
      assert.deepEqual(['v0', 'web0', long, 'v1'].map(bySelf), [false, false, false, true]);
    } finally {
      sock.close();
    }
  });
});
