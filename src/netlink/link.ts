/** Typed rtnetlink link operations. Each builds one request; run it with NetlinkSocket. */
import { type Attr, AttrSet, attr } from './attr.js';
import { NL, RTNL, RTNL3 } from './constants.js';
import type { IncomingMessage } from './message.js';
import { decodeInetSettings } from './inet-conf.js';
import { IFINFOMSG_LEN, decodeIfInfo, encodeIfInfo } from './rtnl-headers.js';
import type { Request } from './socket.js';

export interface Link {
  index: number;
  name: string;
  flags: number;
  up: boolean;
  mtu: number;
  minMtu?: number;
  maxMtu?: number;
  /** Lower-case colon MAC, when the device has one. */
  mac?: string;
  permMac?: string;
  kind?: string;
  /** IFLA_LINK: the lower device, or a veth's peer (an ifindex in the peer's netns). */
  link?: number;
  /** ifindex of the master (bridge/bond) when enslaved. */
  master?: number;
  slaveKind?: string;
  gsoMaxSize?: number;
  groMaxSize?: number;
  gsoIPv4MaxSize?: number;
  groIPv4MaxSize?: number;
  tsoMaxSize?: number;
  txqlen?: number;
  /** IFLA_IFALIAS; absent when the device has none. */
  ifalias?: string;
  group?: number;
  /** IFLA_PROP_LIST / IFLA_ALT_IFNAME, in the kernel's order. */
  altnames?: string[];
  /** net.ipv4.conf.<dev>.* by IPV4_DEVCONF index, from IFLA_AF_SPEC (absent without IPv4 state). */
  ipv4Conf?: ReadonlyMap<number, number>;
  /** net.ipv6.conf.<dev>.* by DEVCONF index, from IFLA_AF_SPEC (absent without IPv6 state). */
  ipv6Conf?: Int32Array;
}

export type LinkRef = { index: number } | { name: string };

function refHeader(ref: LinkRef): Uint8Array {
  return encodeIfInfo({ family: NL.AF_UNSPEC, index: 'index' in ref ? ref.index : 0 });
}
/** IFNAMSIZ - 1: the kernel refuses a longer IFLA_IFNAME (its policy), so a longer name can only be an altname. */
const MAX_IFNAME_BYTES = 15;

function refAttrs(ref: LinkRef): Attr[] {
  if (!('name' in ref)) return [];
  return [attr.str(Buffer.byteLength(ref.name) > MAX_IFNAME_BYTES ? RTNL3.IFLA_ALT_IFNAME : RTNL.IFLA_IFNAME, ref.name)];
}
function describeRef(ref: LinkRef): string {
  return 'name' in ref ? ref.name : `ifindex ${ref.index}`;
}

export function macToBytes(mac: string): Uint8Array {
  return Uint8Array.from(mac.split(':').map((h) => parseInt(h, 16)));
}
export function bytesToMac(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(':');
}

export function decodeLink(m: IncomingMessage): Link {
  const h = decodeIfInfo(m.payload);
  const a = new AttrSet(m.payload, IFINFOMSG_LEN);
  const link: Link = { index: h.index, name: a.str(RTNL.IFLA_IFNAME) ?? '', flags: h.flags, up: (h.flags & RTNL.IFF_UP) !== 0, mtu: a.u32(RTNL.IFLA_MTU) ?? 0 };
  const opt = <K extends keyof Link>(key: K, v: Link[K] | undefined): void => {
    if (v !== undefined) link[key] = v;
  };
  opt('minMtu', a.u32(RTNL.IFLA_MIN_MTU));
  opt('maxMtu', a.u32(RTNL.IFLA_MAX_MTU));
  const mac = a.raw(RTNL.IFLA_ADDRESS);
  if (mac !== undefined && mac.length > 0) link.mac = bytesToMac(mac);
  const perm = a.raw(RTNL.IFLA_PERM_ADDRESS);
  if (perm !== undefined && perm.length > 0) link.permMac = bytesToMac(perm);
  opt('link', a.u32(RTNL.IFLA_LINK));
  opt('master', a.u32(RTNL.IFLA_MASTER));
  const info = a.nested(RTNL.IFLA_LINKINFO);
  if (info !== undefined) {
    opt('kind', info.str(RTNL.IFLA_INFO_KIND));
    opt('slaveKind', info.str(RTNL.IFLA_INFO_SLAVE_KIND));
  }
  opt('gsoMaxSize', a.u32(RTNL.IFLA_GSO_MAX_SIZE));
  opt('groMaxSize', a.u32(RTNL.IFLA_GRO_MAX_SIZE));
  opt('gsoIPv4MaxSize', a.u32(RTNL.IFLA_GSO_IPV4_MAX_SIZE));
  opt('groIPv4MaxSize', a.u32(RTNL.IFLA_GRO_IPV4_MAX_SIZE));
  opt('tsoMaxSize', a.u32(RTNL.IFLA_TSO_MAX_SIZE));
  opt('txqlen', a.u32(RTNL3.IFLA_TXQLEN));
  const alias = a.str(RTNL3.IFLA_IFALIAS);
  if (alias !== undefined && alias !== '') link.ifalias = alias;
  opt('group', a.u32(RTNL3.IFLA_GROUP));
  const props = a.raw(RTNL3.IFLA_PROP_LIST);
  if (props !== undefined) {
    const list = new AttrSet(props).all.filter((x) => x.type === RTNL3.IFLA_ALT_IFNAME).map((x) => Buffer.from(x.data).toString('utf8').replace(/\0.*$/s, ''));
    if (list.length > 0) link.altnames = list;
  }
  const inet = decodeInetSettings(m);
  if (inet.ipv4.size > 0) link.ipv4Conf = inet.ipv4;
  if (inet.ipv6 !== undefined) link.ipv6Conf = inet.ipv6;
  return link;
}

