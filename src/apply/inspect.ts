/**
 * Read-only look at both network namespaces before anything changes, and the
 * checks that need the kernel's view (device exists, name free, limits).
 */
import { type FieldDescription, INTERFACE_FIELD_NAMES, INTERFACE_FIELDS } from '../config/interface-fields.js';
import type { DeviceSpec } from '../config/model.js';
import type { ValidationIssue } from '../errors.js';
import { type Addr, addrList, addrListOf } from '../netlink/addr.js';
import { RTNL } from '../netlink/constants.js';
import { type Link, linkGet, linkList } from '../netlink/link.js';
import { type Nexthop, nexthopList } from '../netlink/nexthop.js';
import { type Route, routeList, routeListVia } from '../netlink/route.js';
import type { NetlinkSocket } from '../netlink/socket.js';
import { linkKey } from './apply-interface.js';
import { readLinkState } from './link-attributes.js';
import { type DeviceIdentity, findByIdentity, identifies } from '../state/identity.js';

export interface NamespaceView {
  links: Link[];
  addrs: Addr[];
  routes: Route[];
  /** Read only when a route names a nexthop object. */
  nexthops: Nexthop[];
}

export function viewNamespace(sock: NetlinkSocket, what: { addrs?: boolean; routes?: boolean } = {}): NamespaceView {
  const reqs = [linkList()];
  const [links] = sock.runBatch(reqs);
  if (!links!.ok) throw links!.error;
  const addrs = what.addrs === true ? sock.run(addrList()) : [];
  const routes = what.routes === true ? sock.run(routeList()) : [];
  const nexthops = routes.some((r) => r.nhId !== undefined) ? sock.run(nexthopList()) : [];
  return { links: links!.value, addrs, routes, nexthops };
}

/**
 * Up to this many devices, the host is read device by device; past it, whole dumps are cheaper
 * (each filtered route dump still walks the kernel's whole table).
 */
export const PER_DEVICE_READS = 16;

/**
 * The host as a createRuntime needs it: the links named `names` (a name no link has as its
 * own is absent), their addresses, and the routes that use them. Up to PER_DEVICE_READS names the
 * kernel is asked for just those (a get per name; address and route dumps filtered by device on
 * the socket `filtering` opens, a strict-checking one, when some device exists), so a start costs
 * the same on a host with a thousand pods' links and routes as on an empty one (a whole view of
 * 500 links: 14 ms here). Past it, the whole view.
 */
export function viewHostDevices(sock: NetlinkSocket, filtering: () => NetlinkSocket, names: readonly string[]): NamespaceView {
  const unique = [...new Set(names)];
  if (unique.length > PER_DEVICE_READS) return viewNamespace(sock, { addrs: true, routes: true });
  const links: Link[] = [];
  sock.runBatch(unique.map((name) => linkGet({ name }))).forEach((o, i) => {
    // The kernel finds a device by an altname too; a createRuntime names devices by their name.
    if (o.ok && o.value.name === unique[i]) links.push(o.value);
    else if (!o.ok && o.error.code !== 'ENODEV') throw o.error;
  });
  const present: Link[] = [];
  const addrs: Addr[] = [];
  const routes: Route[] = [];
  const seen = new Set<string>();
  const filtered = links.length > 0 ? filtering() : sock;
  // One dump at a time: the kernel runs a single dump per socket (a second in the same batch fails EBUSY).
  for (const l of links) {
    const a = filtered.runBatch([addrListOf(l.index)])[0]!;
    const r = filtered.runBatch([routeListVia(l.index)])[0]!;
    // Gone since the get (deleted, moved): absent, as if the get had not found it.
    if ((!a.ok && a.error.code === 'ENODEV') || (!r.ok && r.error.code === 'ENODEV')) continue;
    if (!a.ok) throw a.error;
    if (!r.ok) throw r.error;
    present.push(l);
    addrs.push(...a.value);
    // A multipath route over two of the devices comes back in both dumps: listed once, as in a whole dump.
    for (const route of r.value) {
      const key = JSON.stringify(route);
      if (!seen.has(key)) {
        seen.add(key);
        routes.push(route);
      }
    }
  }
  const nexthops = routes.some((r) => r.nhId !== undefined) ? sock.run(nexthopList()) : [];
  return { links: present, addrs, routes, nexthops };
}

export interface DeviceTarget {
  spec: DeviceSpec;
  /**
   * The container-side name the device will get: the spec's name, or its `%d` template
   * resolved before anything moves (against the names in the container netns and every
   * fixed name asked for), so no rename can collide.
   */
  containerName: string;
  /** The device in the host netns; absent when the runtime already moved it. */
  hostLink?: Link;
  /** The device already in the container netns (moved natively by the runtime). */
  containerLink?: Link;
}

/**
 * Locates every device and checks what only the kernel can tell. Returns the
 * targets or the issues; nothing is changed either way.
 */
