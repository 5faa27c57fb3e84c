/**
 * net.ipv6.conf.<dev>.* as the link message carries it: IFLA_AF_SPEC / AF_INET6 /
 * IFLA_INET6_CONF is an s32 array whose entry i is the setting of DEVCONF index i
 * (ipv6_store_devconf in net/ipv6/addrconf.c). Reading it costs nothing past the
 * link dump the hook takes anyway; reading the same values from /proc costs some
 * sixty open/read/close calls a device. The kernel takes none of it back that way,
 * so writes go to the files (host-extras.ts).
 *
 * The table pairs each file (the sysctl's procname) with its DEVCONF constant, from
 * the kernel headers, and says how the file prints what the array holds. A file
 * missing here, or whose constant these headers lack, or past the end of the array
 * the running kernel sent, is read from its file. test/integration/ipv6-devconf.test.ts
 * proves every pair on the running kernel by writing each file and watching which
 * entry changes.
 */
import { native } from '../native/binding.js';

/** How a file prints the array's value: as is, as an unsigned u32, or seconds where the array holds ms (proc_dointvec_jiffies). */
type Unit = 'int' | 'unsigned' | 'seconds';

const FILES: Readonly<Record<string, readonly [constant: string, unit?: Unit]>> = {
  accept_dad: ['DEVCONF_ACCEPT_DAD'],
  accept_ra: ['DEVCONF_ACCEPT_RA'],
  accept_ra_defrtr: ['DEVCONF_ACCEPT_RA_DEFRTR'],
  accept_ra_from_local: ['DEVCONF_ACCEPT_RA_FROM_LOCAL'],
  accept_ra_min_hop_limit: ['DEVCONF_ACCEPT_RA_MIN_HOP_LIMIT'],
  accept_ra_min_lft: ['DEVCONF_ACCEPT_RA_MIN_LFT'],
  accept_ra_mtu: ['DEVCONF_ACCEPT_RA_MTU'],
  accept_ra_pinfo: ['DEVCONF_ACCEPT_RA_PINFO'],
  accept_ra_rt_info_max_plen: ['DEVCONF_ACCEPT_RA_RT_INFO_MAX_PLEN'],
  accept_ra_rt_info_min_plen: ['DEVCONF_ACCEPT_RA_RT_INFO_MIN_PLEN'],
  accept_ra_rtr_pref: ['DEVCONF_ACCEPT_RA_RTR_PREF'],
  accept_redirects: ['DEVCONF_ACCEPT_REDIRECTS'],
  accept_source_route: ['DEVCONF_ACCEPT_SOURCE_ROUTE'],
  accept_untracked_na: ['DEVCONF_ACCEPT_UNTRACKED_NA'],
  addr_gen_mode: ['DEVCONF_ADDR_GEN_MODE'],
  autoconf: ['DEVCONF_AUTOCONF'],
  dad_transmits: ['DEVCONF_DAD_TRANSMITS'],
  disable_ipv6: ['DEVCONF_DISABLE_IPV6'],
  disable_policy: ['DEVCONF_DISABLE_POLICY'],
  drop_unicast_in_l2_multicast: ['DEVCONF_DROP_UNICAST_IN_L2_MULTICAST'],
  drop_unsolicited_na: ['DEVCONF_DROP_UNSOLICITED_NA'],
  enhanced_dad: ['DEVCONF_ENHANCED_DAD'],
  force_mld_version: ['DEVCONF_FORCE_MLD_VERSION'],
  force_tllao: ['DEVCONF_FORCE_TLLAO'],
  forwarding: ['DEVCONF_FORWARDING'],
  hop_limit: ['DEVCONF_HOPLIMIT'],
  ignore_routes_with_linkdown: ['DEVCONF_IGNORE_ROUTES_WITH_LINKDOWN'],
  ioam6_enabled: ['DEVCONF_IOAM6_ENABLED'],
  ioam6_id: ['DEVCONF_IOAM6_ID', 'unsigned'],
  ioam6_id_wide: ['DEVCONF_IOAM6_ID_WIDE', 'unsigned'],
  keep_addr_on_down: ['DEVCONF_KEEP_ADDR_ON_DOWN'],
  max_addresses: ['DEVCONF_MAX_ADDRESSES'],
  max_desync_factor: ['DEVCONF_MAX_DESYNC_FACTOR'],
  mldv1_unsolicited_report_interval: ['DEVCONF_MLDV1_UNSOLICITED_REPORT_INTERVAL'],
  mldv2_unsolicited_report_interval: ['DEVCONF_MLDV2_UNSOLICITED_REPORT_INTERVAL'],
  mtu: ['DEVCONF_MTU6'],
  ndisc_evict_nocarrier: ['DEVCONF_NDISC_EVICT_NOCARRIER'],
  ndisc_notify: ['DEVCONF_NDISC_NOTIFY'],
  ndisc_tclass: ['DEVCONF_NDISC_TCLASS'],
  optimistic_dad: ['DEVCONF_OPTIMISTIC_DAD'],
  proxy_ndp: ['DEVCONF_PROXY_NDP'],
  ra_defrtr_metric: ['DEVCONF_RA_DEFRTR_METRIC', 'unsigned'],
  regen_max_retry: ['DEVCONF_REGEN_MAX_RETRY'],
  router_probe_interval: ['DEVCONF_RTR_PROBE_INTERVAL', 'seconds'],
  router_solicitation_delay: ['DEVCONF_RTR_SOLICIT_DELAY', 'seconds'],
  router_solicitation_interval: ['DEVCONF_RTR_SOLICIT_INTERVAL', 'seconds'],
  router_solicitation_max_interval: ['DEVCONF_RTR_SOLICIT_MAX_INTERVAL', 'seconds'],
  router_solicitations: ['DEVCONF_RTR_SOLICITS'],
  rpl_seg_enabled: ['DEVCONF_RPL_SEG_ENABLED'],
  seg6_enabled: ['DEVCONF_SEG6_ENABLED'],
  seg6_require_hmac: ['DEVCONF_SEG6_REQUIRE_HMAC'],
  suppress_frag_ndisc: ['DEVCONF_SUPPRESS_FRAG_NDISC'],
  temp_prefered_lft: ['DEVCONF_TEMP_PREFERED_LFT'],
  temp_valid_lft: ['DEVCONF_TEMP_VALID_LFT'],
  use_oif_addrs_only: ['DEVCONF_USE_OIF_ADDRS_ONLY'],
  use_optimistic: ['DEVCONF_USE_OPTIMISTIC'],
  use_tempaddr: ['DEVCONF_USE_TEMPADDR'],
};

/** The files the table pairs with an entry these headers define: file -> [DEVCONF index, unit]. */
let paired: ReadonlyMap<string, readonly [number, Unit]> | undefined;

export function devconfPairs(): ReadonlyMap<string, readonly [number, Unit]> {
  if (paired === undefined) {
    const c = native().constants;
    const m = new Map<string, readonly [number, Unit]>();
    for (const [file, [constant, unit]] of Object.entries(FILES)) {
      const index = c[constant];
      if (index !== undefined) m.set(file, [index, unit ?? 'int']);
    }
    paired = m;
  }
  return paired;
}

/** The file's text (trimmed, as read) from the link's IFLA_INET6_CONF, or undefined when it must be read from the file. */
export function devconfValue(file: string, devconf: Int32Array): string | undefined {
  const pair = devconfPairs().get(file);
  if (pair === undefined || pair[0] >= devconf.length) return undefined;
  const v = devconf[pair[0]]!;
  switch (pair[1]) {
    case 'unsigned':
      return String(v >>> 0);
    case 'seconds':
      return String(Math.trunc(v / 1000));
    default:
      return String(v);
  }
}
