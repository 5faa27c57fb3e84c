/**
 * FakeRtnlKernel: an in-memory rtnetlink "kernel" that implements the
 * NetlinkSocket Transport, for unit tests of anything that talks rtnetlink
 * (apply planning, undo, restore) without root.
 *
 * Model
 * - A world of network namespaces, each a string label ('host' by default).
 *   Links live in one namespace; ifindexes are unique per namespace.
 * - One FakeRtnlKernel is one socket opened in one namespace. Siblings that
 *   share the world come from `kernel.inNetns('ctr')`.
 * - Netns fds: `nsFds` maps an fd number to a namespace label; IFLA_NET_NS_FD
 *   with that fd moves the link there (it goes down, loses its addresses and
 *   routes, keeps its ifindex unless taken there, takes IFLA_IFNAME if given).
 *
 * Understood requests (parsed with the project's own decoders)
 * - RTM_GETLINK by index, by IFLA_IFNAME (15 bytes at most) or IFLA_ALT_IFNAME, or NLM_F_DUMP
 * - RTM_NEWLINK/RTM_SETLINK on an existing link: IFLA_NET_NS_FD, IFLA_IFNAME
 *   (rename), IFLA_MTU (checked against minMtu/maxMtu), IFLA_ADDRESS, the four
 *   GSO/GRO size attributes, IFLA_TXQLEN, IFLA_IFALIAS (empty: removed),
 *   IFLA_GROUP, IFF_UP/IFF_PROMISC/IFF_ALLMULTI/IFF_NOARP through
 *   ifi_flags/ifi_change. Names and altnames share one namespace per netns: a
 *   rename, an altname or a move onto a taken one is EEXIST (as the kernel's
 *   move refuses a device whose altname is taken in the target netns).
 * - RTM_NEWLINKPROP/RTM_DELLINKPROP: IFLA_PROP_LIST of IFLA_ALT_IFNAME
 * - RTM_NEWADDR (EEXIST with NLM_F_EXCL), RTM_DELADDR, RTM_GETADDR dump; an
 *   address keeps its peer, broadcast, label, flags, metric, proto and
 *   lifetimes (IFA_F_PERMANENT when its valid lifetime is forever)
 * - RTM_NEWROUTE (EXCL / REPLACE), RTM_DELROUTE, RTM_GETROUTE dump; a route
 *   keeps table, protocol, type, metric, flags and next hops (RTA_MULTIPATH);
 *   routes of different metrics are different routes. An IPv4 gateway must be
 *   on a subnet of an address of the device unless the route is onlink
 *   (RTNH_F_ONLINK): else ENETUNREACH, as the kernel's fib_check_nh.
 * - RTM_NEWLINK with NLM_F_CREATE and IFLA_LINKINFO: a new link of that kind,
 *   only for kinds in `drivers` (else EOPNOTSUPP "Unknown device type", as a
 *   kernel without the module); vrf and ipvlan validate their IFLA_INFO_DATA
 *   like the drivers do; IFLA_MASTER enslaves (to a vrf), RTM_DELLINK deletes
 * Anything else is answered EOPNOTSUPP. Every request is answered like the
 * kernel with NETLINK_CAP_ACK + NETLINK_EXT_ACK: replies, then an ack (or a
 * NLMSG_DONE for dumps), errors with the kernel's text as NLMSGERR_ATTR_MSG.
 *
 * Failure injection: `kernel.fail(errno, message, { nth })` fails the nth
 * request (1-based, counted over the whole world), `{ type }` every request of
 * a message type, `{ when }` any request a predicate picks; `times` limits how
 * often. A failed request changes nothing. Dumps fail with an error in DONE.
 *
 * Inspection: `links()`, `link(nameOrIndex, netns?)`, `addrs(netns?)`,
 * `routes(netns?)`, `requests` (every request decoded, in order), `sent`
 * (raw sends of this socket), `queued` (messages not yet received).
 * `maxDatagramBytes` splits replies over several recv() calls.
 * recv() with nothing queued throws instead of blocking.
 *
 * Kernel behaviours: `interruptDumps(times)` answers the next `times` dumps with
 * NLM_F_DUMP_INTR on every part and on DONE (the table changed while it was
 * read); `silence(match)` leaves matching requests unanswered, and a recv() with
 * nothing queued then fails EAGAIN as the native socket does when its receive
 * timeout (SO_RCVTIMEO) expires.
 */
import { constants as os } from 'node:os';
import { type Addr, decodeAddr, encodeCacheInfo } from '../../src/netlink/addr.js';
import { type Attr, AttrSet, align4, attr, hostLittleEndian as LE } from '../../src/netlink/attr.js';
import { KINDS, NL, RTNL, RTNL3 } from '../../src/netlink/constants.js';
import { type IncomingMessage, type OutgoingMessage, decodeMessages, messageLength, writeMessage } from '../../src/netlink/message.js';
import { bytesToMac } from '../../src/netlink/link.js';
import { decodeRoute, encodeMultipath, type Route } from '../../src/netlink/route.js';
import { IFADDRMSG_LEN, IFINFOMSG_LEN, RTMSG_LEN, decodeIfAddr, decodeIfInfo, encodeIfAddr, encodeIfInfo, encodeRtMsg } from '../../src/netlink/rtnl-headers.js';
import type { Transport } from '../../src/netlink/socket.js';

