#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# npm run cluster:up [-- --load IMAGE]...: a single-node Kubernetes cluster on this machine, with
# no registry and no internet. Builds (or reuses) the pinned binaries, records the host settings
# down.sh restores, starts etcd, the control plane, containerd, the kubelet, kube-proxy and
# kube-router as processes under $RUN, waits for the node to be Ready and prints the kubeconfig.
# Refuses in one line, before changing anything, where it cannot run. A failure after the first
# change runs down.sh, so the host is left as it was.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$CLUSTER_DIR/host.sh"

# One line and exit 2 for each reason this machine cannot run the cluster.
preflight() {
  [ "$(uname -s)" = Linux ] || die "needs Linux (this is $(uname -s))" 2
  [ "$(id -u)" = 0 ] || die "needs root (containerd, the kubelet and iptables do)" 2
  [ ! -d "$BASELINE" ] || die "a cluster is already up in $RUN (npm run cluster:down first)" 2
  ports_check
  cgroup_check
  bash "$CLUSTER_DIR/build.sh" --check
}

# cgroup v2, or cgroup v1 with every controller the kubelet needs mounted.
cgroup_check() {
  local controller missing=""
  [ -e /sys/fs/cgroup/cgroup.controllers ] && return 0
  for controller in cpu cpuacct cpuset memory devices freezer pids; do
    [ -d "/sys/fs/cgroup/$controller" ] || missing="$missing $controller"
  done
  [ -z "$missing" ] || die "cgroup setup unsupported: needs cgroup v2 or the v1 controllers cpu cpuacct cpuset memory devices freezer pids (missing:$missing)" 2
}

ports_check() {
  local port busy=""
  for port in $CLUSTER_PORTS; do
    [ -z "$(ss -Hltn "sport = :$port")" ] || busy="$busy $port"
  done
  [ -z "$busy" ] || die "ports in use:$busy (the cluster listens on $CLUSTER_PORTS)" 2
}

# apt-get install what is missing; the package lists are refreshed only when an install fails.
apt_packages() {
  local pkg missing="" start
  for pkg in $APT_PACKAGES; do
    [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ] || missing="$missing $pkg"
  done
  [ -n "$missing" ] || return 0
  start="$(now)"
  export DEBIAN_FRONTEND=noninteractive
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $missing >/dev/null 2>&1 ||
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing >/dev/null; } ||
    die "apt-get install$missing failed"
  say "installed$missing in $(since "$start") s"
}

# start NAME COMMAND...: a daemon in its own session (so the caller's end does not stop it),
# logged to $LOGS/NAME.log, its pid in $PIDS/NAME.pid for down.sh.
start() {
  local name="$1"
  shift
  setsid "$@" >"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$PIDS/$name.pid"
}

# wait_for NAME SECONDS COMMAND...: polls COMMAND until it succeeds; fails with the end of NAME's
# log when the daemon exits or the time is up.
wait_for() {
  local name="$1" seconds="$2" deadline
  shift 2
  deadline=$(($(date +%s) + seconds))
  until "$@" >/dev/null 2>&1; do
    if ! live_pid "$PIDS/$name.pid" >/dev/null || [ "$(date +%s)" -ge "$deadline" ]; then
      tail -n 15 "$LOGS/$name.log" >&2
      die "$name did not come up (the end of its log is above)"
    fi
    sleep 0.2
  done
}

