/**
 * VRF and ipvlan: the link messages byte for byte (written out by hand:
 * RTM_NEWLINK=16 RTM_DELLINK=17; NLM_F_REQUEST|ACK = 0x5, |CREATE|EXCL = 0x605;
 * ifinfomsg 16 bytes; IFLA_IFNAME=3 IFLA_LINK=5 IFLA_MASTER=10 IFLA_LINKINFO=18
 * IFLA_NET_NS_FD=28; IFLA_INFO_KIND=1 IFLA_INFO_DATA=2; IFLA_VRF_TABLE=1;
 * IFLA_IPVLAN_MODE=1 IFLA_IPVLAN_FLAGS=2; NLA_F_NESTED=0x8000), the driver
 * probes and their messages against the fake kernel without and with the
 * drivers, and the VRF apply (create, up, enslave; undo) on the fake kernel.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyVrfs, probeLinkDrivers } from '../../src/apply/apply-vrf.js';
import { type Placed, applyDevices } from '../../src/apply/apply-devices.js';
import { locateDevices, viewNamespace } from '../../src/apply/inspect.js';
import { AttrSet } from '../../src/netlink/attr.js';
import { RTNL } from '../../src/netlink/constants.js';
import { Transaction } from '../../src/apply/transaction.js';
import { extractDevices } from '../../src/config/extract.js';
import { linkGet } from '../../src/netlink/link.js';
import { linkAddIpvlan, linkAddVrf, linkDel, linkKindProbe, linkSetMaster } from '../../src/netlink/link-kinds.js';
import { NetlinkSocket } from '../../src/netlink/socket.js';
import { E, FakeRtnlKernel } from './fake-rtnl-kernel.js';
import { h, one, seqHex } from './golden-bytes.js';

const IFINFO0 = '00 00 0000 00000000 00000000 00000000';

describe('VRF and ipvlan link messages', () => {
  test('linkAddVrf: name, then linkinfo { kind "vrf", data { table } }', () => {
    assert.equal(one(linkAddVrf('vrf-blue', 1284).message), h(
      '48000000 1000 0506', seqHex, '00000000', IFINFO0,
      '0d00 0300 7672662d626c756500 000000',
      '1800 1280', '0800 0100 76726600', '0c00 0280', '0800 0100 04050000',
    ));
  });

  test('linkAddIpvlan: name, parent, target netns, linkinfo { kind "ipvlan", data { mode l2, flags bridge } }', () => {
    assert.equal(one(linkAddIpvlan(7, 'net1', 5).message), h(
      '60000000 1000 0506', seqHex, '00000000', IFINFO0,
      '0900 0300 6e65743100 000000', '0800 0500 07000000', '0800 1c00 05000000',
      '2400 1280', '0b00 0100 6970766c616e00 00', '1400 0280', '0600 0100 0000 0000', '0600 0200 0000 0000',
    ));
  });

  test('linkSetMaster and linkDel', () => {
    assert.equal(one(linkSetMaster(3, 9).message), h('28000000 1000 0500', seqHex, '00000000', '00 00 0000 03000000 00000000 00000000', '0800 0a00 09000000'));
    assert.equal(one(linkSetMaster(3, 0).message), h('28000000 1000 0500', seqHex, '00000000', '00 00 0000 03000000 00000000 00000000', '0800 0a00 00000000'));
    assert.equal(one(linkDel(9, 'x').message), h('20000000 1100 0500', seqHex, '00000000', '00 00 0000 09000000 00000000 00000000'));
  });

  test('the probes: a vrf without its data, an ipvlan with mode 0xffff; no name, nothing the kernel could create', () => {
    assert.equal(one(linkKindProbe('vrf').message), h('2c000000 1000 0506', seqHex, '00000000', IFINFO0, '0c00 1280', '0800 0100 76726600'));
    assert.equal(one(linkKindProbe('ipvlan').message), h('3c000000 1000 0506', seqHex, '00000000', IFINFO0, '1c00 1280', '0b00 0100 6970766c616e00 00', '0c00 0280', '0600 0100 ffff 0000'));
  });
});

const specsOf = (iface: Record<string, unknown>, dev = 'eth1'): ReturnType<typeof extractDevices> =>
  extractDevices({ linux: { namespaces: [{ type: 'network' }], netDevices: { [dev]: { name: 'net1', networkConfig: { interface: iface } } } } });

describe('driver probes (fake kernel)', () => {
  test('no vrf, no ipvlan driver: one issue per field naming the field, the module and the device, byte for byte; nothing changed', () => {
    const k = new FakeRtnlKernel({ links: [{ index: 7, name: 'eth1' }] });
    const sock = new NetlinkSocket(k);
    const [vrf] = specsOf({ vrf: { name: 'blue', table: 100 } });
    const [ipv] = specsOf({ type: 'IPVLAN', unnumbered: true }, 'eth2');
    const before = JSON.stringify(k.links());
    assert.deepEqual(probeLinkDrivers(sock, [vrf!, ipv!]), [
      {
        path: 'linux.netDevices["eth1"].networkConfig.interface.vrf', device: 'eth1',
        message: 'interface.vrf (blue, table 100) needs the kernel\'s vrf driver (module "vrf"), and this kernel has none (it answers a vrf link with ENOTSUP (Unknown device type)); load the vrf module or drop the field; nothing was changed',
      },
      {
        path: 'linux.netDevices["eth2"].networkConfig.interface.type', device: 'eth2',
        message: '"type": "ipvlan" needs the kernel\'s ipvlan driver (module "ipvlan"), and this kernel has none (it answers an ipvlan link with ENOTSUP (Unknown device type)); load the ipvlan module or use "type": "passthrough"; nothing was changed',
      },
    ]);
    assert.equal(JSON.stringify(k.links()), before);
    assert.equal(k.requests.length, 2, 'one probe per kind');
  });

  test('with the drivers: the probes are refused by the drivers\' own validation (EINVAL) and create nothing; no issue', () => {
    const k = new FakeRtnlKernel({ links: [{ index: 7, name: 'eth1' }], drivers: ['vrf', 'ipvlan'] });
    const sock = new NetlinkSocket(k);
    assert.throws(() => sock.run(linkKindProbe('vrf')), (e: unknown) => (e as { code: string }).code === 'EINVAL');
    assert.throws(() => sock.run(linkKindProbe('ipvlan')), (e: unknown) => (e as { code: string }).code === 'EINVAL');
    const [vrf] = specsOf({ vrf: { name: 'blue' } });
    assert.deepEqual(probeLinkDrivers(sock, [vrf!]), []);
    const [ipv] = specsOf({ type: 'IPVLAN' });
    assert.deepEqual(probeLinkDrivers(sock, [ipv!]), []);
    assert.deepEqual(k.links().map((l) => l.name), ['eth1']);
  });
});

describe('VRF apply (fake kernel)', () => {
  function world(): { host: FakeRtnlKernel; ctr: FakeRtnlKernel; sock: NetlinkSocket; placed: Placed[] } {
    const host = new FakeRtnlKernel({ drivers: ['vrf'], nsFds: { 9: 'ctr' } });
    const ctr = host.inNetns('ctr');
    ctr.addLink({ index: 1, name: 'lo', up: true });
    ctr.addLink({ index: 4, name: 'net1', up: false });
    ctr.addLink({ index: 5, name: 'net2', up: false });
    const sock = new NetlinkSocket(ctr);
    const specs = extractDevices({
      linux: {
        namespaces: [{ type: 'network' }],
        netDevices: { eth1: { name: 'net1', networkConfig: { interface: { vrf: { name: 'blue', table: 100 } } } }, eth2: { name: 'net2', networkConfig: { interface: { vrf: { name: 'blue', table: 100 } } } } },
      },
    });
    const placed = specs.map((spec) => ({ spec, link: sock.run(linkGet({ name: spec.containerName })), movedByRuntime: false, present: new Set<string>() } as unknown as Placed));
    return { host, ctr, sock, placed };
  }

  test('one VRF device for both, with its table, up; both enslaved; rollback removes it all', () => {
    const { ctr, sock, placed } = world();
    const tx = new Transaction();
    applyVrfs(sock, tx, placed);
    const blue = ctr.link('blue', 'ctr')!;
    assert.equal(blue.kind, 'vrf');
    assert.equal(blue.up, true);
    assert.deepEqual([ctr.link('net1', 'ctr')!.master, ctr.link('net2', 'ctr')!.master], [blue.index, blue.index]);
    const created = ctr.requests.filter((r) => r.message.type === 16 && (r.message.flags & 0x400) !== 0);
    assert.equal(created.length, 1, 'created once');
    assert.deepEqual(tx.rollback(), []);
    assert.equal(ctr.link('blue', 'ctr'), undefined);
    assert.deepEqual([ctr.link('net1', 'ctr')!.master, ctr.link('net2', 'ctr')!.master], [undefined, undefined]);
  });

  test('a VRF name taken in the container netns: the step fails, nothing is left', () => {
    const { ctr, sock, placed } = world();
    ctr.addLink({ name: 'blue', netns: 'ctr' });
    const tx = new Transaction();
    assert.throws(() => applyVrfs(sock, tx, placed), /create VRF device.*EEXIST/);
    assert.deepEqual(tx.rollback(), []);
    assert.equal(ctr.link('net1', 'ctr')!.master, undefined);
  });

  test('the fake kernel without the driver answers a real VRF creation like the kernel', () => {
    const k = new FakeRtnlKernel({});
    assert.throws(() => new NetlinkSocket(k).run(linkAddVrf('blue', 100)), (e: unknown) => (e as { errno: number; kernelMessage: string }).errno === -E.EOPNOTSUPP && (e as { kernelMessage: string }).kernelMessage === 'Unknown device type');
  });
});

/** IFLA_NET_NS_FD of a link request, if any. */
class AttrSetOf {
  readonly netnsFd: number | undefined;
  constructor(m: { payload: Uint8Array }) {
    this.netnsFd = new AttrSet(m.payload, 16).u32(RTNL.IFLA_NET_NS_FD);
  }
}