export const E = os.errno;
const { RTM_DELLINK, IFLA_MASTER, IFLA_LINK, IFLA_INFO_DATA, IFLA_VRF_TABLE, IFLA_IPVLAN_MODE, IPVLAN_MODE_MAX } = KINDS;

export interface FakeLink {
  index: number;
  name: string;
  netns: string;
  mtu: number;
  up: boolean;
  mac?: string;
  minMtu?: number;
  maxMtu?: number;
  kind?: string;
  /** ifindex of the master (a vrf), IFLA_MASTER. */
  master?: number;
  /** The parent of an ipvlan child (IFLA_LINK; its netns may differ). */
  parent?: number;
  gsoMaxSize?: number;
  groMaxSize?: number;
  gsoIPv4MaxSize?: number;
  groIPv4MaxSize?: number;
  txqlen?: number;
  ifalias?: string;
  group?: number;
  altnames?: string[];
  promisc?: boolean;
  allmulti?: boolean;
  noarp?: boolean;
}

export type FakeLinkInit = Partial<FakeLink> & { name: string };

export interface FakeAddr extends Addr {
  netns: string;
}

export interface FakeRoute extends Route {
  netns: string;
}

export interface FakeRequest {
  /** 1-based position over every request the world received. */
  n: number;
  netns: string;
  message: IncomingMessage;
}

export interface FailureMatch {
  nth?: number;
  type?: number;
  when?: (req: FakeRequest) => boolean;
  /** How many matching requests fail; default 1 for `nth`, unlimited otherwise. */
  times?: number;
}

interface Failure {
  match: FailureMatch;
  errno: number;
  message: string | undefined;
  left: number;
}

interface World {
  links: FakeLink[];
  addrs: FakeAddr[];
  routes: FakeRoute[];
  nsFds: Map<number, string>;
  failures: Failure[];
  requests: FakeRequest[];
  nextIndex: number;
  drivers: Set<string>;
  dumpInterrupts: number;
  silenced: FailureMatch[];
}

export interface FakeKernelOptions {
  /** Namespace this socket is in; default 'host'. */
  netns?: string;
  links?: FakeLinkInit[];
  /** fd -> namespace label, for IFLA_NET_NS_FD. */
  nsFds?: Record<number, string>;
  maxDatagramBytes?: number;
  /**
   * NETLINK_GET_STRICT_CHK: address dumps honour ifa_index and route dumps RTA_OIF (an unknown
   * device: ENODEV), as the kernel does on such a socket; without it both list everything.
   */
  strictCheck?: boolean;
  /** Link kinds RTM_NEWLINK can create (kernel drivers present); default none. */
  drivers?: string[];
}

class KernelError extends Error {
  constructor(
    readonly errno: number,
    readonly text?: string,
  ) {
    super(text);
  }
}

const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

export class FakeRtnlKernel implements Transport {
  readonly netns: string;
  readonly strictCheck: boolean;
  /** Raw buffers given to send() on this socket. */
  readonly sent: Uint8Array[] = [];
  maxDatagramBytes: number;
  closed = false;
  private readonly world: World;
  private readonly queue: Uint8Array[] = [];
  private dumpRunning = false;

  constructor(opts: FakeKernelOptions = {}, world?: World) {
    this.netns = opts.netns ?? 'host';
    this.strictCheck = opts.strictCheck === true;
    this.maxDatagramBytes = opts.maxDatagramBytes ?? 32 * 1024;
    this.world = world ?? { links: [], addrs: [], routes: [], nsFds: new Map(), failures: [], requests: [], nextIndex: 1, drivers: new Set(), dumpInterrupts: 0, silenced: [] };
    for (const d of opts.drivers ?? []) this.world.drivers.add(d);
    for (const [fd, ns] of Object.entries(opts.nsFds ?? {})) this.world.nsFds.set(Number(fd), ns);
    for (const l of opts.links ?? []) this.addLink(l);
  }

  /** Another socket on the same world, opened in `netns`. */
  inNetns(netns: string, opts: { maxDatagramBytes?: number; strictCheck?: boolean } = {}): FakeRtnlKernel {
    return new FakeRtnlKernel({ netns, maxDatagramBytes: opts.maxDatagramBytes ?? this.maxDatagramBytes, strictCheck: opts.strictCheck ?? false }, this.world);
  }

  // ---- world set-up and inspection ------------------------------------------------

