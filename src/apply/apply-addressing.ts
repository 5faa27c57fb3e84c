/**
 * Addresses that come from the network: DHCP (`addressing: DHCP`, or the
 * deprecated `dhcp: true`) and SLAAC. Both run once the link is up and before
 * the routes (a route may go via the leased subnet's gateway).
 *
 * DHCP: one exchange per device over a UDP socket bound to it inside the
 * container netns; the lease's address (with its prefix), its router as the
 * IPv4 default route (unless `routes` has one) and its MTU (unless `mtu` is
 * given) are applied as steps with undo. The undo of the exchange itself is a
 * DHCPRELEASE, so a rollback gives the address back. No renewal runs.
 *
 * SLAAC: the IPv6 settings were set with the others (apply-sysctls.ts, with
 * DraNet's defaults filled in by validation); here we wait, bounded, until
 * every SLAAC device has a usable autoconfigured global address.
 */
import type { DeviceSpec } from '../config/model.js';
import { type DhcpLease, type DhcpTiming, type DhcpTransport, obtainLease, releaseLease } from '../dhcp/client.js';
import { ipBytes } from '../dhcp/packet.js';
import { udpTransportIn } from '../dhcp/udp-transport.js';
import { formatIp } from '../config/ip.js';
import { type Addr, addrAdd, addrDel, addrList } from '../netlink/addr.js';
import { ADDRCONF, RTNL } from '../netlink/constants.js';
import { linkSetMtu } from '../netlink/link.js';
import { NetlinkError } from '../netlink/message.js';
import { routeAdd, routeDel, type RouteInput } from '../netlink/route.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import { InterruptedError, SlaacTimeoutError, StepError } from '../errors.js';
import type { Placed } from './apply-devices.js';
import type { Transaction } from './transaction.js';

export interface AddressingEnv {
  ctr: NetlinkSocket;
  ctrNetnsFd: number;
  tx: Transaction;
  checkpoint: () => Promise<void>;
  /** The DHCP socket for a device (default: UDP port 68 bound to it in the container netns). */
  dhcpTransport?: (ifname: string) => DhcpTransport;
  dhcpTiming?: DhcpTiming;
  /** How long to wait for SLAAC addresses, in ms. */
  slaacTimeoutMs?: number;
  /** Told of each lease once obtained, before it is applied. */
  onLease?: (hostName: string, lease: DhcpLease) => void;
}

export const DEFAULT_SLAAC_TIMEOUT_MS = 3000;
const SLAAC_POLL_MS = 25;

/** The device's IPv4 default route is the user's when `routes` has one in the main table. */
const hasDefaultRoute = (spec: DeviceSpec): boolean => spec.routes.some((r) => r.destination.family === 4 && r.destination.prefixLength === 0 && r.table === RTNL.RT_TABLE_MAIN);

function ignoring(codes: readonly string[], action: () => void): void {
  try {
    action();
  } catch (e) {
    if (!(e instanceof NetlinkError && codes.includes(e.code))) throw e;
  }
}

/** Sends a DHCPRELEASE for `lease` from inside the netns; the caller decides whether a failure matters. */
export function sendRelease(netnsFd: number, ifname: string, lease: DhcpLease, open: (ifname: string) => DhcpTransport = (n) => udpTransportIn(netnsFd, n), to?: string): void {
  const t = open(ifname);
  try {
    releaseLease(t, lease, undefined, to);
  } finally {
    t.close();
  }
}

