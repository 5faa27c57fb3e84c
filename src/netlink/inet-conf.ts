/**
 * Per-device IPv4 settings (IFLA_AF_SPEC / AF_INET / IFLA_INET_CONF) and the
 * IPv6 address generation mode (IFLA_AF_SPEC / AF_INET6 /
 * IFLA_INET6_ADDR_GEN_MODE, u8), set with RTM_NEWLINK and read from the
 * link's own reply. IFLA_INET_CONF is asymmetric: the kernel reports it as a
 * plain u32 array (entry i is IPV4_DEVCONF index i+1) but takes it as nested
 * attributes, one u32 per index.
 */
import { type Attr, AttrSet, attr, hostLittleEndian as LE } from './attr.js';
import { NL, RTNL, RTNL2 } from './constants.js';
import type { IncomingMessage } from './message.js';
import { IFINFOMSG_LEN, encodeIfInfo } from './rtnl-headers.js';
import type { Request } from './socket.js';

export interface InetSettings {
  /** IPV4_DEVCONF_* index -> value, every one the kernel reported. */
  ipv4: Map<number, number>;
  /** IN6_ADDR_GEN_MODE_*, absent when the device has no IPv6 state. */
  addrGenMode?: number;
  /** IFLA_INET6_CONF: net.ipv6.conf.<dev>.* by DEVCONF index (src/apply/ipv6-devconf.ts); absent without IPv6 state. */
  ipv6?: Int32Array;
}

export function decodeInetSettings(m: IncomingMessage): InetSettings {
  const a = new AttrSet(m.payload, IFINFOMSG_LEN);
  const out: InetSettings = { ipv4: new Map() };
  const spec = a.nested(RTNL2.IFLA_AF_SPEC);
  const conf = spec?.nested(NL.AF_INET)?.raw(RTNL2.IFLA_INET_CONF);
  if (conf !== undefined) {
    const v = new DataView(conf.buffer, conf.byteOffset, conf.byteLength);
    for (let i = 0; i + 4 <= conf.length; i += 4) out.ipv4.set(i / 4 + 1, v.getUint32(i, LE));
  }
  const inet6 = spec?.nested(NL.AF_INET6);
  const mode = inet6?.u8(RTNL2.IFLA_INET6_ADDR_GEN_MODE);
  if (mode !== undefined) out.addrGenMode = mode;
  const conf6 = inet6?.raw(RTNL2.IFLA_INET6_CONF);
  if (conf6 !== undefined && conf6.length >= 4) {
    // Copied: the attribute need not sit 4-aligned in the reply (and a Buffer's slice() is a view). Host byte order, as netlink.
    const copy = new Uint8Array(conf6.length - (conf6.length % 4));
    copy.set(conf6.subarray(0, copy.length));
    out.ipv6 = new Int32Array(copy.buffer);
  }
  return out;
}

/** ip -d link show dev INDEX (the af_spec part) */
export function linkInetSettings(index: number): Request<InetSettings> {
  return {
    describe: `get IPv4/IPv6 settings of ifindex ${index}`,
    message: { type: RTNL.RTM_GETLINK, flags: 0, header: encodeIfInfo({ family: NL.AF_UNSPEC, index }), attrs: [attr.u32(RTNL.IFLA_EXT_MASK, RTNL.RTEXT_FILTER_SKIP_STATS)] },
    parse: (replies) => {
      const m = replies.find((r) => r.type === RTNL.RTM_NEWLINK);
      if (m === undefined) throw new Error(`no link in reply to get ifindex ${index}`);
      return decodeInetSettings(m);
    },
  };
}

function afSpec(index: number, describe: string, family: number, inner: Attr[]): Request<void> {
  return {
    describe,
    message: { type: RTNL.RTM_NEWLINK, flags: 0, header: encodeIfInfo({ family: NL.AF_UNSPEC, index }), attrs: [attr.nest(RTNL2.IFLA_AF_SPEC, [attr.nest(family, inner)])] },
    parse: () => undefined,
  };
}

/** sysctl -w net.ipv4.conf.DEV.NAME=VALUE ... for IPV4_DEVCONF_* indexes (no `ip` equivalent) */
export function linkSetInetConf(index: number, values: ReadonlyMap<number, number>, text: string): Request<void> {
  const conf = [...values].map(([k, v]) => attr.u32(k, v));
  return afSpec(index, `set ${text} on ifindex ${index}`, NL.AF_INET, [attr.nest(RTNL2.IFLA_INET_CONF, conf)]);
}

/** ip link set dev INDEX addrgenmode eui64|none|stable_secret|random */
export function linkSetAddrGenMode(index: number, mode: number): Request<void> {
  return afSpec(index, `set addrgenmode ${mode} on ifindex ${index}`, NL.AF_INET6, [attr.u8(RTNL2.IFLA_INET6_ADDR_GEN_MODE, mode)]);
}