start_control_plane() {
  start etcd "$ETCD_BIN/etcd" --name mlship --data-dir "$RUN/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "mlship=http://127.0.0.1:$ETCD_PEER_PORT"
  wait_for etcd 30 curl -sf "http://127.0.0.1:$ETCD_CLIENT_PORT/health"
  start kube-apiserver "$K8S_BIN/kube-apiserver" --advertise-address "$NODE_IP" --bind-address "$NODE_IP" \
    --secure-port "$API_PORT" --etcd-servers "http://127.0.0.1:$ETCD_CLIENT_PORT" \
    --service-cluster-ip-range "$SERVICE_CIDR" --authorization-mode Node,RBAC --enable-admission-plugins NodeRestriction \
    --client-ca-file "$PKI/ca.crt" --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --kubelet-client-certificate "$PKI/apiserver-kubelet-client.crt" --kubelet-client-key "$PKI/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority "$PKI/ca.crt" --kubelet-preferred-address-types InternalIP \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" --profiling=false \
    --requestheader-client-ca-file "$PKI/front-proxy-ca.crt" --requestheader-allowed-names front-proxy-client \
    --requestheader-username-headers X-Remote-User --requestheader-group-headers X-Remote-Group \
    --requestheader-extra-headers-prefix X-Remote-Extra- --proxy-client-cert-file "$PKI/front-proxy-client.crt" \
    --proxy-client-key-file "$PKI/front-proxy-client.key" --enable-aggregator-routing=true
  wait_for kube-apiserver 60 kubectl_admin get --raw /readyz
  kubectl_admin apply -f "$CLUSTER_DIR/rbac.yaml" >/dev/null
  local component
  for component in kube-controller-manager kube-scheduler; do
    set -- --kubeconfig "$RUN/$component.kubeconfig" --authentication-kubeconfig "$RUN/$component.kubeconfig" \
      --authorization-kubeconfig "$RUN/$component.kubeconfig" --bind-address 127.0.0.1 --leader-elect=false --profiling=false
    if [ "$component" = kube-scheduler ]; then
      start kube-scheduler "$K8S_BIN/kube-scheduler" "$@" --secure-port "$SCHEDULER_PORT"
    else
      start kube-controller-manager "$K8S_BIN/kube-controller-manager" "$@" --secure-port "$KCM_PORT" \
        --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key" --root-ca-file "$PKI/ca.crt" \
        --service-account-private-key-file "$PKI/sa.key" --use-service-account-credentials \
        --service-cluster-ip-range "$SERVICE_CIDR"
    fi
  done
}

start_node() {
  start containerd containerd --config "$RUN/containerd/config.toml"
  wait_for containerd 30 ctr --address "$CONTAINERD_SOCK" version
  ctr_k8s images import "$PAUSE_ARCHIVE" >/dev/null
  start kubelet "$K8S_BIN/kubelet" --config "$RUN/kubelet/config.yaml" --kubeconfig "$RUN/kubelet.kubeconfig" \
    --root-dir "$RUN/kubelet" --cert-dir "$RUN/kubelet/pki" --node-ip "$NODE_IP" --hostname-override "$NODE_NAME"
  start kube-proxy "$K8S_BIN/kube-proxy" --config "$RUN/kube-proxy.yaml"
  wait_for kubelet 120 kubectl_admin wait --for=condition=Ready "node/$NODE_NAME" --timeout=2s
  say "node $NODE_NAME Ready $(since "$START") s after the start"
  # kube-router exits when its node is not registered yet: it starts once the node is Ready. Its
  # health and metrics servers would listen on every address: both off; its chain is the signal.
  start kube-router "$ROUTER_BIN/kube-router" --kubeconfig "$RUN/kube-router.kubeconfig" --hostname-override "$NODE_NAME" \
    --run-firewall=true --run-router=false --run-service-proxy=false --enable-cni=false --enable-pod-egress=false \
    --enable-ipv6=false --service-cluster-ip-range "$SERVICE_CIDR" --health-port 0 --metrics-port 0
  wait_for kube-router 30 iptables -n -L KUBE-ROUTER-INPUT
  say "kube-router's NetworkPolicy firewall in place $(since "$START") s after the start"
}

