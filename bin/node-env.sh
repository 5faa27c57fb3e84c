# Sourced by bin/oci-netdevices and bin/oci-netdevices-runtime (POSIX sh).
#
# Node acts on some variables before a line of ours runs: NODE_OPTIONS (--inspect opens a debugger port,
# --require loads any file, as root), NODE_EXTRA_CA_CERTS (a CA bundle parsed at every start, ~60 ms),
# NODE_PATH, the other NODE_* knobs, libuv's UV_* and OpenSSL's configuration. Our executables start Node
# without them. `keep`: each dropped variable is kept as OCI_NETDEVICES_CALLER_<name>, listed in
# OCI_NETDEVICES_CALLER_ENV, so the wrapper can hand the caller's environment unchanged to the real runtime.
ond_drop_node_env() {
  ond_keep=$1
  ond_kept=
  for ond_n in $(export -p | while IFS= read -r ond_l; do
    case $ond_l in
      'export '*) ond_l=${ond_l#export } ;;
      'declare -x '*) ond_l=${ond_l#declare -x } ;;
      *) continue ;;
    esac
    echo "${ond_l%%=*}"
  done); do
    case $ond_n in
      *[!A-Za-z0-9_]*) continue ;;
      NODE_* | UV_* | OPENSSL_CONF | OPENSSL_MODULES | OPENSSL_ENGINES | SSL_CERT_FILE | SSL_CERT_DIR) ;;
      *) continue ;;
    esac
    # A line of a multi-line value can look like a name: only variables that are set count.
    eval "[ -n \"\${$ond_n+set}\" ]" || continue
    if [ "$ond_keep" = keep ]; then
      eval "OCI_NETDEVICES_CALLER_$ond_n=\$$ond_n; export OCI_NETDEVICES_CALLER_$ond_n"
      ond_kept="$ond_kept $ond_n"
    fi
    unset "$ond_n"
  done
  if [ "$ond_keep" = keep ]; then
    OCI_NETDEVICES_CALLER_ENV=$ond_kept
    export OCI_NETDEVICES_CALLER_ENV
  fi
  unset ond_keep ond_kept ond_n
}
