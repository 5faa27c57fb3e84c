/**
 * Per-interface settings, applied after the move (which reset them to the
 * container netns' defaults) and before the addresses (disable_ipv6 and
 * addr_gen_mode decide which addresses appear). IPv4 ones and addrGenMode go
 * through rtnetlink; the IPv6 ones netlink cannot set are written to the
 * container netns' /proc/sys/net/ipv6/conf/<ifname>/. Each change reads the
 * old value first and registers its undo.
 */
import type { InterfaceSysctls } from '../config/model.js';
import { RTNL2 } from '../netlink/constants.js';
import { linkInetSettings, linkSetAddrGenMode, linkSetInetConf } from '../netlink/inet-conf.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import type { Placed } from './apply-devices.js';
import type { ProcSys } from './proc-sys.js';
import type { Transaction } from './transaction.js';

type Ipv6File = 'disable_ipv6' | 'forwarding' | 'accept_ra' | 'dad_transmits' | 'router_solicitation_delay' | 'router_solicitation_interval';

/** In this order: disable_ipv6 first, so the others land on an enabled (or knowingly disabled) device. */
const IPV6_FILES: ReadonlyArray<[keyof InterfaceSysctls, Ipv6File]> = [
  ['disableIPv6', 'disable_ipv6'],
  ['forwarding', 'forwarding'],
  ['acceptRA', 'accept_ra'],
  ['dadTransmits', 'dad_transmits'],
  ['routerSolicitationDelay', 'router_solicitation_delay'],
  ['routerSolicitationInterval', 'router_solicitation_interval'],
];

const IPV4_CONF: ReadonlyArray<[keyof InterfaceSysctls, number, string]> = [
  ['forwarding', RTNL2.IPV4_DEVCONF_FORWARDING, 'forwarding'],
  ['arpIgnore', RTNL2.IPV4_DEVCONF_ARP_IGNORE, 'arp_ignore'],
  ['arpAnnounce', RTNL2.IPV4_DEVCONF_ARP_ANNOUNCE, 'arp_announce'],
];

const num = (v: number | boolean): number => (typeof v === 'boolean' ? (v ? 1 : 0) : v);

export function hasSysctls(p: Placed): boolean {
  return Object.keys(p.spec.sysctls).length > 0;
}

export function applySysctls(ctr: NetlinkSocket, tx: Transaction, procSys: ProcSys, placed: readonly Placed[]): void {
  const todo = placed.filter(hasSysctls);
  if (todo.length === 0) return;
  for (const p of todo) {
    // /proc/sys/net/ipv6/conf/{all,default} are not this device's.
    if (p.link.name === 'all' || p.link.name === 'default') throw new Error(`device ${p.spec.hostName} is named ${JSON.stringify(p.link.name)} in the container: its sysctl directory would be the netns-wide one`);
  }
  const before = new Map(todo.map((p) => [p, ctr.run(linkInetSettings(p.link.index))]));

  tx.batch(ctr, 'set IPv4 interface settings', todo.flatMap((p) => {
    const want = new Map<number, number>();
    const old = new Map<number, number>();
    const names: string[] = [];
    for (const [field, index, name] of IPV4_CONF) {
      const v = p.spec.sysctls[field];
      if (v === undefined) continue;
      want.set(index, num(v));
      const prev = before.get(p)!.ipv4.get(index);
      if (prev !== undefined) old.set(index, prev);
      names.push(`${name}=${num(v)}`);
    }
    if (want.size === 0) return [];
    const text = names.map((n) => `net.ipv4.conf.${p.link.name}.${n}`).join(' ');
    return [{ device: p.spec.hostName, request: linkSetInetConf(p.link.index, want, text), undo: () => ctr.run(linkSetInetConf(p.link.index, old, `previous IPv4 settings of ${p.link.name}`)) }];
  }));

  for (const p of todo) {
    for (const [field, file] of IPV6_FILES) {
      const v = p.spec.sysctls[field];
      if (v === undefined) continue;
      const path = `ipv6/conf/${p.link.name}/${file}`;
      const old = procSys.read(path);
      tx.step(p.spec.hostName, `set net.ipv6.conf.${p.link.name}.${file}=${num(v)}`, () => procSys.write(path, String(num(v))), () => procSys.write(path, old));
    }
  }

  tx.batch(ctr, 'set IPv6 address generation mode', todo.flatMap((p) => {
    const mode = p.spec.sysctls.addrGenMode;
    if (mode === undefined) return [];
    const old = before.get(p)!.addrGenMode;
    return [{ device: p.spec.hostName, request: linkSetAddrGenMode(p.link.index, mode), undo: () => { if (old !== undefined) ctr.run(linkSetAddrGenMode(p.link.index, old)); } }];
  }));
}
