/**
 * Putting a device back on the host: used by the undo of a move, by the
 * poststop teardown and by crash recovery.
 */
import { constants as osConstants } from 'node:os';
import type { HostOriginal } from '../state/device-record.js';
import { fromB64 } from './host-original.js';
import { addrAdd, addrList } from '../netlink/addr.js';
import { RTNL } from '../netlink/constants.js';
import { type Link, linkGet, linkSetMac, linkSetMtu, linkSetNs, linkSetOffloadSizes, linkSetUp, type OffloadSizes } from '../netlink/link.js';
import { routeAdd } from '../netlink/route.js';
import type { NetlinkSocket, Request } from '../netlink/socket.js';

const { EEXIST } = osConstants.errno;

function runAll(sock: NetlinkSocket, reqs: Request<void>[], ignoreErrno: number[] = []): Error[] {
  const errors: Error[] = [];
  for (const o of sock.runBatch(reqs)) {
    if (!o.ok && !ignoreErrno.includes(-o.error.errno)) errors.push(o.error);
  }
  return errors;
}

/** Sets the container-side link back to the host's own MTU, MAC and offload sizes, down. */
export function resetAttributes(ctr: NetlinkSocket, link: Link, original: HostOriginal): Error[] {
  const reqs: Request<void>[] = [];
  if (link.up) reqs.push(linkSetUp(link.index, false));
  if (original.mac !== undefined && link.mac !== original.mac) reqs.push(linkSetMac(link.index, original.mac));
  if (link.mtu !== original.mtu) reqs.push(linkSetMtu(link.index, original.mtu));
  const sizes = offloadDiff(link, original);
  if (sizes !== undefined) reqs.push(linkSetOffloadSizes(link.index, sizes));
  return runAll(ctr, reqs);
}

function offloadDiff(link: Link, o: HostOriginal): OffloadSizes | undefined {
  const s: OffloadSizes = {};
  let any = false;
  for (const k of ['gsoMaxSize', 'groMaxSize', 'gsoIPv4MaxSize', 'groIPv4MaxSize'] as const) {
    const want = o[k];
    if (want !== undefined && link[k] !== want) {
      s[k] = want;
      any = true;
    }
  }
  return any ? s : undefined;
}

/**
 * Moves the link at `containerIndex` back to the host netns under its original
 * name, then re-adds the host's own addresses and routes (a move flushes them)
 * and restores its up state. Throws on the move; collects the rest.
 */
export function moveHome(ctr: NetlinkSocket, host: NetlinkSocket, hostNetnsFd: number, containerIndex: number, original: HostOriginal): Error[] {
  ctr.run(linkSetNs({ index: containerIndex }, hostNetnsFd, original.name));
  const link = host.run(linkGet({ name: original.name }));
  return restoreHostConfig(host, link, original);
}

export function restoreHostConfig(host: NetlinkSocket, link: Link, original: HostOriginal): Error[] {
  const errors: Error[] = [];
  const present = new Set(host.run(addrList()).filter((a) => a.index === link.index).map((a) => `${Buffer.from(a.bytes).toString('base64')}/${a.prefixLength}`));
  // IPv6 host addresses come back with nodad: they passed DAD on this link before, and a tentative
  // address would make the routes restored below that use it as a source fail.
  const adds = original.addresses
    .filter((a) => !present.has(`${a.bytes}/${a.prefixLength}`))
    .map((a) => addrAdd(link.index, { family: a.family, bytes: fromB64(a.bytes), prefixLength: a.prefixLength }, { scope: a.scope, flags: a.family === 6 ? RTNL.IFA_F_NODAD : 0, text: a.text }));
  errors.push(...runAll(host, adds, [EEXIST]));
  if (original.up && !link.up) errors.push(...runAll(host, [linkSetUp(link.index, true)]));
  const routes = original.routes.map((r) => {
    const input = { family: r.family, dst: fromB64(r.dst), dstLength: r.dstLength, scope: r.scope, oif: link.index } as Parameters<typeof routeAdd>[0];
    if (r.gateway !== undefined) input.gateway = fromB64(r.gateway);
    if (r.prefSrc !== undefined) input.prefSrc = fromB64(r.prefSrc);
    return routeAdd(input, r.text);
  });
  errors.push(...runAll(host, routes, [EEXIST]));
  return errors;
}