function linkReplies(replies: IncomingMessage[]): Link[] {
  return replies.filter((m) => m.type === RTNL.RTM_NEWLINK).map(decodeLink);
}

function setLink(ref: LinkRef, describe: string, attrs: Attr[], flags?: { flags: number; change: number }): Request<void> {
  const header = flags === undefined ? refHeader(ref) : encodeIfInfo({ family: NL.AF_UNSPEC, index: 'index' in ref ? ref.index : 0, ...flags });
  return { describe, message: { type: RTNL.RTM_NEWLINK, flags: 0, header, attrs: [...refAttrs(ref), ...attrs] }, parse: () => undefined };
}

/** ip link show dev REF */
export function linkGet(ref: LinkRef): Request<Link> {
  return {
    describe: `get link ${describeRef(ref)}`,
    message: { type: RTNL.RTM_GETLINK, flags: 0, header: refHeader(ref), attrs: [...refAttrs(ref), attr.u32(RTNL.IFLA_EXT_MASK, RTNL.RTEXT_FILTER_SKIP_STATS)] },
    parse: (replies) => {
      const [link] = linkReplies(replies);
      if (link === undefined) throw new Error(`no link in reply to get link ${describeRef(ref)}`);
      return link;
    },
  };
}

/** ip link show */
export function linkList(): Request<Link[]> {
  return {
    describe: 'list links',
    message: { type: RTNL.RTM_GETLINK, flags: NL.NLM_F_DUMP, header: encodeIfInfo({ family: NL.AF_UNSPEC }), attrs: [attr.u32(RTNL.IFLA_EXT_MASK, RTNL.RTEXT_FILTER_SKIP_STATS)] },
    parse: linkReplies,
  };
}

/** ip link set dev REF netns NSFD [name NAME] */
export function linkSetNs(ref: LinkRef, netnsFd: number, newName?: string): Request<void> {
  const attrs = [attr.u32(RTNL.IFLA_NET_NS_FD, netnsFd)];
  if (newName !== undefined) attrs.push(attr.str(RTNL.IFLA_IFNAME, newName));
  // Renaming by name and moving in one message would make IFLA_IFNAME ambiguous; moves go by index.
  if ('name' in ref && newName !== undefined) throw new Error('linkSetNs with a new name needs an ifindex reference');
  return setLink(ref, `move ${describeRef(ref)} to netns${newName !== undefined ? ` as ${newName}` : ''}`, attrs);
}

/** ip link set dev INDEX name NAME */
export function linkSetName(index: number, name: string): Request<void> {
  return setLink({ index }, `rename ifindex ${index} to ${name}`, [attr.str(RTNL.IFLA_IFNAME, name)]);
}

/** ip link set dev INDEX mtu MTU */
export function linkSetMtu(index: number, mtu: number): Request<void> {
  return setLink({ index }, `set mtu ${mtu} on ifindex ${index}`, [attr.u32(RTNL.IFLA_MTU, mtu)]);
}

