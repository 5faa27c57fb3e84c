/**
 * The names users know from the ethtool CLI (and DraNet) for groups of kernel
 * feature bits: ethtool's off_flag_def table, short name, long name, and the
 * glob pattern of kernel names each stands for.
 */
const TABLE: ReadonlyArray<readonly [short: string, long: string, pattern: string]> = [
  ['rx', 'rx-checksumming', 'rx-checksum'],
  ['tx', 'tx-checksumming', 'tx-checksum-*'],
  ['sg', 'scatter-gather', 'tx-scatter-gather*'],
  ['tso', 'tcp-segmentation-offload', 'tx-tcp*-segmentation'],
  ['ufo', 'udp-fragmentation-offload', 'tx-udp-fragmentation'],
  ['gso', 'generic-segmentation-offload', 'tx-generic-segmentation'],
  ['gro', 'generic-receive-offload', 'rx-gro'],
  ['lro', 'large-receive-offload', 'rx-lro'],
  ['rxvlan', 'rx-vlan-offload', 'rx-vlan-hw-parse'],
  ['txvlan', 'tx-vlan-offload', 'tx-vlan-hw-insert'],
  ['ntuple', 'ntuple-filters', 'rx-ntuple-filter'],
  ['rxhash', 'receive-hashing', 'rx-hashing'],
];

const globToRegExp = (glob: string): RegExp => new RegExp(`^${glob.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\-]/g, '\\$&')).join('.*')}$`);

const ALIASES = new Map<string, RegExp>();
for (const [short, long, pattern] of TABLE) {
  const re = globToRegExp(pattern);
  ALIASES.set(short, re);
  ALIASES.set(long, re);
}

/** Kernel bit names an alias stands for on a device with these names; undefined when not an alias. */
export function expandAlias(name: string, kernelNames: readonly string[]): string[] | undefined {
  const re = ALIASES.get(name);
  return re === undefined ? undefined : kernelNames.filter((n) => re.test(n));
}

/** The aliases that stand for at least one of these kernel names. */
export function aliasesFor(kernelNames: readonly string[]): string[] {
  return [...ALIASES.keys()].filter((a) => (expandAlias(a, kernelNames) ?? []).length > 0);
}
