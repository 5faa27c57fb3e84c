#!/bin/sh
# Prints -D flags for UAPI enum values that only newer kernel headers declare.
# Enum members cannot be tested with #ifdef, so each one is probed by compiling.
probe() {
  printf '#include <linux/%s>\nint x = %s;\n' "${2:-if_link.h}" "$1" | ${CC:-cc} -fsyntax-only -x c - 2>/dev/null && printf ' HAVE_%s' "$1"
}
probe IFLA_GSO_IPV4_MAX_SIZE
probe IFLA_GRO_IPV4_MAX_SIZE
for d in RPL_SEG_ENABLED RA_DEFRTR_METRIC IOAM6_ENABLED IOAM6_ID IOAM6_ID_WIDE NDISC_EVICT_NOCARRIER ACCEPT_UNTRACKED_NA ACCEPT_RA_MIN_LFT; do
  probe "DEVCONF_$d" ipv6.h
done
echo
