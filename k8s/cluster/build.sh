#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Builds the cluster's binaries from the Go module proxy (the only source this offline machine
# reaches) into $MLSHIP_CLUSTER_CACHE, one folder per pinned version. A binary already there is
# reused, so a second run builds nothing. up.sh runs this; it also runs alone:
#   bash k8s/cluster/build.sh          builds what is missing, printing each binary's build time
#   bash k8s/cluster/build.sh --check  only says, in one line with exit 2, when a build is needed
#                                      and no suitable Go is there (up's preflight)
set -euo pipefail

. "$(dirname "$0")/lib.sh"

GOWORK_DIR="$CACHE/go"
# -mod=mod lets go build write the go.sum of the throwaway modules; GOTOOLCHAIN=local: never fetch
# another Go (check_go names the one needed).
export GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=local
# Own module and build caches: 5 GB at the peak of a cold build, removed once every binary is built.
export GOMODCACHE="$GOWORK_DIR/mod" GOCACHE="$GOWORK_DIR/build"

# The binaries of the pinned versions that are not in the cache yet, as "folder/name" words.
missing_binaries() {
  local name
  for name in $K8S_BINARIES; do [ -x "$K8S_BIN/$name" ] || echo "$K8S_BIN/$name"; done
  [ -x "$ETCD_BIN/etcd" ] || echo "$ETCD_BIN/etcd"
  [ -x "$ROUTER_BIN/kube-router" ] || echo "$ROUTER_BIN/kube-router"
  [ -x "$METRICS_BIN/metrics-server" ] || echo "$METRICS_BIN/metrics-server"
  [ -x "$KUSTOMIZE_BIN/kustomize" ] || echo "$KUSTOMIZE_BIN/kustomize"
}

# A throwaway module that requires MODULE@VERSION, in $GOWORK_DIR/src/NAME; prints its folder.
scratch_module() {
  local name="$1" module="$2" version="$3" dir="$GOWORK_DIR/src/$1"
  rm -rf "$dir" && mkdir -p "$dir"
  printf 'module mlship.local/cluster-build/%s\n\ngo %s\n\nrequire %s %s\n' "$name" "$GO_MIN_VERSION" "$module" "$version" >"$dir/go.mod"
  printf '%s\n' "$dir"
}

# k8s.io/kubernetes points its 31 staging modules at ./staging, which its module zip leaves out:
# replace each with its published version, the list taken from kubernetes' own go.mod.
kubernetes_module() {
  local dir gomod
  dir="$(scratch_module kubernetes k8s.io/kubernetes "$KUBERNETES_VERSION")"
  gomod="$(cd "$dir" && go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" 2>>"$BUILD_LOG" | sed -n 's/^\t"GoMod": "\(.*\)",$/\1/p')"
  [ -s "$gomod" ] || die "no go.mod for k8s.io/kubernetes@$KUBERNETES_VERSION from the Go module proxy"
  sed -n 's#^[[:space:]]*\(k8s.io/[^ ]*\) => \./staging/.*#\1#p' "$gomod" | while read -r staging; do
    printf 'replace %s => %s %s\n' "$staging" "$staging" "$KUBERNETES_STAGING_VERSION"
  done >>"$dir/go.mod"
  printf '%s\n' "$dir"
}

# go build in DIR, niced (other work shares the two cores), timed: ARGS are go build's after its
# flags. Go's own output (hundreds of "downloading" lines) goes to $BUILD_LOG, shown when it fails.
go_build() {
  local dir="$1" ldflags="$2" what="$3"
  shift 3
  if ! (cd "$dir" && nice -n 19 go build -trimpath -ldflags "-s -w $ldflags" "$@") >>"$BUILD_LOG" 2>&1; then
    tail -n 20 "$BUILD_LOG" >&2
    die "go build $what failed (log: $BUILD_LOG)"
  fi
}

# go build PACKAGE in DIR to OUT; the binary appears only when complete, so an interrupted build
# never leaves a cached half.
build_one() {
  local dir="$1" package="$2" out="$3" ldflags="$4" start
  start="$(now)"
  mkdir -p "$(dirname "$out")"
  go_build "$dir" "$ldflags" "$package" -o "$out.partial" "$package"
  mv "$out.partial" "$out"
  say "built $(basename "$out") in $(since "$start") s"
}

