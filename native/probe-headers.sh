#!/bin/sh
# Prints -D flags for UAPI enum values that only newer kernel headers declare.
# Enum members cannot be tested with #ifdef, so each one is probed by compiling.
probe() {
  printf '#include <linux/if_link.h>\nint x = %s;\n' "$1" | ${CC:-cc} -fsyntax-only -x c - 2>/dev/null && printf ' HAVE_%s' "$1"
}
probe IFLA_GSO_IPV4_MAX_SIZE
probe IFLA_GRO_IPV4_MAX_SIZE
echo