  addLink(init: FakeLinkInit): FakeLink {
    const netns = init.netns ?? this.netns;
    const index = init.index ?? this.freeIndex(netns);
    if (this.find(index, netns) !== undefined || this.find(init.name, netns) !== undefined) throw new Error(`fake kernel: link ${init.name}/${index} already exists in ${netns}`);
    const link: FakeLink = { mtu: 1500, up: false, ...init, index, netns };
    this.world.links.push(link);
    this.world.nextIndex = Math.max(this.world.nextIndex, index + 1);
    return link;
  }

  addAddr(a: Omit<FakeAddr, 'netns' | 'scope' | 'flags'> & { netns?: string; scope?: number; flags?: number }): FakeAddr {
    const full: FakeAddr = { scope: RTNL.RT_SCOPE_UNIVERSE, flags: RTNL.IFA_F_PERMANENT, ...a, netns: a.netns ?? this.netns };
    this.world.addrs.push(full);
    return full;
  }

  addRoute(r: Omit<FakeRoute, 'netns' | 'table' | 'protocol' | 'type'> & { netns?: string; table?: number; protocol?: number; type?: number }): FakeRoute {
    const full: FakeRoute = { table: RTNL.RT_TABLE_MAIN, protocol: RTNL.RTPROT_BOOT, type: RTNL.RTN_UNICAST, ...r, netns: r.netns ?? this.netns };
    this.world.routes.push(full);
    return full;
  }

  setNsFd(fd: number, netns: string): void {
    this.world.nsFds.set(fd, netns);
  }

  /** Every link of every namespace. */
  links(): FakeLink[] {
    return [...this.world.links];
  }

  link(ref: string | number, netns: string = this.netns): FakeLink | undefined {
    return this.find(ref, netns);
  }

  addrs(netns: string = this.netns): FakeAddr[] {
    return this.world.addrs.filter((a) => a.netns === netns);
  }

  routes(netns: string = this.netns): FakeRoute[] {
    return this.world.routes.filter((r) => r.netns === netns);
  }

  get requests(): readonly FakeRequest[] {
    return this.world.requests;
  }

  get queued(): number {
    return this.queue.length;
  }

  /** Makes matching requests fail with `errno` (positive, e.g. E.EBUSY) and the kernel text `message`. */
  fail(errno: number, message: string | undefined, match: FailureMatch): this {
    this.world.failures.push({ match, errno, message, left: match.times ?? (match.nth !== undefined ? 1 : Infinity) });
    return this;
  }

  /** The next `times` dumps come back marked NLM_F_DUMP_INTR. */
  interruptDumps(times: number): this {
    this.world.dumpInterrupts += times;
    return this;
  }

  /** Requests matching `match` get no answer at all (a kernel that never answers). */
  silence(match: FailureMatch): this {
    this.world.silenced.push(match);
    return this;
  }

  // ---- Transport ------------------------------------------------------------------

  send(data: Uint8Array): void {
    if (this.closed) throw new Error('fake kernel: send on a closed socket');
    this.sent.push(Uint8Array.from(data));
    // A dump that answered anything is still running when the send returns (its DONE comes from
    // a later read), and a socket runs one dump at a time: the next dump of the batch gets EBUSY.
    this.dumpRunning = false;
    for (const m of decodeMessages(data)) this.handle(m);
  }

  recv(): Uint8Array {
    if (this.closed) throw new Error('fake kernel: recv on a closed socket');
    if (this.queue.length === 0 && this.world.silenced.length > 0) {
      // What the native shim throws when SO_RCVTIMEO expires.
      throw Object.assign(new Error('EAGAIN: Resource temporarily unavailable, recv'), { errno: -E.EAGAIN, code: 'EAGAIN', syscall: 'recv' });
    }
    if (this.queue.length === 0) throw new Error('fake kernel: recv() with nothing queued (the real socket would block forever)');
    const parts: Uint8Array[] = [];
    let size = 0;
    while (this.queue.length > 0 && (parts.length === 0 || size + this.queue[0]!.length <= this.maxDatagramBytes)) {
      const m = this.queue.shift()!;
      parts.push(m);
      size += m.length;
    }
    return Buffer.concat(parts);
  }

  close(): void {
    this.closed = true;
  }

  // ---- request handling -------------------------------------------------------------