# The resource metrics API the HorizontalPodAutoscaler reads: metrics-server on the host, like the
# control plane, behind an APIService whose Service has no selector, only an EndpointSlice naming
# the node's address (the apiserver proxies to endpoints directly: --enable-aggregator-routing).
start_metrics_server() {
  start metrics-server "$METRICS_BIN/metrics-server" --kubeconfig "$RUN/metrics-server.kubeconfig" \
    --authentication-kubeconfig "$RUN/metrics-server.kubeconfig" --authorization-kubeconfig "$RUN/metrics-server.kubeconfig" \
    --bind-address "$NODE_IP" --secure-port "$METRICS_SERVER_PORT" \
    --tls-cert-file "$PKI/metrics-server.crt" --tls-private-key-file "$PKI/metrics-server.key" \
    --kubelet-certificate-authority "$PKI/ca.crt" --kubelet-preferred-address-types InternalIP --kubelet-use-node-status-port \
    --metric-resolution 15s --profiling=false
  kubectl_admin apply -f - >/dev/null <<MANIFESTS
apiVersion: v1
kind: Service
metadata: {name: metrics-server, namespace: kube-system}
spec:
  ports: [{name: https, port: 443, targetPort: $METRICS_SERVER_PORT}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: metrics-server
  namespace: kube-system
  labels: {kubernetes.io/service-name: metrics-server}
addressType: IPv4
ports: [{name: https, port: $METRICS_SERVER_PORT, protocol: TCP}]
endpoints: [{addresses: ["$NODE_IP"], conditions: {ready: true}}]
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1beta1.metrics.k8s.io}
spec:
  service: {name: metrics-server, namespace: kube-system, port: 443}
  group: metrics.k8s.io
  version: v1beta1
  caBundle: $(base64 -w0 "$PKI/ca.crt")
  groupPriorityMinimum: 100
  versionPriority: 100
MANIFESTS
  wait_for metrics-server 60 kubectl_admin wait --for=condition=Available apiservice/v1beta1.metrics.k8s.io --timeout=2s
  say "metrics.k8s.io served by metrics-server $(since "$START") s after the start"
}

# Every daemon up.sh started is still running (one that exited fails up with its log).
all_running() {
  local file name
  for file in "$PIDS"/*.pid; do
    name="$(basename "$file" .pid)"
    live_pid "$file" >/dev/null || { tail -n 15 "$LOGS/$name.log" >&2 && die "$name exited (the end of its log is above)"; }
  done
}

# Runs down.sh when up fails after its first change to the host.
on_failure() {
  local status=$?
  [ "$status" -eq 0 ] && return 0
  say "up failed: restoring the host (the logs stay in $(dirname "$RUN")/last-logs)"
  bash "$CLUSTER_DIR/down.sh" || true
  exit "$status"
}

main() {
  local images=() total build_start
  while [ $# -gt 0 ]; do
    case "$1" in
      --load) images+=("${2:?--load needs an image}") && shift 2 ;;
      *) die "unknown option $1 (usage: npm run cluster:up [-- --load IMAGE]...)" 2 ;;
    esac
  done
  total="$(now)"
  preflight
  apt_packages
  build_start="$(now)"
  bash "$CLUSTER_DIR/build.sh"
  PAUSE_ARCHIVE="$(bash "$CLUSTER_DIR/pause-image.sh")"
  say "binaries and pause image ready in $(since "$build_start") s"

  mkdir -p "$PIDS" "$LOGS"
  record_baseline
  trap on_failure EXIT
  START="$(now)"
  bash "$CLUSTER_DIR/pki.sh"
  bash "$CLUSTER_DIR/config.sh"
  ip addr add "$NODE_IP/32" dev lo 2>/dev/null || true
  # kube-proxy's ClusterIPs for pods on the same bridge need bridged traffic to pass iptables.
  sysctl -qw net.bridge.bridge-nf-call-iptables=1 2>/dev/null || true
  start_control_plane
  start_node
  start_metrics_server
  all_running
  bash "$CLUSTER_DIR/volumes.sh"
  for image in "${images[@]}"; do bash "$CLUSTER_DIR/load-image.sh" "$image"; done
  trap - EXIT
  say "up in $(since "$total") s. Use it with:"
  printf "  export KUBECONFIG=%s\n  export PATH=%s:%s:\$PATH   # kubectl %s, kustomize %s\n" "$KUBECONFIG_ADMIN" "$K8S_BIN" "$KUSTOMIZE_BIN" "$KUBERNETES_VERSION" "$KUSTOMIZE_VERSION"
  say "images: bash k8s/cluster/load-image.sh IMAGE; stop and restore the host: npm run cluster:down"
}

main "$@"