export function locateDevices(specs: readonly DeviceSpec[], host: NamespaceView, ctr: NamespaceView): { targets: DeviceTarget[]; issues: ValidationIssue[] } {
  const issues: ValidationIssue[] = [];
  const targets: DeviceTarget[] = [];
  const hostByName = new Map(host.links.map((l) => [l.name, l]));
  const ctrByName = new Map(ctr.links.map((l) => [l.name, l]));
  for (const spec of specs) {
    const issue = (field: string, message: string): void => {
      issues.push({ path: `${spec.path}${field}`, device: spec.hostName, message });
    };
    const hostLink = hostByName.get(spec.hostName);
    const templated = spec.containerName.includes('%');
    if (hostLink === undefined) {
      const already = templated ? undefined : ctrByName.get(spec.containerName);
      if (already !== undefined) {
        targets.push({ spec, containerName: already.name, containerLink: already });
        checkLimits(spec, already, issue);
      } else {
        issue('', `host device ${JSON.stringify(spec.hostName)} does not exist in the runtime's network namespace`);
      }
      continue;
    }
    if ((hostLink.flags & RTNL.IFF_LOOPBACK) !== 0) {
      issue('', `${JSON.stringify(spec.hostName)} is a loopback device and cannot be moved`);
      continue;
    }
    if (!templated && ctrByName.has(spec.containerName)) {
      issue('', `name ${JSON.stringify(spec.containerName)} is already used in the container's network namespace`);
      continue;
    }
    checkLimits(spec, hostLink, issue);
    targets.push({ spec, containerName: spec.containerName, hostLink });
  }
  resolveTemplates(targets, ctr, issues);
  return { targets, issues };
}

/**
 * Gives every `%d` template the lowest free number, as the kernel's dev_alloc_name() would,
 * but knowing all the fixed names first: `eth%d` next to a fixed `eth0` becomes eth1.
 */
function resolveTemplates(targets: DeviceTarget[], ctr: NamespaceView, issues: ValidationIssue[]): void {
  const used = new Set(ctr.links.map((l) => l.name));
  for (const t of targets) if (t.hostLink !== undefined && !t.containerName.includes('%')) used.add(t.containerName);
  for (const t of targets) {
    if (t.hostLink === undefined || !t.containerName.includes('%d')) continue;
    const [head, tail] = [t.spec.containerName.slice(0, t.spec.containerName.indexOf('%d')), t.spec.containerName.slice(t.spec.containerName.indexOf('%d') + 2)];
    let name: string | undefined;
    for (let n = 0; n < 32768 && name === undefined; n++) {
      const candidate = `${head}${n}${tail}`;
      if (Buffer.byteLength(candidate) > 15) break;
      if (!used.has(candidate)) name = candidate;
    }
    if (name === undefined) {
      issues.push({ path: t.spec.path, device: t.spec.hostName, message: `no free name for template ${JSON.stringify(t.spec.containerName)} in the container's network namespace` });
      continue;
    }
    used.add(name);
    t.containerName = name;
  }
}

function checkLimits(spec: DeviceSpec, link: Link, issue: (field: string, message: string) => void): void {
  if (spec.mtu !== undefined) {
    if (link.maxMtu !== undefined && link.maxMtu > 0 && spec.mtu > link.maxMtu) {
      issue('.mtu', `MTU ${spec.mtu} is above the device's maximum ${link.maxMtu}`);
    }
    if (link.minMtu !== undefined && spec.mtu < link.minMtu) {
      issue('.mtu', `MTU ${spec.mtu} is below the device's minimum ${link.minMtu}`);
    }
  }
  const now = readLinkState(link);
  for (const field of INTERFACE_FIELD_NAMES) {
    const d: FieldDescription = INTERFACE_FIELDS[field];
    const wanted = spec[field];
    if (wanted === undefined) continue;
    // The kernel reports every attribute it knows in a link dump: absence means it cannot set it either.
    if (d.needs !== undefined && now[linkKey(field)] === undefined) {
      issue(`.networkConfig.interface.${field}`, `this kernel does not support ${d.needs.attribute} (needs ${d.needs.since} or later)`);
    } else if (d.tsoBounded === true && link.tsoMaxSize !== undefined && (wanted as number) > link.tsoMaxSize) {
      issue(`.networkConfig.interface.${field}`, `${wanted} is above the device's TSO limit ${link.tsoMaxSize}`);
    }
  }
}

/**
 * The container-side link a device became, found after the move by its identity (the
 * kernel gives a new ifindex when the old one is taken in the target netns, and keeps the
 * host name when it refused the rename); `claimed` are links already spoken for.
 */
export function findMoved(identity: DeviceIdentity, claimed: ReadonlySet<number>, after: readonly Link[]): Link | undefined {
  return findByIdentity(after.filter((l) => !claimed.has(l.index) && (l.flags & RTNL.IFF_LOOPBACK) === 0), identity, 'container');
}

/**
 * `got`, the link a get by the device's container name returned, when it is the one findMoved
 * would pick from a whole dump: it kept the host ifindex (the kernel keeps it unless the index is
 * taken in the target netns), is unclaimed and not loopback, and has the device's identity;
 * findByIdentity prefers that index among candidates. Otherwise undefined, and the dump decides.
 */
export function movedAsNamed(identity: DeviceIdentity, claimed: ReadonlySet<number>, got: Link): Link | undefined {
  const plain = !claimed.has(got.index) && (got.flags & RTNL.IFF_LOOPBACK) === 0;
  return plain && got.index === identity.hostIndex && identifies(got, identity, 'container') ? got : undefined;
}