export async function applyDhcp(env: AddressingEnv, placed: readonly Placed[]): Promise<void> {
  const { tx, ctr } = env;
  const open = env.dhcpTransport ?? ((n: string) => udpTransportIn(env.ctrNetnsFd, n));
  for (const p of placed.filter((x) => x.spec.addressing === 'DHCP')) {
    const device = p.spec.hostName;
    const ifname = p.link.name;
    const mac = p.spec.hardwareAddr ?? p.link.mac;
    if (mac === undefined) throw new StepError(`DHCP on ${ifname}`, device, new Error('the interface has no MAC address to ask with'));
    // Rollback releases the lease: from the leased address while it is still there (an undo registered
    // right after the address, so it runs before the address goes), else, if the exchange got a lease
    // that never reached the device, broadcast from 0.0.0.0. Best effort, as at teardown: a server that
    // misses it frees the address when the lease expires.
    const held: { lease?: DhcpLease; released?: boolean } = {};
    const release = (to?: string): void => {
      if (held.lease === undefined || held.released === true) return;
      held.released = true;
      try {
        sendRelease(env.ctrNetnsFd, ifname, held.lease, open, to);
      } catch {
        /* best effort */
      }
    };
    tx.step(device, `DHCP exchange on ${ifname}`, () => held, () => release('255.255.255.255'));
    const t = open(ifname);
    try {
      held.lease = await obtainLease(t, { mac, ifname, checkpoint: env.checkpoint, ...(env.dhcpTiming !== undefined ? { timing: env.dhcpTiming } : {}) });
    } catch (e) {
      // A signal or the deadline (from the checkpoint) stays what it is: the hook reports it as such.
      throw e instanceof StepError || e instanceof InterruptedError ? e : new StepError(`DHCP on ${ifname}`, device, e);
    } finally {
      t.close();
    }
    const lease = held.lease;
    p.lease = lease;
    env.onLease?.(device, lease);
    const a = { family: 4 as const, bytes: ipBytes(lease.address), prefixLength: lease.prefixLength };
    const text = `${lease.address}/${lease.prefixLength}`;
    p.present.add(text);
    tx.batch(ctr, `add DHCP address (lease from ${lease.serverId})`, [{
      device, request: addrAdd(p.link.index, a, { text }), undo: () => ignoring(['EADDRNOTAVAIL'], () => ctr.run(addrDel(p.link.index, a, text))),
    }]);
    tx.registerUndo({ device, what: `release DHCP lease ${text}`, run: () => release() });
    if (lease.mtu !== undefined && p.spec.mtu === undefined && lease.mtu !== p.link.mtu) {
      const old = p.link.mtu;
      tx.batch(ctr, 'set MTU from the DHCP lease', [{ device, request: linkSetMtu(p.link.index, lease.mtu), undo: () => ctr.run(linkSetMtu(p.link.index, old)) }]);
    }
    if (lease.router !== undefined && !hasDefaultRoute(p.spec)) {
      const route: RouteInput = {
        family: 4, dst: new Uint8Array(4), dstLength: 0, gateway: ipBytes(lease.router), scope: RTNL.RT_SCOPE_UNIVERSE,
        oif: p.link.index, protocol: ADDRCONF.RTPROT_DHCP, table: RTNL.RT_TABLE_MAIN,
      };
      const rtext = `default via ${lease.router} dev ${ifname} proto dhcp`;
      tx.batch(ctr, 'add default route from the DHCP lease', [{ device, request: routeAdd(route, rtext), undo: () => ignoring(['ESRCH'], () => ctr.run(routeDel(route, rtext))) }]);
    }
  }
}

/** DraNet's test for an autoconfigured address: global, from an RA (not permanent), DAD done, not deprecated. */
export function isAutoconfigured(a: Addr): boolean {
  if (a.family !== 6 || a.scope !== RTNL.RT_SCOPE_UNIVERSE) return false;
  const b = a.bytes;
  if ((b[0]! & 0xe0) !== 0x20 && (b[0]! & 0xfe) !== 0xfc) return false; // 2000::/3 or fc00::/7
  return (a.flags & (ADDRCONF.IFA_F_TENTATIVE | ADDRCONF.IFA_F_DADFAILED | ADDRCONF.IFA_F_DEPRECATED | ADDRCONF.IFA_F_PERMANENT)) === 0;
}

function describe(addrs: readonly Addr[]): string {
  if (addrs.length === 0) return 'none';
  return addrs.map((a) => {
    const f: string[] = [];
    if (a.flags & ADDRCONF.IFA_F_TENTATIVE) f.push('tentative');
    if (a.flags & ADDRCONF.IFA_F_DADFAILED) f.push('dadfailed');
    if (a.flags & ADDRCONF.IFA_F_PERMANENT) f.push('permanent');
    if (a.flags & ADDRCONF.IFA_F_DEPRECATED) f.push('deprecated');
    return `${formatIp(a.bytes)}/${a.prefixLength}${f.length > 0 ? `(${f.join(',')})` : ''}`;
  }).join(' ');
}

export async function awaitSlaac(env: AddressingEnv, placed: readonly Placed[]): Promise<void> {
  const pending = placed.filter((p) => p.spec.addressing === 'SLAAC');
  if (pending.length === 0) return;
  const budget = env.slaacTimeoutMs ?? DEFAULT_SLAAC_TIMEOUT_MS;
  const start = Date.now();
  let addrs: Addr[] = [];
  for (;;) {
    addrs = env.ctr.run(addrList());
    const waiting = pending.filter((p) => !addrs.some((a) => a.index === p.link.index && isAutoconfigured(a)));
    if (waiting.length === 0) return;
    if (Date.now() - start >= budget) {
      const p = waiting[0]!;
      const own = addrs.filter((a) => a.index === p.link.index && a.family === 6);
      throw new StepError(`wait for SLAAC address on ${p.link.name}`, p.spec.hostName,
        new SlaacTimeoutError(`interface ${p.link.name} has no autoconfigured IPv6 address after ${Date.now() - start} ms (addresses: ${describe(own)}); is a router sending advertisements on the link?`));
    }
    await new Promise((r) => setTimeout(r, SLAAC_POLL_MS));
    await env.checkpoint();
  }
}
