#!/usr/bin/env bash
# npm run demo: a real runc container receives a real host interface.
#
# Makes a veth pair with random names, a busybox-static bundle whose config.json
# asks for one end as eth1 192.168.77.2/24 mtu 1400 (linux.netDevices) with our
# createRuntime + poststop hooks, runs it with runc, shows what the container
# sees and that the device is back on the host afterwards, and removes
# everything it made (trap), whatever happens.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
HOOK="$REPO/bin/oci-netdevices"

die() { echo "demo: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (moving interfaces needs CAP_NET_ADMIN): sudo npm run demo"
for t in runc busybox ip jq; do
  command -v "$t" >/dev/null || die "missing $t: apt-get install -y runc busybox-static iproute2 jq"
done
[ -f "$REPO/dist/bundle/entry.js" ] || die "not built: run npm ci (or npm run build) first"
BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] || die "no $BUSYBOX: apt-get install -y busybox-static"
if command -v file >/dev/null && ! file -L "$BUSYBOX" | grep -q 'statically linked'; then
  die "$BUSYBOX is not statically linked: apt-get install -y busybox-static"
fi

SUFFIX=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c 8)
HOST_IF="demo$SUFFIX"     # the end that goes into the container (12 bytes)
PEER_IF="dpeer$SUFFIX"    # stays on the host (13 bytes)
ID="ond-demo-$SUFFIX"
BUNDLE=$(mktemp -d /tmp/ond-demo-XXXXXX)
STATE="$BUNDLE/state"
LOG="$BUNDLE/hook.log"

cleanup() {
  set +e
  runc delete -f "$ID" >/dev/null 2>&1
  # If anything went wrong half way, bring devices held by our state dir home first.
  [ -d "$STATE" ] && "$HOOK" --log-file off --state-dir "$STATE" recover --all >/dev/null 2>&1
  ip link del "$HOST_IF" >/dev/null 2>&1
  ip link del "$PEER_IF" >/dev/null 2>&1
  rm -rf "$BUNDLE"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== host: a veth pair $HOST_IF <-> $PEER_IF"
ip link add "$HOST_IF" type veth peer name "$PEER_IF"
ip -br link show "$HOST_IF"

echo "== bundle: busybox-static rootfs in $BUNDLE"
mkdir -p "$BUNDLE"/rootfs/{bin,proc,sys,dev,tmp} "$STATE"
cp "$BUSYBOX" "$BUNDLE/rootfs/bin/busybox"
for a in sh ip; do ln -s busybox "$BUNDLE/rootfs/bin/$a"; done
(cd "$BUNDLE" && runc spec)
jq --arg hook "$HOOK" --arg dev "$HOST_IF" --arg log "$LOG" --arg state "$STATE" '
  .process.terminal = false
  | .process.args = ["/bin/sh", "-c", "ip addr show eth1"]
  | .hooks = {
      createRuntime: [{path: $hook, args: ["oci-netdevices", "--log-file", $log, "--state-dir", $state, "hook", "createRuntime"]}],
      poststop:      [{path: $hook, args: ["oci-netdevices", "--log-file", $log, "--state-dir", $state, "hook", "poststop"]}]
    }
  | .linux.netDevices = [{name: $dev, properties: {name: "eth1", address: "192.168.77.2", mask: "255.255.255.0", mtu: 1400}}]
' "$BUNDLE/config.json" > "$BUNDLE/config.new" && mv "$BUNDLE/config.new" "$BUNDLE/config.json"
echo "config.json asks for:"
jq -c '.linux.netDevices' "$BUNDLE/config.json"

echo
echo "== runc run $ID: inside the container, ip addr show eth1:"
runc run -b "$BUNDLE" "$ID"

echo
echo "== host after the container exited (poststop brought the device home):"
ip -br link show "$HOST_IF"
echo
echo "== hook log ($LOG):"
jq -c '{stage, device, step, msg} | with_entries(select(.value != null))' "$LOG" 2>/dev/null | tail -n 8 || tail -n 8 "$LOG"
echo
echo "demo: ok; cleaning up"
