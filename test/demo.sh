#!/usr/bin/env bash
# npm run demo: a real runc container receives a real host interface.
# Makes a veth pair with random names, a busybox-static bundle with our hook,
# runs it, shows what the container sees, and removes everything it made.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
[ "$(id -u)" = 0 ] || { echo "demo: needs root (moving interfaces needs CAP_NET_ADMIN)"; exit 1; }
for t in runc busybox ip jq; do command -v $t >/dev/null || { echo "demo: missing $t (apt-get install runc busybox-static iproute2 jq)"; exit 1; }; done

SUFFIX=$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')
HOST_IF="demo${SUFFIX}"; PEER_IF="dpeer${SUFFIX:0:6}"; ID="ond-demo-${SUFFIX}"
BUNDLE=$(mktemp -d)
cleanup() {
  runc delete -f "$ID" >/dev/null 2>&1 || true
  ip link del "$HOST_IF" >/dev/null 2>&1 || true
  ip link del "$PEER_IF" >/dev/null 2>&1 || true
  rm -rf "$BUNDLE"
}
trap cleanup EXIT

ip link add "$HOST_IF" type veth peer name "$PEER_IF"
mkdir -p "$BUNDLE"/rootfs/{bin,proc,sys,dev}
cp "$(command -v busybox)" "$BUNDLE/rootfs/bin/busybox"
for a in sh ip; do ln -s busybox "$BUNDLE/rootfs/bin/$a"; done
(cd "$BUNDLE" && runc spec)
jq --arg hook "$REPO/bin/oci-netdevices" --arg dev "$HOST_IF" --arg log "$BUNDLE/hook.log" '
  .process.terminal = false
  | .process.args = ["/bin/sh", "-c", "echo; echo \"inside the container:\"; ip addr show eth1"]
  | .hooks = {createRuntime: [{path: $hook, args: ["oci-netdevices", "--log-file", $log, "hook", "createRuntime"]}]}
  | .linux.netDevices = [{name: $dev, properties: {name: "eth1", address: "192.168.77.2", mask: "255.255.255.0", mtu: 1400}}]
' "$BUNDLE/config.json" > "$BUNDLE/config.new" && mv "$BUNDLE/config.new" "$BUNDLE/config.json"

echo "host interface $HOST_IF, asked for as eth1 192.168.77.2/24 mtu 1400:"
jq '.linux.netDevices' "$BUNDLE/config.json"
runc run -b "$BUNDLE" "$ID"
echo
echo "hook log:"; tail -n 3 "$BUNDLE/hook.log"
