// Kernel constants, taken from the UAPI headers at build time so that no
// number is typed by hand on the TypeScript side.
#include <linux/ethtool.h>
#include <linux/fib_rules.h>
#include <linux/ip.h>
#include <linux/neighbour.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/socket.h>

#include "constants.h"

// Headers older than Linux 6.3 lack these two enum members. The values are the
// upstream UAPI numbers; whether the running kernel knows them is probed at
// run time (src/netlink), never assumed from the version.
#ifndef HAVE_IFLA_GSO_IPV4_MAX_SIZE
#define IFLA_GSO_IPV4_MAX_SIZE 63
#endif
#ifndef HAVE_IFLA_GRO_IPV4_MAX_SIZE
#define IFLA_GRO_IPV4_MAX_SIZE 64
#endif

// Not in the UAPI headers: the kernel's "forever" address lifetime (include/net/addrconf.h),
// which iproute2 defines the same way.
#ifndef INFINITY_LIFE_TIME
#define INFINITY_LIFE_TIME 0xFFFFFFFFu
#endif

#define C(name) obj.Set(#name, Napi::Number::New(env, static_cast<double>(name)))

Napi::Object Constants(Napi::Env env) {
  Napi::Object obj = Napi::Object::New(env);
  // sockets and families
  C(AF_UNSPEC); C(AF_INET); C(AF_INET6); C(AF_NETLINK); C(AF_BRIDGE);
  C(NETLINK_ROUTE); C(NETLINK_GENERIC);
  // nlmsghdr
  C(NLM_F_REQUEST); C(NLM_F_MULTI); C(NLM_F_ACK); C(NLM_F_ECHO); C(NLM_F_DUMP_INTR);
  C(NLM_F_ROOT); C(NLM_F_MATCH); C(NLM_F_DUMP);
  C(NLM_F_REPLACE); C(NLM_F_EXCL); C(NLM_F_CREATE); C(NLM_F_APPEND);
  C(NLM_F_CAPPED); C(NLM_F_ACK_TLVS);
  C(NLMSG_NOOP); C(NLMSG_ERROR); C(NLMSG_DONE); C(NLMSG_OVERRUN);
  // Header sizes: the TypeScript codec lays out these structs byte by byte.
  C(NLMSG_HDRLEN); C(NLA_HDRLEN);
  obj.Set("IFINFOMSG_LEN", Napi::Number::New(env, static_cast<double>(sizeof(struct ifinfomsg))));
  obj.Set("IFADDRMSG_LEN", Napi::Number::New(env, static_cast<double>(sizeof(struct ifaddrmsg))));
  obj.Set("RTMSG_LEN", Napi::Number::New(env, static_cast<double>(sizeof(struct rtmsg))));
  C(NLMSGERR_ATTR_MSG); C(NLMSGERR_ATTR_OFFS); C(NLMSGERR_ATTR_COOKIE);
  C(NLA_F_NESTED); C(NLA_F_NET_BYTEORDER); C(NLA_TYPE_MASK);
  // rtnetlink message types
  C(RTM_NEWLINK); C(RTM_DELLINK); C(RTM_GETLINK); C(RTM_SETLINK);
  C(RTM_NEWADDR); C(RTM_DELADDR); C(RTM_GETADDR);
  C(RTM_NEWROUTE); C(RTM_DELROUTE); C(RTM_GETROUTE);
  // link attributes
  C(IFLA_ADDRESS); C(IFLA_BROADCAST); C(IFLA_IFNAME); C(IFLA_MTU); C(IFLA_LINK);
  C(IFLA_MASTER); C(IFLA_OPERSTATE); C(IFLA_LINKINFO); C(IFLA_INFO_KIND); C(IFLA_INFO_SLAVE_KIND);
  C(IFLA_NET_NS_PID); C(IFLA_NET_NS_FD); C(IFLA_TXQLEN); C(IFLA_GSO_MAX_SIZE); C(IFLA_GSO_MAX_SEGS);
  C(IFLA_GRO_MAX_SIZE); C(IFLA_GSO_IPV4_MAX_SIZE); C(IFLA_GRO_IPV4_MAX_SIZE);
  C(IFLA_TSO_MAX_SIZE); C(IFLA_MIN_MTU); C(IFLA_MAX_MTU); C(IFLA_PERM_ADDRESS);
  C(IFLA_ALT_IFNAME); C(IFLA_PROP_LIST); C(IFLA_LINK_NETNSID); C(IFLA_EXT_MASK); C(IFLA_NEW_IFINDEX);
  C(IFLA_IFALIAS); C(IFLA_GROUP); C(RTM_NEWLINKPROP); C(RTM_DELLINKPROP);
  C(RTEXT_FILTER_SKIP_STATS);
  // link flags
  C(IFF_UP); C(IFF_LOOPBACK); C(IFF_RUNNING); C(IFF_LOWER_UP); C(IFF_PROMISC); C(IFF_ALLMULTI); C(IFF_NOARP);
  // address attributes and flags
  C(IFA_ADDRESS); C(IFA_LOCAL); C(IFA_LABEL); C(IFA_BROADCAST); C(IFA_FLAGS); C(IFA_CACHEINFO);
  C(IFA_F_PERMANENT); C(IFA_F_NODAD); C(IFA_F_SECONDARY); C(IFA_F_TENTATIVE); C(IFA_F_NOPREFIXROUTE);
  C(IFA_RT_PRIORITY); C(IFA_PROTO); C(IFA_F_OPTIMISTIC); C(IFA_F_DADFAILED); C(IFA_F_HOMEADDRESS);
  C(IFA_F_DEPRECATED); C(IFA_F_MANAGETEMPADDR); C(IFA_F_MCAUTOJOIN); C(IFA_F_STABLE_PRIVACY); C(IFA_F_TEMPORARY);
  C(IFAPROT_KERNEL_LO); C(IFAPROT_KERNEL_RA); C(IFAPROT_KERNEL_LL);
  obj.Set("IFA_CACHEINFO_LEN", Napi::Number::New(env, static_cast<double>(sizeof(struct ifa_cacheinfo))));
  obj.Set("IFA_INFINITY_LIFETIME", Napi::Number::New(env, static_cast<double>(INFINITY_LIFE_TIME)));
  // routes
  C(RT_SCOPE_UNIVERSE); C(RT_SCOPE_SITE); C(RT_SCOPE_LINK); C(RT_SCOPE_HOST); C(RT_SCOPE_NOWHERE);
  C(RT_TABLE_UNSPEC); C(RT_TABLE_MAIN); C(RT_TABLE_LOCAL);
  C(RTPROT_UNSPEC); C(RTPROT_KERNEL); C(RTPROT_BOOT); C(RTPROT_STATIC); C(RTPROT_RA); C(RTPROT_REDIRECT);
  C(RTN_UNSPEC); C(RTN_UNICAST); C(RTN_LOCAL); C(RTN_BROADCAST); C(RTN_MULTICAST); C(RTN_ANYCAST);
  C(RTA_DST); C(RTA_SRC); C(RTA_IIF); C(RTA_OIF); C(RTA_GATEWAY); C(RTA_PRIORITY); C(RTA_PREFSRC);
  C(RTA_TABLE); C(RTA_MULTIPATH); C(RTA_NH_ID); C(RTA_METRICS); C(RTA_PREF);
  C(RTNH_F_DEAD); C(RTNH_F_ONLINK); C(RTNH_F_LINKDOWN); C(RTNH_F_OFFLOAD); C(RTNH_F_TRAP); C(RTNH_COMPARE_MASK);
  // nexthop objects (read only: which devices a route through `nhid` uses)
  C(RTM_NEWNEXTHOP); C(RTM_GETNEXTHOP); C(NHA_ID); C(NHA_GROUP); C(NHA_OIF);
  obj.Set("NHMSG_LEN", Napi::Number::New(env, static_cast<double>(sizeof(struct nhmsg))));
  obj.Set("NEXTHOP_GRP_LEN", Napi::Number::New(env, static_cast<double>(sizeof(struct nexthop_grp))));
  // struct rtnexthop, aligned: where a multipath next hop's attributes start.
  obj.Set("RTNH_HDRLEN", Napi::Number::New(env, static_cast<double>(RTNH_LENGTH(0))));
  C(RTM_F_CLONED);
  // generic netlink
  C(GENL_ID_CTRL); C(GENL_HDRLEN);
  C(CTRL_CMD_GETFAMILY); C(CTRL_CMD_NEWFAMILY);
  C(CTRL_ATTR_FAMILY_ID); C(CTRL_ATTR_FAMILY_NAME); C(CTRL_ATTR_VERSION); C(CTRL_ATTR_MAXATTR);
  // ethtool netlink
  C(ETHTOOL_GENL_VERSION);
  C(ETHTOOL_MSG_FEATURES_GET); C(ETHTOOL_MSG_FEATURES_SET);
  C(ETHTOOL_MSG_PRIVFLAGS_GET); C(ETHTOOL_MSG_PRIVFLAGS_SET);
  C(ETHTOOL_MSG_FEATURES_GET_REPLY); C(ETHTOOL_MSG_FEATURES_SET_REPLY); C(ETHTOOL_MSG_PRIVFLAGS_GET_REPLY);
  C(ETHTOOL_FLAG_COMPACT_BITSETS); C(ETHTOOL_FLAG_OMIT_REPLY);
  C(ETHTOOL_A_HEADER_DEV_INDEX); C(ETHTOOL_A_HEADER_DEV_NAME); C(ETHTOOL_A_HEADER_FLAGS);
  C(ETHTOOL_A_BITSET_NOMASK); C(ETHTOOL_A_BITSET_SIZE); C(ETHTOOL_A_BITSET_BITS);
  C(ETHTOOL_A_BITSET_VALUE); C(ETHTOOL_A_BITSET_MASK);
  C(ETHTOOL_A_BITSET_BITS_BIT);
  C(ETHTOOL_A_BITSET_BIT_INDEX); C(ETHTOOL_A_BITSET_BIT_NAME); C(ETHTOOL_A_BITSET_BIT_VALUE);
  C(ETHTOOL_A_FEATURES_HEADER); C(ETHTOOL_A_FEATURES_HW); C(ETHTOOL_A_FEATURES_WANTED);
  C(ETHTOOL_A_FEATURES_ACTIVE); C(ETHTOOL_A_FEATURES_NOCHANGE);
  C(ETHTOOL_A_PRIVFLAGS_HEADER); C(ETHTOOL_A_PRIVFLAGS_FLAGS);
  C(ETHTOOL_MSG_STRSET_GET); C(ETHTOOL_MSG_STRSET_GET_REPLY);
  C(ETHTOOL_A_STRSET_HEADER); C(ETHTOOL_A_STRSET_STRINGSETS); C(ETHTOOL_A_STRINGSETS_STRINGSET);
  C(ETHTOOL_A_STRINGSET_ID); C(ETHTOOL_A_STRINGSET_COUNT); C(ETHTOOL_A_STRINGSET_STRINGS);
  C(ETHTOOL_A_STRINGS_STRING); C(ETHTOOL_A_STRING_INDEX); C(ETHTOOL_A_STRING_VALUE);
  C(ETH_SS_FEATURES); C(ETH_SS_PRIV_FLAGS);
  // files and mounts
  C(LOCK_SH); C(LOCK_EX); C(LOCK_NB); C(LOCK_UN);
  C(MS_BIND); C(MNT_DETACH);
  C(IFNAMSIZ);
  // FIB rules (ip rule)
  C(RTM_NEWRULE); C(RTM_DELRULE); C(RTM_GETRULE);
  C(FRA_DST); C(FRA_SRC); C(FRA_PRIORITY); C(FRA_TABLE); C(FR_ACT_TO_TBL);
  obj.Set("FIB_RULE_HDR_LEN", Napi::Number::New(env, static_cast<double>(sizeof(struct fib_rule_hdr))));
  C(RT_TABLE_COMPAT); C(RT_TABLE_DEFAULT);
  // neighbours (ip neigh)
  C(RTM_NEWNEIGH); C(RTM_DELNEIGH); C(RTM_GETNEIGH);
  C(NDA_DST); C(NDA_LLADDR); C(NUD_PERMANENT);
  obj.Set("NDMSG_LEN", Napi::Number::New(env, static_cast<double>(sizeof(struct ndmsg))));
  // per-device IPv4/IPv6 settings in the link message
  C(IFLA_AF_SPEC); C(IFLA_INET_CONF); C(IFLA_INET6_CONF); C(IFLA_INET6_ADDR_GEN_MODE);
  C(IPV4_DEVCONF_FORWARDING); C(IPV4_DEVCONF_ARP_IGNORE); C(IPV4_DEVCONF_ARP_ANNOUNCE);
  // link kinds this kernel may lack: vrf and ipvlan (IFLA_INFO_DATA)
  C(IFLA_INFO_DATA); C(IFLA_VRF_TABLE); C(IFLA_IPVLAN_MODE); C(IFLA_IPVLAN_FLAGS); C(IPVLAN_MODE_L2);
  // addressing by DHCP and SLAAC (src/apply/apply-addressing.ts)
  C(RTPROT_DHCP); C(RTPROT_RA); C(IFA_F_DADFAILED); C(IFA_F_DEPRECATED);
  // VRF and ipvlan devices (src/netlink/link-kinds.ts)
  C(IPVLAN_MODE_L3); C(IPVLAN_MODE_MAX); C(IPVLAN_F_PRIVATE); C(IPVLAN_F_VEPA);
  // open(2) flags for files opened inside a netns
  C(O_RDONLY); C(O_WRONLY); C(O_RDWR);
  return obj;
}