  private handle(m: IncomingMessage): void {
    const req: FakeRequest = { n: this.world.requests.length + 1, netns: this.netns, message: m };
    this.world.requests.push(req);
    const dump = (m.flags & NL.NLM_F_DUMP) === NL.NLM_F_DUMP && (m.type === RTNL.RTM_GETLINK || m.type === RTNL.RTM_GETADDR || m.type === RTNL.RTM_GETROUTE);
    const failure = this.world.failures.find((f) => f.left > 0 && this.matches(f.match, req));
    if (failure !== undefined) {
      failure.left--;
      if (dump) this.reply(m, { type: NL.NLMSG_DONE, flags: NL.NLM_F_MULTI, header: errnoBytes(-failure.errno), attrs: [] });
      else this.ack(m, failure.errno, failure.message);
      return;
    }
    if (this.world.silenced.some((f) => this.matches(f, req))) return;
    if (dump && this.dumpRunning) {
      this.ack(m, E.EBUSY);
      return;
    }
    let intr = 0;
    if (dump && this.world.dumpInterrupts > 0) {
      this.world.dumpInterrupts--;
      intr = NL.NLM_F_DUMP_INTR;
    }
    try {
      const replies = this.dispatch(m, dump);
      if (dump && replies.length > 0) this.dumpRunning = true;
      for (const r of replies) this.reply(m, { ...r, flags: r.flags | intr });
      if (dump) this.reply(m, { type: NL.NLMSG_DONE, flags: NL.NLM_F_MULTI | intr, header: errnoBytes(0), attrs: [] });
      else if ((m.flags & NL.NLM_F_ACK) !== 0) this.ack(m, 0);
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      this.ack(m, e.errno, e.text);
    }
  }

  private matches(f: FailureMatch, req: FakeRequest): boolean {
    if (f.nth !== undefined && f.nth !== req.n) return false;
    if (f.type !== undefined && f.type !== req.message.type) return false;
    if (f.when !== undefined && !f.when(req)) return false;
    return true;
  }

  private dispatch(m: IncomingMessage, dump: boolean): OutgoingMessage[] {
    switch (m.type) {
      case RTNL.RTM_GETLINK:
        if (dump) return this.world.links.filter((l) => l.netns === this.netns).map((l) => ({ ...linkMessage(l), flags: NL.NLM_F_MULTI }));
        return [linkMessage(this.target(m))];
      case RTNL.RTM_NEWLINK:
      case RTNL.RTM_SETLINK:
        if (m.type === RTNL.RTM_NEWLINK && (m.flags & NL.NLM_F_CREATE) !== 0) this.createLink(m);
        else this.setLink(m);
        return [];
      case RTM_DELLINK:
        this.delLink(m);
        return [];
      case RTNL3.RTM_NEWLINKPROP:
      case RTNL3.RTM_DELLINKPROP:
        this.linkProp(m);
        return [];
      case RTNL.RTM_NEWADDR:
        this.newAddr(m);
        return [];
      case RTNL.RTM_DELADDR:
        this.delAddr(m);
        return [];
      case RTNL.RTM_GETADDR:
        if (!dump) throw new KernelError(E.EOPNOTSUPP);
        return this.addrs().filter((a) => this.dumpedDevice(m, a.index)).map((a) => ({ ...addrMessage(a), flags: NL.NLM_F_MULTI }));
      case RTNL.RTM_NEWROUTE:
        this.newRoute(m);
        return [];
      case RTNL.RTM_DELROUTE:
        this.delRoute(m);
        return [];
      case RTNL.RTM_GETROUTE:
        if (!dump) throw new KernelError(E.EOPNOTSUPP);
        return this.routes().filter((r) => this.dumpedDevice(m, r.oif, r.nexthopOifs)).map((r) => ({ ...routeMessage(r), flags: NL.NLM_F_MULTI }));
      default:
        throw new KernelError(E.EOPNOTSUPP, `fake kernel: message type ${m.type} not modelled`);
    }
  }

  /**
   * Whether a dump lists an entry of device `index` (or using the devices `also`): always,
   * unless the socket checks strictly and the request names a device (ifa_index, RTA_OIF).
   */
  private dumpedDevice(m: IncomingMessage, index: number, also: readonly number[] = []): boolean {
    if (!this.strictCheck) return true;
    const wanted = m.type === RTNL.RTM_GETADDR ? decodeIfAddr(m.payload).index : new AttrSet(m.payload, RTMSG_LEN).u32(RTNL.RTA_OIF) ?? 0;
    if (wanted === 0) return true;
    if (this.find(wanted, this.netns) === undefined) throw new KernelError(E.ENODEV);
    return index === wanted || also.includes(wanted);
  }

  private find(ref: string | number, netns: string): FakeLink | undefined {
    return this.world.links.find((l) => l.netns === netns && (typeof ref === 'number' ? l.index === ref : l.name === ref));
  }

  /** The link in `netns` that has `name` as its name or an altname. */
  private holder(name: string, netns: string): FakeLink | undefined {
    return this.world.links.find((l) => l.netns === netns && (l.name === name || (l.altnames ?? []).includes(name)));
  }

  private linkProp(m: IncomingMessage): void {
    const link = this.target(m);
    const props = new AttrSet(m.payload, IFINFOMSG_LEN).nested(RTNL3.IFLA_PROP_LIST);
    const names = (props?.all ?? []).filter((x) => x.type === RTNL3.IFLA_ALT_IFNAME).map((x) => Buffer.from(x.data).toString('utf8').replace(/\0.*$/s, ''));
    if (names.length === 0) throw new KernelError(E.EINVAL);
    const have = link.altnames ?? [];
    if (m.type === RTNL3.RTM_NEWLINKPROP) {
      for (const n of names) if (this.holder(n, link.netns) !== undefined) throw new KernelError(E.EEXIST);
      link.altnames = [...have, ...names];
    } else {
      for (const n of names) if (!have.includes(n)) throw new KernelError(E.ENOENT);
      link.altnames = have.filter((n) => !names.includes(n));
    }
  }

