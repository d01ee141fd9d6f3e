#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# npm run cluster:down: stops the cluster up.sh started and puts the host back as up found it.
# Pods are deleted through the API first, so that the kubelet stops their sandboxes and the CNI
# DEL removes their veths and addresses; then every daemon is stopped by the pid up.sh recorded,
# and every host setting in $RUN/baseline is restored. A second run (or one without up) does nothing.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$CLUSTER_DIR/host.sh"

STATE="$RUN/containerd/state/io.containerd.runtime.v2.task/k8s.io"

# A process whose command line names $RUN (a pid reused by another program does not).
names_run() { { tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null | grep -F "$RUN" >/dev/null; }

# A live (not zombie) process.
alive() {
  local stat
  stat="$(ps -o stat= -p "$1" 2>/dev/null)" && [ "${stat:0:1}" != Z ]
}

# stop NAME: SIGTERM to the pid in $PIDS/NAME.pid, SIGKILL after 15 s. A pid whose command line
# no longer names $RUN was reused by another program and is left alone.
stop() {
  local pid
  pid="$(cat "$PIDS/$1.pid" 2>/dev/null)" || return 0
  rm -f "$PIDS/$1.pid"
  alive "$pid" && names_run "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 75); do alive "$pid" || break; sleep 0.2; done
  ! alive "$pid" || { kill -KILL "$pid" 2>/dev/null && sleep 0.5; }
  say "stopped $1 (pid $pid)"
}

# Deleted through the API, each pod's containers get their grace period and its sandbox a CNI
# DEL. The controller manager and scheduler stop first, so that no controller replaces a pod.
delete_pods() {
  local start count
  if ! alive "$(cat "$PIDS/kubelet.pid" 2>/dev/null || echo 0)" || ! kubectl_admin get --raw /readyz >/dev/null 2>&1; then
    say "the apiserver or the kubelet is not running: pods are removed through containerd instead"
    return 0
  fi
  stop kube-controller-manager
  stop kube-scheduler
  start="$(now)"
  count="$(kubectl_admin get pods --all-namespaces --no-headers 2>/dev/null | wc -l)"
  [ "$count" -gt 0 ] || return 0
  kubectl_admin delete pods --all --all-namespaces --wait=true --timeout=120s >/dev/null ||
    say "some pods were not deleted within 120 s"
  # The kubelet removes a pod's object once its sandbox is stopped; its veth goes with the CNI DEL.
  for _ in $(seq 50); do [ -z "$(ip -o link show master "$BRIDGE" 2>/dev/null)" ] && break; sleep 0.2; done
  say "deleted $count pods gracefully in $(since "$start") s"
}

# Whatever containerd still runs (a kubelet that died, a pod that did not go): killed and deleted.
remove_containers() {
  local id
  alive "$(cat "$PIDS/containerd.pid" 2>/dev/null || echo 0)" || return 0
  for id in $(ctr_k8s tasks ls -q 2>/dev/null); do
    ctr_k8s tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
    ctr_k8s tasks delete -f "$id" >/dev/null 2>&1 || true
  done
  for id in $(ctr_k8s containers ls -q 2>/dev/null); do ctr_k8s containers delete "$id" >/dev/null 2>&1 || true; done
}

# The pids of the shims serving task ID of our containerd (their command line names both).
shims_of() {
  local pid
  for pid in $(ps -e -o pid= -o comm= | awk '$2 ~ /^containerd-shim/ { print $1 }'); do
    { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -F -- "-id $1 -address $CONTAINERD_SOCK" >/dev/null && echo "$pid"
  done
  return 0
}

# What containerd left when it or the kubelet died with pods running: each task in our state
# dir has its container's pid (init.pid) and a shim. The shim's socket is in /run/containerd/s,
# which docker's containerd shares: only the sockets our tasks' `address` files name are removed.
remove_shims() {
  local dir id pid socket
  for dir in "$STATE"/*/; do
    [ -d "$dir" ] || continue
    id="$(basename "$dir")"
    for pid in $(cat "$dir/init.pid" 2>/dev/null) $(shims_of "$id"); do
      alive "$pid" && kill -KILL "$pid" 2>/dev/null && say "killed the leftover process $pid of container $id"
    done
    socket="$(sed -n 's#^unix://\(/run/containerd/s/[0-9a-f]*\)$#\1#p' "$dir/address" 2>/dev/null)"
    [ -z "$socket" ] || rm -f "$socket"
  done
}

restore_host() {
  restore_mounts
  restore_links
  restore_iptables iptables
  restore_iptables ip6tables
  restore_ipsets
  restore_cgroups
  restore_paths
  # Last: the kubelet and kube-proxy, which rewrite some of these, are gone by now.
  restore_sysctls
}

# Processes whose command line still names $RUN: none should be left.
leftovers() {
  local pid found=""
  for pid in $(ps -e -o pid=); do
    [ "$pid" != $$ ] && names_run "$pid" && found="$found $pid"
  done
  [ -z "$found" ] || say "still running:$found"
  [ -z "$found" ]
}

main() {
  local start component logs
  if [ ! -d "$BASELINE" ]; then
    say "nothing to do (no cluster in $RUN)"
    return 0
  fi
  [ "$(id -u)" = 0 ] || die "needs root" 2
  start="$(now)"
  delete_pods
  for component in metrics-server kube-router kube-proxy kubelet; do stop "$component"; done
  remove_containers
  for component in containerd kube-scheduler kube-controller-manager kube-apiserver etcd; do stop "$component"; done
  remove_shims
  restore_host
  leftovers || die "down left processes running (see above); the logs are in $RUN/logs"
  # The logs of the last cluster stay beside the run folder; everything else goes.
  logs="$(dirname "$RUN")/last-logs"
  rm -rf "$logs"
  mv "$LOGS" "$logs" 2>/dev/null || true
  rm -rf "$RUN"
  say "down in $(since "$start") s: host restored (logs of this cluster in $logs)"
}

main "$@"
