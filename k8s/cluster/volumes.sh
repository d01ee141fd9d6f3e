#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# bash k8s/cluster/volumes.sh: storage for PersistentVolumeClaims on the one node, as a cloud's
# default StorageClass would give it. The cluster has no provisioner (each would need an image
# from a public registry), so this keeps $VOLUME_COUNT local PersistentVolumes, one folder each
# under $VOLUMES, in the default StorageClass $STORAGE_CLASS: it creates the missing ones, and
# empties and frees those whose claim was deleted (Released), so a namespace deleted and made
# again gets clean volumes. The kubelet gives a local volume the pod's fsGroup, as on any cluster.
# up.sh runs it once the node is Ready; run it again after deleting claims.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ -f "$KUBECONFIG_ADMIN" ] || die "no cluster is up in $RUN (npm run cluster:up first)" 2

# Both access modes: ReadWriteMany claims (the production overlay's) bind too, which is true of
# a folder on the only node.
volume() {
  cat <<YAML
apiVersion: v1
kind: PersistentVolume
metadata:
  name: $1
  labels: {app.kubernetes.io/managed-by: mlship-cluster}
spec:
  capacity: {storage: 5Gi}
  accessModes: [ReadWriteOnce, ReadWriteMany]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: $STORAGE_CLASS
  local: {path: $VOLUMES/$1}
  nodeAffinity:
    required:
      nodeSelectorTerms:
        - matchExpressions: [{key: kubernetes.io/hostname, operator: In, values: [$NODE_NAME]}]
---
YAML
}

storage_class() {
  cat <<YAML
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: $STORAGE_CLASS
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: kubernetes.io/no-provisioner
# Bound when a pod is scheduled, as local volumes must be.
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Retain
---
YAML
}

main() {
  local i name released
  mkdir -p "$VOLUMES"
  # Checks running side by side free volumes at once: one at a time, each sees what the last left.
  exec 9>"$RUN/volumes.lock"
  flock 9
  {
    storage_class
    for i in $(seq 1 "$VOLUME_COUNT"); do
      name="local-$i"
      mkdir -p "$VOLUMES/$name"
      volume "$name"
    done
  } | kubectl_admin apply -f - >/dev/null
  released="$(kubectl_admin get pv -l app.kubernetes.io/managed-by=mlship-cluster -o jsonpath='{range .items[?(@.status.phase=="Released")]}{.metadata.name}{"\n"}{end}')"
  for name in $released; do
    find "$VOLUMES/$name" -mindepth 1 -delete
    kubectl_admin patch pv "$name" --type json -p '[{"op": "remove", "path": "/spec/claimRef"}]' >/dev/null
  done
  say "$VOLUME_COUNT local volumes in StorageClass $STORAGE_CLASS (default)${released:+, freed: ${released//$'\n'/ }}"
}

main "$@"
