#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# bash k8s/cluster/load-image.sh IMAGE...: copies images from the local Docker engine into the
# cluster's containerd (namespace k8s.io), since the cluster reaches no registry. A pod names the
# image as Docker does (`mlship-api:local` is docker.io/library/mlship-api:local to both) with
# imagePullPolicy: Never or IfNotPresent. Also run by `npm run cluster:up -- --load IMAGE`.
# DOCKER picks the client (default: docker on PATH).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

DOCKER="${DOCKER:-docker}"

[ $# -gt 0 ] || die "usage: bash k8s/cluster/load-image.sh IMAGE..." 2
[ -S "$CONTAINERD_SOCK" ] || die "no cluster is up in $RUN (npm run cluster:up first)" 2
for image in "$@"; do
  start="$(now)"
  "$DOCKER" image inspect "$image" >/dev/null 2>&1 || die "the Docker engine has no image $image (or is not running; DOCKER=$DOCKER)" 2
  # Only this machine's platform is imported: an archive's other entries (attestations, other
  # architectures) need not be complete.
  "$DOCKER" save "$image" | ctr_k8s images import - >/dev/null || die "ctr could not import $image"
  say "loaded $image ($("$DOCKER" image inspect -f '{{.Size}}' "$image" | awk '{ printf "%d MB", $1 / 1e6 }')) in $(since "$start") s"
done
