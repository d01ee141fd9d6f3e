# shellcheck shell=bash source-path=SCRIPTDIR
# The host settings the cluster changes: `record_baseline` (up, before the first change) writes
# what the host has into $BASELINE; the restore_* functions (down) undo only what is not in it,
# so whatever the host had before, or another program adds meanwhile, stays. Sourced.

# iptables chains and ipsets the cluster creates: kube-proxy's and the kubelet's KUBE-*,
# kube-router's KUBE-ROUTER-*/KUBE-NWPLCY-*/KUBE-POD-FW-*, the CNI plugins' CNI-*.
OWN_CHAIN='^(KUBE-|CNI-)'

# "table chain" lines, sorted (pipelines here end in `|| true`: up and down run with pipefail).
chains() { "$1-save" 2>/dev/null | awk '/^\*/ { table = substr($1, 2) } /^:/ { print table, substr($1, 2) }' | sort || true; }

record_baseline() {
  local key path
  mkdir -p "$BASELINE"
  for key in $BASELINE_SYSCTLS; do
    sysctl -n "$key" >/dev/null 2>&1 && printf '%s %s\n' "$key" "$(sysctl -n "$key" | tr '\t' ' ')"
  done >"$BASELINE/sysctls"
  for path in $HOST_PATHS; do [ ! -e "$path" ] || echo "$path"; done >"$BASELINE/paths"
  chains iptables >"$BASELINE/chains-iptables"
  chains ip6tables >"$BASELINE/chains-ip6tables"
  ipset list -n 2>/dev/null | sort >"$BASELINE/ipsets" || true
  ip -o link show | awk -F': ' '{ print $2 }' | cut -d@ -f1 | sort >"$BASELINE/links"
  netns_names >"$BASELINE/netns"
  kubepods_cgroups >"$BASELINE/cgroups"
  # The node IP already on lo (put there by someone else) stays there.
  if ip -o addr show dev lo | grep " $NODE_IP/" >/dev/null; then echo "$NODE_IP"; fi >"$BASELINE/lo-address"
}

netns_names() { find /run/netns -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort || true; }

kubepods_cgroups() { find /sys/fs/cgroup -mindepth 2 -maxdepth 2 -type d -name 'kubepods*' 2>/dev/null | sort || true; }

restore_sysctls() {
  local key value
  while read -r key value; do
    [ "$(sysctl -n "$key" 2>/dev/null | tr '\t' ' ')" = "$value" ] && continue
    if sysctl -qw "$key=$value"; then say "restored $key = $value"; else say "could not restore $key = $value"; fi
  done <"$BASELINE/sysctls"
}

# One iptables-restore --noflush batch per table: delete the rules of the host's own chains that
# jump to the cluster's new chains, then flush and delete those chains.
restore_iptables() {
  local tool="$1" table chain new
  for table in $("$tool-save" 2>/dev/null | sed -n 's/^\*//p'); do
    new="$(chains "$tool" | awk -v t="$table" '$1 == t { print $0 }' | comm -23 - "$BASELINE/chains-$tool" | awk '{ print $2 }' | grep -E "$OWN_CHAIN" || true)"
    [ -n "$new" ] || continue
    {
      echo "*$table"
      { "$tool-save" -t "$table" | grep '^-A ' || true; } | while read -r _ chain rule; do
        grep -qxF "$chain" <<<"$new" && continue
        if grep -qE -- "-j ($(paste -sd'|' <<<"$new"))( |$)" <<<"$rule"; then echo "-D $chain $rule"; fi
      done
      awk '{ print "-F " $0 }' <<<"$new"
      awk '{ print "-X " $0 }' <<<"$new"
      echo COMMIT
    } | "$tool-restore" --noflush || say "$tool: could not remove every cluster chain from table $table"
    say "$tool: removed $(wc -l <<<"$new") chains from table $table"
  done
}

restore_ipsets() {
  local set
  for set in $(ipset list -n 2>/dev/null | sort | comm -23 - "$BASELINE/ipsets"); do
    ipset destroy "$set" 2>/dev/null || say "ipset $set is still in use"
  done
}

# The pods' veths and network namespaces (left only when a pod could not be deleted gracefully),
# the bridge, and the node IP on lo.
restore_links() {
  local link ns
  for ns in $(netns_names | comm -23 - "$BASELINE/netns"); do
    ip netns delete "$ns" 2>/dev/null || rm -f "/run/netns/$ns"
    say "removed the network namespace $ns (its pod got no CNI DEL)"
  done
  for link in $(ip -o link show master "$BRIDGE" 2>/dev/null | awk -F': ' '{ print $2 }' | cut -d@ -f1); do
    ip link delete "$link" 2>/dev/null && say "removed the veth $link (its pod got no CNI DEL)"
  done
  grep -qxF "$BRIDGE" "$BASELINE/links" || ip link delete "$BRIDGE" 2>/dev/null || true
  [ -s "$BASELINE/lo-address" ] || ip addr del "$NODE_IP/32" dev lo 2>/dev/null || true
}

# Mount points below the given paths, deepest first.
mounts_under() {
  local prefix
  for prefix in "$@"; do
    awk -v p="$prefix" '$5 == p || index($5, p "/") == 1 { print $5 }' /proc/self/mountinfo
  done | sort -ru
}

restore_mounts() {
  local mount
  for mount in $(mounts_under "$RUN" /var/lib/kubelet); do
    umount "$mount" 2>/dev/null || umount -l "$mount" 2>/dev/null || say "could not unmount $mount"
  done
}

restore_cgroups() {
  local top
  for top in $(kubepods_cgroups | comm -23 - "$BASELINE/cgroups"); do
    find "$top" -depth -type d -exec rmdir {} + 2>/dev/null || say "could not remove the cgroup $top (processes left in it?)"
  done
}

# What the kubelet, containerd's CRI and libcni create outside $RUN whatever they are told.
restore_paths() {
  local path
  rm -f "/var/lib/cni/results/$CNI_NETWORK-"* 2>/dev/null || true
  for path in $(tr ' ' '\n' <<<"$HOST_PATHS" | sort -r); do
    grep -qxF "$path" "$BASELINE/paths" && continue
    # /run/netns may be a mount point (iproute2 makes it one) and may hold other programs' netns.
    if [ "$path" = /run/netns ]; then
      mountpoint -q "$path" && umount "$path"
      rmdir "$path" 2>/dev/null || true
    else
      rm -rf "$path"
    fi
  done
}