  private freeIndex(netns: string): number {
    let i = this.world.nextIndex;
    while (this.find(i, netns) !== undefined) i++;
    this.world.nextIndex = i + 1;
    return i;
  }

  /** The link a link request names: ifi_index when non-zero, else IFLA_IFNAME (like the kernel). */
  private target(m: IncomingMessage): FakeLink {
    const h = decodeIfInfo(m.payload);
    const a = new AttrSet(m.payload, IFINFOMSG_LEN);
    const ifname = a.str(RTNL.IFLA_IFNAME);
    // The kernel's policy caps IFLA_IFNAME at IFNAMSIZ-1 bytes; a longer (alt)name is looked up by IFLA_ALT_IFNAME.
    if (ifname !== undefined && Buffer.byteLength(ifname) > 15) throw new KernelError(E.EINVAL, 'Attribute failed policy validation');
    const name = ifname ?? a.str(RTNL3.IFLA_ALT_IFNAME);
    // The kernel finds a device by name among its altnames too (one table of names per netns).
    const byName = (n: string): FakeLink | undefined => this.find(n, this.netns) ?? this.world.links.find((l) => l.netns === this.netns && (l.altnames ?? []).includes(n));
    const link = h.index > 0 ? this.find(h.index, this.netns) : name !== undefined ? byName(name) : undefined;
    if (link === undefined) throw new KernelError(E.ENODEV);
    return link;
  }

  private setLink(m: IncomingMessage): void {
    const link = this.target(m);
    const h = decodeIfInfo(m.payload);
    const a = new AttrSet(m.payload, IFINFOMSG_LEN);
    // Validate everything first: a refused request changes nothing.
    const fd = a.u32(RTNL.IFLA_NET_NS_FD);
    const toNs = fd === undefined ? undefined : this.world.nsFds.get(fd);
    if (fd !== undefined && toNs === undefined) throw new KernelError(E.EBADF);
    const ns = toNs ?? link.netns;
    const rename = h.index > 0 ? a.str(RTNL.IFLA_IFNAME) : undefined;
    const newName = rename ?? link.name;
    const clash = this.holder(newName, ns);
    if (clash !== undefined && clash !== link) throw new KernelError(E.EEXIST, toNs !== undefined ? 'A device with the same name exists in the target netns' : undefined);
    if (toNs !== undefined && toNs !== link.netns && (link.altnames ?? []).some((n) => this.holder(n, toNs) !== undefined)) throw new KernelError(E.EEXIST);
    const mtu = a.u32(RTNL.IFLA_MTU);
    if (mtu !== undefined && link.minMtu !== undefined && mtu < link.minMtu) throw new KernelError(E.EINVAL, `mtu less than device minimum`);
    if (mtu !== undefined && link.maxMtu !== undefined && mtu > link.maxMtu) throw new KernelError(E.EINVAL, `mtu greater than device maximum`);
    const mac = a.raw(RTNL.IFLA_ADDRESS);
    if (mac !== undefined && mac.length !== 6) throw new KernelError(E.EINVAL);
    const master = a.u32(IFLA_MASTER);
    if (master !== undefined && master !== 0 && this.find(master, link.netns)?.kind !== 'vrf') throw new KernelError(master === link.index ? E.ELOOP : E.EINVAL, 'fake kernel: only a vrf can be a master here');

    if (toNs !== undefined && toNs !== link.netns) {
      this.world.addrs = this.world.addrs.filter((x) => !(x.netns === link.netns && x.index === link.index));
      this.world.routes = this.world.routes.filter((x) => !(x.netns === link.netns && (x.oif === link.index || x.nexthopOifs.includes(link.index))));
      if (this.find(link.index, toNs) !== undefined) link.index = this.freeIndex(toNs);
      link.netns = toNs;
      link.up = false;
      delete link.master;
    }
    if (master !== undefined) {
      if (master === 0) delete link.master;
      else link.master = master;
    }
    link.name = newName;
    if (mtu !== undefined) link.mtu = mtu;
    if (mac !== undefined) link.mac = bytesToMac(mac);
    const sizes = [
      ['gsoMaxSize', RTNL.IFLA_GSO_MAX_SIZE],
      ['groMaxSize', RTNL.IFLA_GRO_MAX_SIZE],
      ['gsoIPv4MaxSize', RTNL.IFLA_GSO_IPV4_MAX_SIZE],
      ['groIPv4MaxSize', RTNL.IFLA_GRO_IPV4_MAX_SIZE],
    ] as const;
    for (const [key, type] of sizes) {
      const v = a.u32(type);
      if (v !== undefined) link[key] = v;
    }
    if ((h.change & RTNL.IFF_UP) !== 0) link.up = (h.flags & RTNL.IFF_UP) !== 0;
    for (const [key, bit] of [['promisc', RTNL3.IFF_PROMISC], ['allmulti', RTNL3.IFF_ALLMULTI], ['noarp', RTNL3.IFF_NOARP]] as const) {
      if ((h.change & bit) !== 0) link[key] = (h.flags & bit) !== 0;
    }
    const txqlen = a.u32(RTNL3.IFLA_TXQLEN);
    if (txqlen !== undefined) link.txqlen = txqlen;
    const alias = a.raw(RTNL3.IFLA_IFALIAS);
    if (alias !== undefined) {
      const text = Buffer.from(alias).toString('utf8').replace(/\0.*$/s, '');
      if (text === '') delete link.ifalias;
      else link.ifalias = text;
    }
    const group = a.u32(RTNL3.IFLA_GROUP);
    if (group !== undefined) link.group = group;
  }

