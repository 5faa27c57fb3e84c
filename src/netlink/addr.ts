/** Typed rtnetlink address operations. */
import { type Attr, AttrSet, attr } from './attr.js';
import { NL, RTNL } from './constants.js';
import type { IncomingMessage } from './message.js';
import { IFADDRMSG_LEN, decodeIfAddr, encodeIfAddr } from './rtnl-headers.js';
import type { Request } from './socket.js';

export interface AddrInput {
  family: 4 | 6;
  bytes: Uint8Array;
  prefixLength: number;
}

export interface Addr extends AddrInput {
  index: number;
  scope: number;
  /** IFA_FLAGS (32-bit) when present, else the 8-bit header flags. */
  flags: number;
  label?: string;
}

export const afOf = (family: 4 | 6): number => (family === 4 ? NL.AF_INET : NL.AF_INET6);

export function decodeAddr(m: IncomingMessage): Addr {
  const h = decodeIfAddr(m.payload);
  const a = new AttrSet(m.payload, IFADDRMSG_LEN);
  // For IPv4 IFA_LOCAL is the interface's address (IFA_ADDRESS is the peer on point-to-point links).
  const bytes = a.raw(RTNL.IFA_LOCAL) ?? a.raw(RTNL.IFA_ADDRESS) ?? new Uint8Array(0);
  const out: Addr = {
    family: h.family === NL.AF_INET6 ? 6 : 4,
    bytes: Uint8Array.from(bytes),
    prefixLength: h.prefixLength,
    index: h.index,
    scope: h.scope,
    flags: a.u32(RTNL.IFA_FLAGS) ?? h.flags,
  };
  const label = a.str(RTNL.IFA_LABEL);
  if (label !== undefined) out.label = label;
  return out;
}

/** ip addr show (all families; filter the result by index) */
export function addrList(): Request<Addr[]> {
  return {
    describe: 'list addresses',
    message: { type: RTNL.RTM_GETADDR, flags: NL.NLM_F_DUMP, header: encodeIfAddr({ family: NL.AF_UNSPEC, prefixLength: 0, flags: 0, scope: 0, index: 0 }), attrs: [] },
    parse: (replies) => replies.filter((m) => m.type === RTNL.RTM_NEWADDR).map(decodeAddr),
  };
}

function addrAttrs(a: AddrInput, flags: number): Attr[] {
  const attrs = [attr.bytes(RTNL.IFA_LOCAL, a.bytes), attr.bytes(RTNL.IFA_ADDRESS, a.bytes)];
  if (flags !== 0) attrs.push(attr.u32(RTNL.IFA_FLAGS, flags));
  return attrs;
}

function show(a: AddrInput): string {
  return a.family === 4 ? `${Array.from(a.bytes).join('.')}/${a.prefixLength}` : `${Buffer.from(a.bytes).toString('hex')}/${a.prefixLength}`;
}

/** ip addr add ADDR/PLEN dev INDEX [scope SCOPE] [nodad] — fails with EEXIST if present. */
export function addrAdd(index: number, a: AddrInput, opts: { scope?: number; flags?: number; text?: string } = {}): Request<void> {
  return {
    describe: `add address ${opts.text ?? show(a)} on ifindex ${index}`,
    message: {
      type: RTNL.RTM_NEWADDR,
      flags: NL.NLM_F_CREATE | NL.NLM_F_EXCL,
      header: encodeIfAddr({ family: afOf(a.family), prefixLength: a.prefixLength, flags: (opts.flags ?? 0) & 0xff, scope: opts.scope ?? RTNL.RT_SCOPE_UNIVERSE, index }),
      attrs: addrAttrs(a, opts.flags ?? 0),
    },
    parse: () => undefined,
  };
}

/** ip addr del ADDR/PLEN dev INDEX */
export function addrDel(index: number, a: AddrInput, text?: string): Request<void> {
  return {
    describe: `delete address ${text ?? show(a)} on ifindex ${index}`,
    message: {
      type: RTNL.RTM_DELADDR,
      flags: 0,
      header: encodeIfAddr({ family: afOf(a.family), prefixLength: a.prefixLength, flags: 0, scope: 0, index }),
      attrs: addrAttrs(a, 0),
    },
    parse: () => undefined,
  };
}
