/** Snapshot of a host device's own configuration, taken before it moves. */
import type { SavedAddress, SavedRoute, HostOriginal } from '../state/device-record.js';
import type { NamespaceView } from './inspect.js';
import type { Addr } from '../netlink/addr.js';
import { RTNL } from '../netlink/constants.js';
import type { Link } from '../netlink/link.js';
import type { Route } from '../netlink/route.js';
import { formatIp } from '../config/ip.js';

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
export const fromB64 = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'base64'));

export function saveAddress(a: Addr): SavedAddress {
  return { family: a.family, bytes: b64(a.bytes), prefixLength: a.prefixLength, text: `${formatIp(a.bytes)}/${a.prefixLength}`, scope: a.scope, flags: a.flags };
}

function saveRoute(r: Route): SavedRoute {
  const out: SavedRoute = {
    family: r.family, dst: b64(r.dst), dstLength: r.dstLength, scope: r.scope,
    text: `${r.dstLength === 0 ? 'default' : `${formatIp(r.dst)}/${r.dstLength}`}${r.gateway !== undefined ? ` via ${formatIp(r.gateway)}` : ''}`,
  };
  if (r.gateway !== undefined) out.gateway = b64(r.gateway);
  if (r.prefSrc !== undefined) out.prefSrc = b64(r.prefSrc);
  return out;
}

/** Addresses the kernel keeps until removed (not SLAAC/DHCP-style ones that expire). */
export function permanentAddresses(view: NamespaceView, index: number): Addr[] {
  return view.addrs.filter((a) => a.index === index && (a.flags & RTNL.IFA_F_PERMANENT) !== 0);
}

/** Static main-table routes through the device; kernel-made ones return with their addresses. */
function staticRoutes(view: NamespaceView, index: number): Route[] {
  return view.routes.filter((r) => r.oif === index && r.table === RTNL.RT_TABLE_MAIN && r.protocol !== RTNL.RTPROT_KERNEL && r.type === RTNL.RTN_UNICAST);
}

export function snapshotHost(link: Link, view: NamespaceView): HostOriginal {
  const o: HostOriginal = {
    name: link.name,
    index: link.index,
    up: link.up,
    mtu: link.mtu,
    addresses: permanentAddresses(view, link.index).map(saveAddress),
    routes: staticRoutes(view, link.index).map(saveRoute),
    features: {},
    privateFlags: {},
  };
  if (link.mac !== undefined) o.mac = link.mac;
  if (link.gsoMaxSize !== undefined) o.gsoMaxSize = link.gsoMaxSize;
  if (link.groMaxSize !== undefined) o.groMaxSize = link.groMaxSize;
  if (link.gsoIPv4MaxSize !== undefined) o.gsoIPv4MaxSize = link.gsoIPv4MaxSize;
  if (link.groIPv4MaxSize !== undefined) o.groIPv4MaxSize = link.groIPv4MaxSize;
  return o;
}