  private createLink(m: IncomingMessage): void {
    const a = new AttrSet(m.payload, IFINFOMSG_LEN);
    const info = a.nested(RTNL.IFLA_LINKINFO);
    const kind = info?.str(RTNL.IFLA_INFO_KIND);
    if (kind === undefined) throw new KernelError(E.EINVAL, 'fake kernel: creating a link needs IFLA_INFO_KIND');
    if (!this.world.drivers.has(kind)) throw new KernelError(E.EOPNOTSUPP, 'Unknown device type');
    const data = info!.nested(IFLA_INFO_DATA);
    let parent: FakeLink | undefined;
    if (kind === 'vrf') {
      if (data === undefined) throw new KernelError(E.EINVAL, 'VRF properties are required');
      if (data.u32(IFLA_VRF_TABLE) === undefined) throw new KernelError(E.EINVAL, 'VRF table id is missing');
    } else if (kind === 'ipvlan') {
      const mode = data?.u16(IFLA_IPVLAN_MODE);
      if (mode !== undefined && mode >= IPVLAN_MODE_MAX) throw new KernelError(E.EINVAL);
      const link = a.u32(IFLA_LINK);
      parent = link === undefined ? undefined : this.find(link, this.netns);
      if (parent === undefined) throw new KernelError(E.EINVAL, 'fake kernel: ipvlan needs IFLA_LINK');
    }
    const fd = a.u32(RTNL.IFLA_NET_NS_FD);
    const ns = fd === undefined ? this.netns : this.world.nsFds.get(fd);
    if (ns === undefined) throw new KernelError(E.EBADF);
    const name = a.str(RTNL.IFLA_IFNAME);
    if (name === undefined) throw new KernelError(E.EINVAL, 'fake kernel: give the new link a name');
    if (this.find(name, ns) !== undefined) throw new KernelError(E.EEXIST);
    const index = this.freeIndex(ns);
    this.world.links.push({
      index, name, netns: ns, kind, mtu: parent?.mtu ?? (kind === 'vrf' ? 65575 : 1500), up: false,
      mac: parent?.mac ?? `02:00:00:00:${(index >> 8 & 0xff).toString(16).padStart(2, '0')}:${(index & 0xff).toString(16).padStart(2, '0')}`,
      ...(parent !== undefined ? { parent: parent.index } : {}),
    });
  }

  private delLink(m: IncomingMessage): void {
    const link = this.target(m);
    this.world.links = this.world.links.filter((l) => l !== link);
    this.world.addrs = this.world.addrs.filter((x) => !(x.netns === link.netns && x.index === link.index));
    this.world.routes = this.world.routes.filter((x) => !(x.netns === link.netns && x.oif === link.index));
    for (const l of this.world.links) if (l.netns === link.netns && l.master === link.index) delete l.master;
  }

  private newAddr(m: IncomingMessage): void {
    const a = decodeAddr(m);
    if (this.find(a.index, this.netns) === undefined) throw new KernelError(E.ENODEV);
    const same = this.addrs().find((x) => x.index === a.index && x.family === a.family && bytesEqual(x.bytes, a.bytes));
    if (same !== undefined) {
      if ((m.flags & NL.NLM_F_EXCL) !== 0) throw new KernelError(E.EEXIST);
      return;
    }
    const finite = a.cacheInfo !== undefined && a.cacheInfo.valid !== RTNL3.IFA_INFINITY_LIFETIME;
    const flags = finite ? a.flags & ~RTNL.IFA_F_PERMANENT : a.flags | RTNL.IFA_F_PERMANENT;
    this.world.addrs.push({ ...a, flags, netns: this.netns });
  }

  private delAddr(m: IncomingMessage): void {
    const a = decodeAddr(m);
    const i = this.world.addrs.findIndex((x) => x.netns === this.netns && x.index === a.index && x.family === a.family && bytesEqual(x.bytes, a.bytes) && x.prefixLength === a.prefixLength);
    if (i < 0) throw new KernelError(E.EADDRNOTAVAIL);
    this.world.addrs.splice(i, 1);
  }