build_kubernetes() {
  local dir minor stamp name packages=() partial="$K8S_BIN.partial" start
  dir="$(kubernetes_module)"
  minor="$(echo "$KUBERNETES_VERSION" | cut -d. -f2)"
  # The version every component reports (and the node shows), as the release build stamps it.
  stamp=""
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    stamp="$stamp -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
  done
  # One go build for every missing binary: the packages they share compile once, and their links
  # (tens of seconds each, mostly on one core) run side by side. Into a partial folder, each
  # binary moved into the cache only when all are complete.
  for name in $K8S_BINARIES; do
    [ -x "$K8S_BIN/$name" ] || packages+=("k8s.io/kubernetes/cmd/$name")
  done
  start="$(now)"
  rm -rf "$partial" && mkdir -p "$partial" "$K8S_BIN"
  go_build "$dir" "$stamp" "of Kubernetes" -o "$partial/" "${packages[@]}"
  for name in "${packages[@]##*/}"; do mv "$partial/$name" "$K8S_BIN/$name"; done
  rmdir "$partial"
  say "built ${packages[*]##*/} in $(since "$start") s"
}

build_etcd() {
  local dir
  dir="$(scratch_module etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION")"
  build_one "$dir" go.etcd.io/etcd/server/v3 "$ETCD_BIN/etcd" ""
}

build_router() {
  local dir
  dir="$(scratch_module kube-router github.com/cloudnativelabs/kube-router/v2 "$KUBE_ROUTER_VERSION")"
  build_one "$dir" github.com/cloudnativelabs/kube-router/v2/cmd/kube-router "$ROUTER_BIN/kube-router" \
    "-X github.com/cloudnativelabs/kube-router/v2/pkg/version.Version=$KUBE_ROUTER_VERSION"
}

build_metrics_server() {
  local dir
  dir="$(scratch_module metrics-server sigs.k8s.io/metrics-server "$METRICS_SERVER_VERSION")"
  build_one "$dir" sigs.k8s.io/metrics-server/cmd/metrics-server "$METRICS_BIN/metrics-server" \
    "-X k8s.io/client-go/pkg/version.gitVersion=$METRICS_SERVER_VERSION"
}

# Its version comes from the module's build info (`kustomize version` prints v5.7.1).
build_kustomize() {
  local dir
  dir="$(scratch_module kustomize sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_VERSION")"
  build_one "$dir" sigs.k8s.io/kustomize/kustomize/v5 "$KUSTOMIZE_BIN/kustomize" ""
}

# The binaries' names, on one line.
names_of() {
  local path names=""
  for path in $1; do names="$names ${path##*/}"; done
  printf '%s\n' "${names# }"
}

# One line and exit 2 when binaries are missing and no Go new enough to build them is on PATH.
check_go() {
  local names have
  names="$(names_of "$1")"
  command -v go >/dev/null || die "Go >= $GO_MIN_VERSION is needed to build $names (no go on PATH)" 2
  have="$(go version | awk '{ sub(/^go/, "", $3); print $3 }')"
  [ "$(printf '%s\n%s\n' "$GO_MIN_VERSION" "$have" | sort -V | head -n1)" = "$GO_MIN_VERSION" ] ||
    die "Go $have is older than $GO_MIN_VERSION, which Kubernetes $KUBERNETES_VERSION needs to build $names" 2
}

main() {
  local missing start
  missing="$(missing_binaries)"
  if [ "${1:-}" = --check ]; then
    [ -z "$missing" ] || check_go "$missing"
    return 0
  fi
  mkdir -p "$CACHE"
  # Two ups at once would build the same binaries twice: the second waits for the first.
  exec 9>"$CACHE/.build.lock"
  flock 9
  missing="$(missing_binaries)"
  if [ -z "$missing" ]; then
    say "reused the cached binaries in $CACHE (nothing to build)"
    return 0
  fi
  check_go "$missing"
  BUILD_LOG="$CACHE/build.log"
  : >"$BUILD_LOG"
  say "building $(names_of "$missing") with $(go version | cut -d' ' -f3), niced (a cold build took 18-25 minutes here, two cores shared with other jobs; log: $BUILD_LOG)"
  start="$(now)"
  # Kubernetes beside the four smaller modules: while one downloads or links on one core, the
  # other compiles. Both in the background (where set -e still holds), so that a failure of one
  # waits for the other before the exit.
  local kubernetes others status=0
  (if grep -q "^$K8S_BIN/" <<<"$missing"; then build_kubernetes; fi) &
  kubernetes=$!
  (
    if grep -q "^$ETCD_BIN/" <<<"$missing"; then build_etcd; fi
    if grep -q "^$ROUTER_BIN/" <<<"$missing"; then build_router; fi
    if grep -q "^$KUSTOMIZE_BIN/" <<<"$missing"; then build_kustomize; fi
    if grep -q "^$METRICS_BIN/" <<<"$missing"; then build_metrics_server; fi
  ) &
  others=$!
  wait "$kubernetes" || status=$?
  wait "$others" || status=$?
  [ "$status" = 0 ] || exit "$status"
  # Only the binaries are worth keeping; the module and build caches are several GB.
  chmod -R u+w "$GOWORK_DIR" && rm -rf "$GOWORK_DIR"
  say "build done in $(since "$start") s: $(du -sh "$CACHE" | cut -f1) in $CACHE"
}

main "$@"
