#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Writes the node's configuration into $RUN: containerd (its own root, state and socket, never
# /etc/containerd/config.toml nor docker's containerd), the CNI bridge, the kubelet and kube-proxy.
# Run by up.sh.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

containerd_config() {
  mkdir -p "$RUN/containerd" "$RUN/runc"
  cat >"$RUN/containerd/config.toml" <<EOF
version = 2
root = "$RUN/containerd/root"
state = "$RUN/containerd/state"
oom_score = 0
# The opt plugin would create /opt/containerd; the others are snapshotters this node never uses.
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]

[grpc]
  address = "$CONTAINERD_SOCK"

[ttrpc]
  address = "$CONTAINERD_SOCK.ttrpc"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # exec/logs streams on loopback, on a port the kernel picks.
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  # This VM's root lacks CAP_SYS_RESOURCE: the negative oom_score_adj CRI gives the pause
  # container makes every runc create fail. Clamp to containerd's own score instead.
  restrict_oom_score_adj = true
  disable_apparmor = true

  # Per-registry settings (hosts.toml): the local registry is plain HTTP on loopback.
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$RUN/containerd/certs.d"

  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"

    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        # runc's state under \$RUN instead of /run/containerd/runc, which docker's containerd shares.
        Root = "$RUN/runc"

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$RUN/cni/net.d"
    max_conf_num = 1
EOF
}

# The node pulls from $LOCAL_REGISTRY over HTTP, never from a public registry.
registry_config() {
  mkdir -p "$RUN/containerd/certs.d/$LOCAL_REGISTRY"
  cat >"$RUN/containerd/certs.d/$LOCAL_REGISTRY/hosts.toml" <<EOF
server = "http://$LOCAL_REGISTRY"

[host."http://$LOCAL_REGISTRY"]
  capabilities = ["pull", "resolve"]
EOF
}

# A bridge with host-local addresses from $POD_CIDR. Pods get one route, to $POD_ROUTE (pods,
# services and the node), and no default route; no masquerade: nothing leaves 198.18.0.0/15.
cni_config() {
  mkdir -p "$RUN/cni/net.d" "$RUN/cni/ipam"
  cat >"$RUN/cni/net.d/10-$CNI_NETWORK.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "$CNI_NETWORK",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$RUN/cni/ipam",
        "ranges": [[{ "subnet": "$POD_CIDR", "gateway": "$POD_GATEWAY" }]],
        "routes": [{ "dst": "$POD_ROUTE" }]
      }
    }
  ]
}
EOF
}

kubelet_config() {
  mkdir -p "$RUN/kubelet" "$RUN/pod-logs"
  cat >"$RUN/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $PKI/kubelet-serving.crt
tlsPrivateKeyFile: $PKI/kubelet-serving.key
containerRuntimeEndpoint: unix://$CONTAINERD_SOCK
# cgroup v1 hosts: 1.34 still runs there when told to.
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
podLogsDir: $RUN/pod-logs
# No cluster DNS, and not the host's resolv.conf either: its resolver is outside 198.18.0.0/15.
resolvConf: ""
clusterDomain: cluster.local
# A busy CI disk must neither evict the pods nor garbage-collect the hand-made images.
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
EOF
}

kube_proxy_config() {
  cat >"$RUN/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $RUN/kube-proxy.kubeconfig}
hostnameOverride: $NODE_NAME
mode: iptables
clusterCIDR: $POD_CIDR
healthzBindAddress: 127.0.0.1:$PROXY_HEALTHZ_PORT
metricsBindAddress: 127.0.0.1:$PROXY_METRICS_PORT
# NodePorts answer on the node IP and on 127.0.0.1 (as kind maps them to the host), never on eth0.
# Loopback NodePorts make kube-proxy set net.ipv4.conf.all.route_localnet=1; down restores it.
nodePortAddresses: [$NODE_IP/32, 127.0.0.1/32]
iptables: {localhostNodePorts: true}
# 0 leaves the host's conntrack table size and timeouts as they are.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
}

containerd_config
registry_config
cni_config
kubelet_config
kube_proxy_config