  private sameDst(x: Route, r: Route): boolean {
    return x.family === r.family && x.table === r.table && x.dstLength === r.dstLength && bytesEqual(x.dst, r.dst) && (x.priority ?? 0) === (r.priority ?? 0);
  }

  /** fib_check_nh: an IPv4 gateway must be on a subnet of the device (or the route onlink). */
  private reachable(r: Route, oif: number, gateway: Uint8Array | undefined, flags: number): boolean {
    if (r.family !== 4 || gateway === undefined || (flags & RTNL3.RTNH_F_ONLINK) !== 0) return true;
    const inSubnet = (a: FakeAddr): boolean => {
      const bits = a.prefixLength;
      for (let i = 0; i < 4; i++) {
        const m = bits >= (i + 1) * 8 ? 0xff : bits <= i * 8 ? 0 : (0xff << (8 - (bits - i * 8))) & 0xff;
        if (((a.bytes[i] ?? 0) & m) !== ((gateway[i] ?? 0) & m)) return false;
      }
      return true;
    };
    const onLink = this.addrs().some((a) => a.index === oif && a.family === 4 && (a.flags & RTNL3.IFA_F_NOPREFIXROUTE) === 0 && inSubnet(a));
    const viaRoute = this.routes().some((x) => x.oif === oif && x.family === 4 && x.gateway === undefined && inSubnet({ ...x, bytes: x.dst, prefixLength: x.dstLength, index: oif, flags: 0, netns: this.netns }));
    return onLink || viaRoute;
  }

  private newRoute(m: IncomingMessage): void {
    const r = decodeRoute(m);
    const hops = r.nexthops ?? [{ oif: r.oif, gateway: r.gateway, flags: r.flags ?? 0, hops: 0 }];
    for (const n of hops) {
      if (this.find(n.oif, this.netns) === undefined) throw new KernelError(E.ENODEV);
      if (!this.reachable(r, n.oif, n.gateway, (r.flags ?? 0) | n.flags)) throw new KernelError(E.ENETUNREACH, 'Nexthop has invalid gateway');
    }
    const i = this.world.routes.findIndex((x) => x.netns === this.netns && this.sameDst(x, r));
    if (i >= 0) {
      if ((m.flags & NL.NLM_F_REPLACE) !== 0) {
        this.world.routes[i] = { ...r, netns: this.netns };
        return;
      }
      throw new KernelError(E.EEXIST);
    }
    this.world.routes.push({ ...r, netns: this.netns });
  }

  private delRoute(m: IncomingMessage): void {
    const r = decodeRoute(m);
    const i = this.world.routes.findIndex((x) => x.netns === this.netns && this.sameDst(x, r) && (r.oif === 0 || x.oif === r.oif));
    if (i < 0) throw new KernelError(E.ESRCH);
    this.world.routes.splice(i, 1);
  }

  // ---- replies ----------------------------------------------------------------------

  private reply(req: IncomingMessage, m: OutgoingMessage): void {
    const out = new Uint8Array(align4(messageLength(m)));
    writeMessage(out, 0, m, req.seq);
    this.queue.push(out);
  }

  /** NLMSG_ERROR as with NETLINK_CAP_ACK: the request's header only, then the extended-ack TLVs. */
  private ack(req: IncomingMessage, errno: number, text?: string): void {
    const header = new Uint8Array(4 + 16);
    const v = new DataView(header.buffer);
    v.setInt32(0, -errno, LE);
    v.setUint32(4, 16 + req.payload.length, LE);
    v.setUint16(8, req.type, LE);
    v.setUint16(10, req.flags, LE);
    v.setUint32(12, req.seq, LE);
    v.setUint32(16, req.pid, LE);
    const attrs: Attr[] = text !== undefined && errno !== 0 ? [attr.str(NL.NLMSGERR_ATTR_MSG, text)] : [];
    this.reply(req, { type: NL.NLMSG_ERROR, flags: NL.NLM_F_CAPPED | (attrs.length > 0 ? NL.NLM_F_ACK_TLVS : 0), header, attrs });
  }
}

function errnoBytes(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, LE);
  return b;
}

