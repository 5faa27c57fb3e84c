/**
 * The offload names of the ethtool CLI (and DraNet): short and long name and
 * the pattern of kernel feature names (netdev_features_strings) each stands
 * for, from off_flag_def in ethtool's common.c. A pattern holds at most one
 * `*`, matching any run of characters, possibly empty (flag_pattern_match).
 *
 * On Linux 6.x the patterns give e.g.
 *   tso  -> tx-tcp-segmentation, tx-tcp-ecn-segmentation,
 *           tx-tcp-mangleid-segmentation, tx-tcp6-segmentation
 *           (+ tx-tcp-accecn-segmentation on kernels that have it)
 *   tx   -> tx-checksum-ipv4, tx-checksum-ip-generic, tx-checksum-ipv6,
 *           tx-checksum-fcoe-crc, tx-checksum-sctp
 *   sg   -> tx-scatter-gather, tx-scatter-gather-fraglist
 * Like the CLI, an alias is expanded against the names the kernel reports, so
 * bits a newer kernel adds under a pattern are covered too.
 */

export interface FeatureAlias {
  short: string;
  long: string;
  /** Kernel feature names, with at most one `*`. */
  pattern: string;
}

export const FEATURE_ALIASES: readonly FeatureAlias[] = [
  { short: 'rx', long: 'rx-checksumming', pattern: 'rx-checksum' },
  { short: 'tx', long: 'tx-checksumming', pattern: 'tx-checksum-*' },
  { short: 'sg', long: 'scatter-gather', pattern: 'tx-scatter-gather*' },
  { short: 'tso', long: 'tcp-segmentation-offload', pattern: 'tx-tcp*-segmentation' },
  { short: 'ufo', long: 'udp-fragmentation-offload', pattern: 'tx-udp-fragmentation' },
  { short: 'gso', long: 'generic-segmentation-offload', pattern: 'tx-generic-segmentation' },
  { short: 'gro', long: 'generic-receive-offload', pattern: 'rx-gro' },
  { short: 'lro', long: 'large-receive-offload', pattern: 'rx-lro' },
  { short: 'rxvlan', long: 'rx-vlan-offload', pattern: 'rx-vlan-hw-parse' },
  { short: 'txvlan', long: 'tx-vlan-offload', pattern: 'tx-vlan-hw-insert' },
  { short: 'ntuple', long: 'ntuple-filters', pattern: 'rx-ntuple-filter' },
  { short: 'rxhash', long: 'receive-hashing', pattern: 'rx-hashing' },
];

const BY_NAME = new Map<string, FeatureAlias>();
for (const a of FEATURE_ALIASES) {
  BY_NAME.set(a.short, a);
  BY_NAME.set(a.long, a);
}

/** ethtool's flag_pattern_match: `*` stands for any (possibly empty) run of characters. */
export function matchesPattern(name: string, pattern: string): boolean {
  const star = pattern.indexOf('*');
  if (star < 0) return name === pattern;
  const head = pattern.slice(0, star);
  const tail = pattern.slice(star + 1);
  return name.length >= head.length + tail.length && name.startsWith(head) && name.endsWith(tail);
}

/** The alias entry for a short or long CLI name; undefined when `name` is not one. */
export function featureAlias(name: string): FeatureAlias | undefined {
  return BY_NAME.get(name);
}

/**
 * The kernel bits an alias stands for among `kernelNames` (in their order);
 * undefined when `name` is not an alias.
 */
export function expandFeatureAlias(name: string, kernelNames: Iterable<string>): string[] | undefined {
  const a = BY_NAME.get(name);
  if (a === undefined) return undefined;
  const out: string[] = [];
  for (const k of kernelNames) if (k !== '' && matchesPattern(k, a.pattern)) out.push(k);
  return out;
}

/** Short and long names of the aliases that stand for at least one of `kernelNames`. */
export function aliasesPresent(kernelNames: Iterable<string>): string[] {
  const names = [...kernelNames];
  const out: string[] = [];
  for (const a of FEATURE_ALIASES) {
    if (names.some((k) => matchesPattern(k, a.pattern))) out.push(a.long, a.short);
  }
  return out;
}
