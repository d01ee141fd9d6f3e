#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# The Gateway API CRDs of the standard channel at GATEWAY_API_VERSION (versions.env), for the
# live check of k8s/components/gateway-api. They come from the module zip of sigs.k8s.io/gateway-api
# on the Go module proxy, the only source this offline machine reaches (the module keeps its
# generated CRDs in config/crd/standard), and are cached per version beside the binaries, so a
# second run fetches nothing. Prints the folder that holds them:
#   bash k8s/cluster/gateway-api-crds.sh   ->  $MLSHIP_CLUSTER_CACHE/gateway-api-<version>
set -euo pipefail

. "$(dirname "$0")/lib.sh"

MODULE=sigs.k8s.io/gateway-api
DEST="$CACHE/gateway-api-$GATEWAY_API_VERSION"

# go mod download checks the zip against the checksum database before it prints where the zip is.
# For a release whose go.mod asks for a newer Go than this one it still downloads and checks the
# zip, then refuses only to unpack it ("... requires go >= ..." in Error): the CRDs are read from the
# zip itself, so that refusal is the one error tolerated.
fetch() {
  local work="$1" json zip error
  printf 'module mlship.local/cluster-build/gateway-api\n\ngo %s\n' "$GO_MIN_VERSION" >"$work/go.mod"
  json="$(cd "$work" && GOFLAGS=-mod=mod GOTOOLCHAIN=local GOMODCACHE="$work/mod" GOCACHE="$work/build" \
    go mod download -json "$MODULE@$GATEWAY_API_VERSION" 2>&1)" || true
  # One field a line, tab-indented, a comma after all but the last.
  zip="$(sed -n 's/^\t"Zip": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")"
  error="$(sed -n 's/^\t"Error": "\(.*\)",\{0,1\}$/\1/p' <<<"$json")"
  if [ -n "$error" ] && ! grep -q "^$MODULE@$GATEWAY_API_VERSION requires go " <<<"$error"; then
    die "go mod download $MODULE@$GATEWAY_API_VERSION: $error"
  fi
  [ -s "$zip" ] || die "go mod download $MODULE@$GATEWAY_API_VERSION printed no zip: $(tr '\n' ' ' <<<"$json")"
  mkdir -p "$work/crds"
  unzip -q -j "$zip" "$MODULE@$GATEWAY_API_VERSION/config/crd/standard/*.yaml" -d "$work/crds" ||
    die "$MODULE@$GATEWAY_API_VERSION has no config/crd/standard/*.yaml in its module zip"
}

# The scratch folder of one fetch (module cache, unpacked CRDs), removed however the script ends.
WORK=""
remove_work() {
  # Go leaves its module cache read-only.
  if [ -n "$WORK" ]; then chmod -R u+w "$WORK" && rm -rf "$WORK"; fi
}

main() {
  if [ ! -d "$DEST" ]; then
    command -v go >/dev/null || die "go is needed to fetch $MODULE@$GATEWAY_API_VERSION from the Go module proxy" 2
    command -v unzip >/dev/null || die "unzip is needed to read the module zip of $MODULE (apt-get install unzip)" 2
    mkdir -p "$CACHE"
    trap remove_work EXIT
    WORK="$(mktemp -d "$CACHE/.gateway-api.XXXXXX")"
    fetch "$WORK"
    # Appears whole or not at all; a run that lost the race keeps the other's copy.
    mv -T "$WORK/crds" "$DEST" 2>/dev/null || [ -d "$DEST" ]
  fi
  printf '%s\n' "$DEST"
}

main "$@"