function linkMessage(l: FakeLink): OutgoingMessage {
  const attrs: Attr[] = [attr.str(RTNL.IFLA_IFNAME, l.name), attr.u32(RTNL.IFLA_MTU, l.mtu)];
  if (l.mac !== undefined) attrs.push(attr.bytes(RTNL.IFLA_ADDRESS, Uint8Array.from(l.mac.split(':').map((h) => parseInt(h, 16)))));
  if (l.minMtu !== undefined) attrs.push(attr.u32(RTNL.IFLA_MIN_MTU, l.minMtu));
  if (l.maxMtu !== undefined) attrs.push(attr.u32(RTNL.IFLA_MAX_MTU, l.maxMtu));
  if (l.kind !== undefined) attrs.push(attr.nest(RTNL.IFLA_LINKINFO, [attr.str(RTNL.IFLA_INFO_KIND, l.kind)]));
  if (l.master !== undefined) attrs.push(attr.u32(IFLA_MASTER, l.master));
  if (l.gsoMaxSize !== undefined) attrs.push(attr.u32(RTNL.IFLA_GSO_MAX_SIZE, l.gsoMaxSize));
  if (l.groMaxSize !== undefined) attrs.push(attr.u32(RTNL.IFLA_GRO_MAX_SIZE, l.groMaxSize));
  if (l.gsoIPv4MaxSize !== undefined) attrs.push(attr.u32(RTNL.IFLA_GSO_IPV4_MAX_SIZE, l.gsoIPv4MaxSize));
  if (l.groIPv4MaxSize !== undefined) attrs.push(attr.u32(RTNL.IFLA_GRO_IPV4_MAX_SIZE, l.groIPv4MaxSize));
  if (l.txqlen !== undefined) attrs.push(attr.u32(RTNL3.IFLA_TXQLEN, l.txqlen));
  if (l.ifalias !== undefined) attrs.push(attr.str(RTNL3.IFLA_IFALIAS, l.ifalias));
  if (l.group !== undefined) attrs.push(attr.u32(RTNL3.IFLA_GROUP, l.group));
  if ((l.altnames ?? []).length > 0) attrs.push(attr.nest(RTNL3.IFLA_PROP_LIST, l.altnames!.map((n) => attr.str(RTNL3.IFLA_ALT_IFNAME, n))));
  const flags = (l.up ? RTNL.IFF_UP : 0) | (l.promisc === true ? RTNL3.IFF_PROMISC : 0) | (l.allmulti === true ? RTNL3.IFF_ALLMULTI : 0) | (l.noarp === true ? RTNL3.IFF_NOARP : 0);
  return { type: RTNL.RTM_NEWLINK, flags: 0, header: encodeIfInfo({ family: NL.AF_UNSPEC, index: l.index, flags }), attrs };
}

function addrMessage(a: FakeAddr): OutgoingMessage {
  const attrs: Attr[] = [attr.bytes(RTNL.IFA_ADDRESS, a.peer ?? a.bytes)];
  if (a.family === 4 || a.peer !== undefined) attrs.push(attr.bytes(RTNL.IFA_LOCAL, a.bytes));
  if (a.label !== undefined) attrs.push(attr.str(RTNL.IFA_LABEL, a.label));
  if (a.broadcast !== undefined) attrs.push(attr.bytes(RTNL3.IFA_BROADCAST, a.broadcast));
  attrs.push(attr.u32(RTNL.IFA_FLAGS, a.flags));
  if (a.metric !== undefined) attrs.push(attr.u32(RTNL3.IFA_RT_PRIORITY, a.metric));
  if (a.proto !== undefined) attrs.push(attr.u8(RTNL3.IFA_PROTO, a.proto));
  const inf = RTNL3.IFA_INFINITY_LIFETIME;
  attrs.push(attr.bytes(RTNL3.IFA_CACHEINFO, encodeCacheInfo(a.cacheInfo?.preferred ?? inf, a.cacheInfo?.valid ?? inf)));
  const header = encodeIfAddr({ family: a.family === 6 ? NL.AF_INET6 : NL.AF_INET, prefixLength: a.prefixLength, flags: a.flags & 0xff, scope: a.scope, index: a.index });
  return { type: RTNL.RTM_NEWADDR, flags: 0, header: header.subarray(0, IFADDRMSG_LEN), attrs };
}

function routeMessage(r: FakeRoute): OutgoingMessage {
  const attrs: Attr[] = [attr.u32(RTNL.RTA_TABLE, r.table), attr.u32(RTNL.RTA_OIF, r.oif)];
  if (r.dstLength > 0) attrs.push(attr.bytes(RTNL.RTA_DST, r.dst));
  if (r.gateway !== undefined) attrs.push(attr.bytes(RTNL.RTA_GATEWAY, r.gateway));
  if (r.prefSrc !== undefined) attrs.push(attr.bytes(RTNL.RTA_PREFSRC, r.prefSrc));
  if (r.priority !== undefined) attrs.push(attr.u32(RTNL.RTA_PRIORITY, r.priority));
  if (r.nexthops !== undefined) attrs.push(attr.bytes(RTNL.RTA_MULTIPATH, encodeMultipath(r.nexthops)));
  const header = encodeRtMsg({
    family: r.family === 6 ? NL.AF_INET6 : NL.AF_INET, dstLength: r.dstLength, srcLength: 0, tos: 0, table: r.table < 256 ? r.table : RTNL.RT_TABLE_UNSPEC,
    protocol: r.protocol, scope: r.scope, type: r.type, flags: r.flags ?? 0,
  });
  return { type: RTNL.RTM_NEWROUTE, flags: 0, header, attrs };
}
