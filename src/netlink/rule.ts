/** Typed rtnetlink FIB rule operations (`ip rule`): struct fib_rule_hdr + FRA_* attributes. */
import { type Attr, AttrSet, NetlinkDecodeError, attr } from './attr.js';
import { NL, RTNL, RTNL2 } from './constants.js';
import { afOf } from './addr.js';
import { decodeRtMsg, encodeRtMsg } from './rtnl-headers.js';
import type { IncomingMessage, OutgoingMessage } from './message.js';
import type { Request } from './socket.js';

export const FIB_RULE_HDR_LEN = RTNL2.FIB_RULE_HDR_LEN;

export interface RuleInput {
  family: 4 | 6;
  /** Absent: the kernel picks one. */
  priority?: number;
  src?: { bytes: Uint8Array; prefixLength: number };
  dst?: { bytes: Uint8Array; prefixLength: number };
  table: number;
}

export interface Rule extends RuleInput {
  action: number;
}

interface FibRuleHdr {
  family: number;
  dstLength: number;
  srcLength: number;
  tos: number;
  table: number;
  action: number;
  flags: number;
}

// struct fib_rule_hdr has struct rtmsg's layout, with res1/res2 where rtmsg has protocol/scope
// and action where it has type: the kernel shares the two on purpose.
export function encodeFibRuleHdr(h: FibRuleHdr): Uint8Array {
  return encodeRtMsg({ family: h.family, dstLength: h.dstLength, srcLength: h.srcLength, tos: h.tos, table: h.table, protocol: 0, scope: 0, type: h.action, flags: h.flags });
}

export function decodeFibRuleHdr(p: Uint8Array): FibRuleHdr {
  if (p.length < FIB_RULE_HDR_LEN) throw new NetlinkDecodeError('short fib_rule_hdr');
  const { family, dstLength, srcLength, tos, table, type: action, flags } = decodeRtMsg(p);
  return { family, dstLength, srcLength, tos, table, action, flags };
}

export function decodeRule(m: IncomingMessage): Rule {
  const h = decodeFibRuleHdr(m.payload);
  const a = new AttrSet(m.payload, FIB_RULE_HDR_LEN);
  const r: Rule = { family: h.family === NL.AF_INET6 ? 6 : 4, table: a.u32(RTNL2.FRA_TABLE) ?? h.table, action: h.action };
  const prio = a.u32(RTNL2.FRA_PRIORITY);
  if (prio !== undefined) r.priority = prio;
  const src = a.raw(RTNL2.FRA_SRC);
  if (src !== undefined) r.src = { bytes: Uint8Array.from(src), prefixLength: h.srcLength };
  const dst = a.raw(RTNL2.FRA_DST);
  if (dst !== undefined) r.dst = { bytes: Uint8Array.from(dst), prefixLength: h.dstLength };
  return r;
}

function ruleMessage(type: number, flags: number, r: RuleInput): OutgoingMessage {
  // As iproute2: a table id past the 8-bit header field goes in FRA_TABLE only.
  const attrs: Attr[] = [attr.u32(RTNL2.FRA_TABLE, r.table)];
  if (r.priority !== undefined) attrs.push(attr.u32(RTNL2.FRA_PRIORITY, r.priority));
  if (r.src !== undefined) attrs.push(attr.bytes(RTNL2.FRA_SRC, r.src.bytes));
  if (r.dst !== undefined) attrs.push(attr.bytes(RTNL2.FRA_DST, r.dst.bytes));
  return {
    type,
    flags,
    header: encodeFibRuleHdr({
      family: afOf(r.family), dstLength: r.dst?.prefixLength ?? 0, srcLength: r.src?.prefixLength ?? 0, tos: 0,
      table: r.table < 256 ? r.table : RTNL.RT_TABLE_UNSPEC, action: RTNL2.FR_ACT_TO_TBL, flags: 0,
    }),
    attrs,
  };
}

/** ip [-6] rule add [pref P] [from SRC/LEN] [to DST/LEN] table T */
export function ruleAdd(r: RuleInput, text: string): Request<void> {
  return { describe: `add rule ${text}`, message: ruleMessage(RTNL2.RTM_NEWRULE, NL.NLM_F_CREATE | NL.NLM_F_EXCL, r), parse: () => undefined };
}

/** ip [-6] rule del [pref P] [from SRC/LEN] [to DST/LEN] table T */
export function ruleDel(r: RuleInput, text: string): Request<void> {
  return { describe: `delete rule ${text}`, message: ruleMessage(RTNL2.RTM_DELRULE, 0, r), parse: () => undefined };
}

/** ip [-6] rule show */
export function ruleList(family: 4 | 6): Request<Rule[]> {
  return {
    describe: `list IPv${family} rules`,
    message: { type: RTNL2.RTM_GETRULE, flags: NL.NLM_F_DUMP, header: encodeFibRuleHdr({ family: afOf(family), dstLength: 0, srcLength: 0, tos: 0, table: 0, action: 0, flags: 0 }), attrs: [] },
    parse: (replies) => replies.filter((m) => m.type === RTNL2.RTM_NEWRULE).map(decodeRule),
  };
}