/** ip link set dev INDEX address MAC */
export function linkSetMac(index: number, mac: string): Request<void> {
  return setLink({ index }, `set address ${mac} on ifindex ${index}`, [attr.bytes(RTNL.IFLA_ADDRESS, macToBytes(mac))]);
}

/** ip link set dev INDEX up|down */
export function linkSetUp(index: number, up: boolean): Request<void> {
  return setLink({ index }, `set ifindex ${index} ${up ? 'up' : 'down'}`, [], { flags: up ? RTNL.IFF_UP : 0, change: RTNL.IFF_UP });
}

export interface OffloadSizes {
  gsoMaxSize?: number;
  groMaxSize?: number;
  gsoIPv4MaxSize?: number;
  groIPv4MaxSize?: number;
}

/**
 * ip link set dev INDEX gso_max_size N gro_max_size N gso_ipv4_max_size N gro_ipv4_max_size N
 * The kernel applies the IPv6/legacy sizes first and, for values <= 65536, copies them to the
 * IPv4 ones; within one message the IPv4 attributes are handled after, so the user's IPv4 value wins.
 */
export function linkSetOffloadSizes(index: number, s: OffloadSizes): Request<void> {
  const attrs: Attr[] = [];
  if (s.gsoMaxSize !== undefined) attrs.push(attr.u32(RTNL.IFLA_GSO_MAX_SIZE, s.gsoMaxSize));
  if (s.groMaxSize !== undefined) attrs.push(attr.u32(RTNL.IFLA_GRO_MAX_SIZE, s.groMaxSize));
  if (s.gsoIPv4MaxSize !== undefined) attrs.push(attr.u32(RTNL.IFLA_GSO_IPV4_MAX_SIZE, s.gsoIPv4MaxSize));
  if (s.groIPv4MaxSize !== undefined) attrs.push(attr.u32(RTNL.IFLA_GRO_IPV4_MAX_SIZE, s.groIPv4MaxSize));
  return setLink({ index }, `set offload sizes ${JSON.stringify(s)} on ifindex ${index}`, attrs);
}

/** ip link set dev INDEX promisc|allmulti|arp on|off: the bits of `mask` set to those of `flags`. */
export function linkSetFlags(index: number, flags: number, mask: number, text: string): Request<void> {
  return setLink({ index }, `set ${text} on ifindex ${index}`, [], { flags: flags & mask, change: mask });
}

/** ip link set dev INDEX txqueuelen N */
export function linkSetTxqlen(index: number, txqlen: number): Request<void> {
  return setLink({ index }, `set txqueuelen ${txqlen} on ifindex ${index}`, [attr.u32(RTNL3.IFLA_TXQLEN, txqlen)]);
}

/** ip link set dev INDEX alias TEXT (an empty text removes the alias) */
export function linkSetAlias(index: number, alias: string): Request<void> {
  // An empty IFLA_IFALIAS (no NUL) is how the kernel is told to drop the alias.
  const data = alias === '' ? new Uint8Array(0) : Uint8Array.from(Buffer.from(alias, 'utf8'));
  return setLink({ index }, alias === '' ? `remove the alias of ifindex ${index}` : `set alias ${JSON.stringify(alias)} on ifindex ${index}`, [attr.bytes(RTNL3.IFLA_IFALIAS, data)]);
}

/** ip link set dev INDEX group N */
export function linkSetGroup(index: number, group: number): Request<void> {
  return setLink({ index }, `set group ${group} on ifindex ${index}`, [attr.u32(RTNL3.IFLA_GROUP, group)]);
}

/** ip link property add|del dev INDEX altname NAME */
export function linkAltname(index: number, name: string, add: boolean): Request<void> {
  return {
    describe: `${add ? 'add' : 'delete'} altname ${name} ${add ? 'on' : 'of'} ifindex ${index}`,
    message: {
      type: add ? RTNL3.RTM_NEWLINKPROP : RTNL3.RTM_DELLINKPROP,
      flags: add ? NL.NLM_F_CREATE | NL.NLM_F_EXCL : 0,
      header: encodeIfInfo({ family: NL.AF_UNSPEC, index }),
      attrs: [attr.nest(RTNL3.IFLA_PROP_LIST, [attr.str(RTNL3.IFLA_ALT_IFNAME, name)])],
    },
    parse: () => undefined,
  };
}
