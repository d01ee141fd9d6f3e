# shellcheck shell=bash source-path=SCRIPTDIR disable=SC2034
# (SC2034: the variables here are read by the scripts that source this file.)
# Shared by the k8s/cluster scripts: the pinned versions, where things live, the cluster's
# addresses and ports, and one-line messages. Sourced, never run.

CLUSTER_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

. "$CLUSTER_DIR/versions.env"

# Binaries, cached per version so that a second `up` builds nothing.
CACHE="${MLSHIP_CLUSTER_CACHE:-/var/cache/mlship-cluster}"
K8S_BIN="$CACHE/kubernetes-$KUBERNETES_VERSION"
ETCD_BIN="$CACHE/etcd-$ETCD_VERSION"
ROUTER_BIN="$CACHE/kube-router-$KUBE_ROUTER_VERSION"
METRICS_BIN="$CACHE/metrics-server-$METRICS_SERVER_VERSION"
KUSTOMIZE_BIN="$CACHE/kustomize-$KUSTOMIZE_VERSION"
K8S_BINARIES="kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl"

# Everything one cluster writes: certificates, etcd data, containerd, kubelet, logs, pids, and the
# baseline of the host settings `down` restores.
RUN="${MLSHIP_CLUSTER_RUN:-/var/lib/mlship-cluster/run}"
PIDS="$RUN/pids"
LOGS="$RUN/logs"
PKI="$RUN/pki"
BASELINE="$RUN/baseline"
KUBECONFIG_ADMIN="$RUN/admin.kubeconfig"
CONTAINERD_SOCK="$RUN/containerd/containerd.sock"
# Local volumes for PersistentVolumeClaims (volumes.sh): one folder per PersistentVolume.
VOLUMES="$RUN/volumes"
VOLUME_COUNT=8
STORAGE_CLASS=mlship-local
# The local registry the node pulls from over plain HTTP (on loopback, like the e2e's).
LOCAL_REGISTRY=127.0.0.1:5000

# Every address lies in 198.18.0.0/15 (RFC 2544 benchmarking space, routed nowhere) or on
# loopback: no cluster packet can reach eth0's network, a private range or the internet.
# The node IP sits on lo because this kind of VM has no `dummy` link type.
NODE_NAME=mlship-node
NODE_IP=198.18.1.1
POD_CIDR=198.18.0.0/24
POD_GATEWAY=198.18.0.1
POD_ROUTE=198.18.0.0/15
SERVICE_CIDR=198.19.0.0/24
API_SERVICE_IP=198.19.0.1
BRIDGE=mlship0
CNI_NETWORK=mlship

# Ports moved off the defaults so that the cluster cannot clash with services already on the host.
API_PORT=16443
ETCD_CLIENT_PORT=23790
ETCD_PEER_PORT=23800
KCM_PORT=20257
SCHEDULER_PORT=20259
KUBELET_PORT=20250
KUBELET_HEALTHZ_PORT=20248
PROXY_METRICS_PORT=20249
PROXY_HEALTHZ_PORT=20256
METRICS_SERVER_PORT=20443
CLUSTER_PORTS="$API_PORT $ETCD_CLIENT_PORT $ETCD_PEER_PORT $KCM_PORT $SCHEDULER_PORT $KUBELET_PORT $KUBELET_HEALTHZ_PORT $PROXY_METRICS_PORT $PROXY_HEALTHZ_PORT $METRICS_SERVER_PORT"

# Host settings the kubelet, kube-proxy and the CNI bridge may rewrite: up records them, down
# writes back what it recorded.
BASELINE_SYSCTLS="vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes net.ipv4.ip_forward net.ipv4.conf.all.forwarding net.ipv6.conf.all.forwarding net.ipv4.conf.all.route_localnet net.bridge.bridge-nf-call-iptables net.bridge.bridge-nf-call-ip6tables net.netfilter.nf_conntrack_max net.netfilter.nf_conntrack_tcp_timeout_established net.netfilter.nf_conntrack_tcp_timeout_close_wait"

# Paths outside $RUN that the kubelet, containerd's CRI and libcni hardcode: down removes what up
# found missing (the baseline records which ones existed).
HOST_PATHS="/var/lib/kubelet /var/lib/kubelet/device-plugins /var/lib/cni /var/log/containers /var/log/pods /run/netns /run/containerd/runc /run/containerd/runc/k8s.io"

say() { printf 'cluster: %s\n' "$*"; }
# A refusal or failure is one line on stderr.
die() {
  printf 'cluster: %s\n' "$1" >&2
  exit "${2:-1}"
}

# Seconds since the epoch with milliseconds, for the timings up and down print.
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# The pid a pid file names, when that process is still alive.
live_pid() {
  local pid
  [ -s "$1" ] || return 1
  pid="$(cat "$1")"
  kill -0 "$pid" 2>/dev/null && printf '%s\n' "$pid"
}

kubectl_admin() { "$K8S_BIN/kubectl" --kubeconfig "$KUBECONFIG_ADMIN" "$@"; }
ctr_k8s() { ctr --address "$CONTAINERD_SOCK" --namespace k8s.io "$@"; }
