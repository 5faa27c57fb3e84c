/** Snapshot of a host device's own configuration, taken before it moves. */
import type { SavedAddress, SavedRoute, HostOriginal } from '../state/device-record.js';
import type { NamespaceView } from './inspect.js';
import { readLinkState } from './link-attributes.js';
import type { Addr } from '../netlink/addr.js';
import { RTNL, RTNL3 } from '../netlink/constants.js';
import type { Link } from '../netlink/link.js';
import type { Route } from '../netlink/route.js';
import { formatIp } from '../config/ip.js';

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
export const fromB64 = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'base64'));

export function saveAddress(a: Addr): SavedAddress {
  const out: SavedAddress = { family: a.family, bytes: b64(a.bytes), prefixLength: a.prefixLength, text: `${formatIp(a.bytes)}/${a.prefixLength}`, scope: a.scope, flags: a.flags };
  if (a.peer !== undefined) {
    out.peer = b64(a.peer);
    out.text = `${formatIp(a.bytes)} peer ${formatIp(a.peer)}/${a.prefixLength}`;
  }
  if (a.broadcast !== undefined) out.broadcast = b64(a.broadcast);
  if (a.label !== undefined) out.label = a.label;
  if (a.metric !== undefined) out.metric = a.metric;
  if (a.proto !== undefined) out.proto = a.proto;
  const ci = a.cacheInfo;
  const forever = RTNL3.IFA_INFINITY_LIFETIME;
  if (ci !== undefined && (ci.valid !== forever || ci.preferred !== forever)) out.lifetime = { preferred: ci.preferred, valid: ci.valid };
  return out;
}

export function routeText(r: Pick<Route, 'dst' | 'dstLength' | 'gateway'> & { table?: number; priority?: number }): string {
  const dst = r.dstLength === 0 ? 'default' : `${formatIp(r.dst)}/${r.dstLength}`;
  const via = r.gateway !== undefined ? ` via ${formatIp(r.gateway)}` : '';
  const table = r.table !== undefined && r.table !== RTNL.RT_TABLE_MAIN ? ` table ${r.table}` : '';
  const metric = r.priority !== undefined ? ` metric ${r.priority}` : '';
  return `${dst}${via}${table}${metric}`;
}

function saveRoute(r: Route): SavedRoute {
  const out: SavedRoute = { family: r.family, dst: b64(r.dst), dstLength: r.dstLength, scope: r.scope, text: routeText(r), table: r.table, protocol: r.protocol, type: r.type };
  if (r.gateway !== undefined) out.gateway = b64(r.gateway);
  if (r.prefSrc !== undefined) out.prefSrc = b64(r.prefSrc);
  if (r.priority !== undefined) out.priority = r.priority;
  // Only the flags a route is created with: dead/linkdown/offload/trap are the kernel's view.
  const flags = (r.flags ?? 0) & ~RTNL3.RTNH_COMPARE_MASK & 0xff;
  if (flags !== 0) out.flags = flags;
  if (r.nexthops !== undefined) {
    out.nexthops = r.nexthops.map((n) => ({ oif: n.oif, flags: n.flags & ~RTNL3.RTNH_COMPARE_MASK, hops: n.hops, ...(n.gateway !== undefined ? { gateway: b64(n.gateway) } : {}) }));
  }
  if (r.metrics !== undefined) out.metrics = b64(r.metrics);
  if (r.pref !== undefined) out.pref = r.pref;
  if (r.nhId !== undefined) out.nhId = r.nhId;
  return out;
}

/** Every address of the device but IPv6 temporary (privacy) ones, which the kernel makes and renews itself. */
export function hostAddresses(view: NamespaceView, index: number): Addr[] {
  return view.addrs.filter((a) => a.index === index && !(a.family === 6 && (a.flags & RTNL3.IFA_F_TEMPORARY) !== 0));
}

/**
 * Every route that uses the device, in every table; not the kernel's own (an address's prefix
 * and local routes, which come back with the address; router-advertised and redirect routes)
 * nor cached clones.
 */
export function deviceRoutes(view: NamespaceView, index: number): Route[] {
  const kernelMade = new Set([RTNL.RTPROT_KERNEL, RTNL3.RTPROT_RA, RTNL3.RTPROT_REDIRECT]);
  return view.routes.filter((r) => (r.oif === index || r.nexthopOifs.includes(index)) && !kernelMade.has(r.protocol) && ((r.flags ?? 0) & RTNL3.RTM_F_CLONED) === 0);
}

/** What the snapshot reads besides rtnetlink: ethtool, /proc/sys/net/ipv6 (src/apply/host-extras.ts). */
export type HostExtras = Pick<HostOriginal, 'featuresAll' | 'privateFlagsAll' | 'ipv6Conf'>;

export function snapshotHost(link: Link, view: NamespaceView, extras: HostExtras = {}): HostOriginal {
  const o: HostOriginal = {
    ...readLinkState(link),
    name: link.name,
    index: link.index,
    up: link.up,
    mtu: link.mtu,
    takenAt: Date.now(),
    addresses: hostAddresses(view, link.index).map(saveAddress),
    routes: deviceRoutes(view, link.index).map(saveRoute),
    features: {},
    privateFlags: {},
    ...extras,
  };
  if (link.altnames !== undefined) o.altnames = [...link.altnames];
  if (link.ipv4Conf !== undefined) o.ipv4Conf = Object.fromEntries([...link.ipv4Conf].map(([k, v]) => [String(k), v]));
  return o;
}