describe('IPVLAN apply (fake kernel)', () => {
  async function run(failRoute = false, extra: { vrf?: boolean; failAtStep?: number } = {}): Promise<{ host: FakeRtnlKernel; ctr: FakeRtnlKernel; tx: Transaction; records?: Awaited<ReturnType<typeof applyDevices>>; error?: unknown }> {
    const host = new FakeRtnlKernel({ links: [{ index: 1, name: 'lo', up: true }, { index: 7, name: 'eth1', mac: '02:00:00:00:00:07', kind: 'veth', up: true }], nsFds: { 9: 'ctr', 10: 'host' }, drivers: ['ipvlan', 'vrf'] });
    const ctr = host.inNetns('ctr');
    ctr.addLink({ index: 1, name: 'lo', up: true });
    if (failRoute) host.fail(E.ENETUNREACH, undefined, { type: 24 });
    if (extra.failAtStep !== undefined) {
      // The k-th kernel-changing request of the apply (not a get or dump) is refused.
      let changes = 0;
      const GETS = new Set([18, 22, 26]);
      host.fail(E.EIO, 'injected fault', { when: (r) => !GETS.has(r.message.type) && ++changes === extra.failAtStep, times: 1 });
    }
    const hostSock = new NetlinkSocket(host);
    const ctrSock = new NetlinkSocket(ctr);
    const specs = extractDevices({
      linux: {
        namespaces: [{ type: 'network' }],
        netDevices: { eth1: { name: 'net1', networkConfig: { interface: { type: 'IPVLAN', addresses: ['10.0.0.2/24'], ...(extra.vrf === true ? { vrf: { name: 'blue', table: 100 } } : {}) }, routes: [{ destination: '10.9.0.0/16', gateway: '10.0.0.1' }] } } },
      },
    });
    const hostView = viewNamespace(hostSock, { addrs: true, routes: true });
    const ctrView = viewNamespace(ctrSock, { addrs: true });
    const { targets, issues } = locateDevices(specs, hostView, ctrView);
    assert.deepEqual(issues, []);
    const tx = new Transaction();
    try {
      const records = await applyDevices({ host: hostSock, ctr: ctrSock, hostNetnsFd: 10, ctrNetnsFd: 9, hostNetnsIno: 1, ctrNetnsIno: 2, tx }, targets, hostView, ctrView);
      return { host, ctr, tx, records };
    } catch (error) {
      return { host, ctr, tx, error };
    }
  }

  test('an ipvlan child of the host device is created in the container netns and configured; the host device stays', async () => {
    const { host, ctr, records } = await run();
    const parent = host.link('eth1', 'host')!;
    assert.equal(parent.up, true, 'the host device is untouched');
    const child = ctr.link('net1', 'ctr')!;
    assert.deepEqual([child.kind, child.parent, child.mac, child.up], ['ipvlan', 7, '02:00:00:00:00:07', true]);
    assert.deepEqual(ctr.addrs('ctr').map((a) => `${Array.from(a.bytes).join('.')}/${a.prefixLength}`), ['10.0.0.2/24']);
    assert.equal(ctr.routes('ctr').length, 1);
    assert.equal(records![0]!.child, 'ipvlan');
    assert.equal(records![0]!.containerIndex, child.index);
    const create = host.requests.find((r) => r.message.type === 16 && (r.message.flags & 0x400) !== 0)!;
    assert.equal(create.netns, 'host', 'sent on the host socket: IFLA_LINK is the host ifindex');
    assert.equal(Buffer.from(create.message.payload).toString('hex'), one(linkAddIpvlan(7, 'net1', 9).message).slice(32), 'the golden ipvlan message');
    assert.equal(host.requests.some((r) => r.message.type === 16 && (r.message.flags & 0x400) === 0 && new AttrSetOf(r.message).netnsFd === 9), false, 'nothing was moved');
  });

  test('a later step fails: the child is deleted, the host device untouched', async () => {
    const { host, ctr, error, tx } = await run(true);
    assert.match(String(error), /add route/);
    assert.deepEqual(tx.rollback(), []);
    assert.equal(ctr.link('net1', 'ctr'), undefined);
    assert.equal(host.link('eth1', 'host')!.up, true);
  });

  test('ipvlan child in a VRF: a fault at every step, rolled back, leaves both namespaces as before', async () => {
    const ok = await run(false, { vrf: true });
    assert.equal(ok.ctr.link('net1', 'ctr')!.master, ok.ctr.link('blue', 'ctr')!.index, 'the child is enslaved to the VRF');
    assert.equal(ok.ctr.routes('ctr')[0]!.table, 100, 'its route goes to the VRF table');
    let k = 1;
    for (; k < 50; k++) {
      const r = await run(false, { vrf: true, failAtStep: k });
      if (r.error === undefined) break;
      assert.match(String(r.error), /injected fault/);
      assert.deepEqual(r.tx.rollback(), [], `step ${k}: every undo worked`);
      assert.deepEqual(r.ctr.links().filter((l) => l.netns === 'ctr').map((l) => l.name), ['lo'], `container netns after a fault at step ${k}`);
      assert.deepEqual(r.host.links().filter((l) => l.netns === 'host').map((l) => [l.name, l.up]), [['lo', true], ['eth1', true]], `host after a fault at step ${k}`);
      assert.deepEqual(r.ctr.addrs('ctr'), []);
      assert.deepEqual(r.ctr.routes('ctr'), []);
    }
    assert.ok(k > 6, `create child, VRF, up, enslave, address, up, route: ${k - 1} faults injected`);
  });
});
