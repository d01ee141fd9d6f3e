#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Builds the sandbox image $PAUSE_IMAGE without a registry or Docker: pause.c compiled static,
# packed by hand as an OCI image archive (layer tar, config, manifest, index.json naming the image)
# that `ctr images import` reads. Cached beside the binaries; prints the archive's path.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ARCHIVE="$CACHE/pause-${PAUSE_IMAGE##*:}.tar"

# Writes stdin as a blob of the layout in $1; prints "digest size".
blob() {
  local tmp digest
  tmp="$(mktemp "$1/blob.XXXXXX")"
  cat >"$tmp"
  chmod 0644 "$tmp"
  digest="$(sha256sum "$tmp" | cut -d' ' -f1)"
  mv "$tmp" "$1/blobs/sha256/$digest"
  printf 'sha256:%s %s\n' "$digest" "$(stat -c %s "$1/blobs/sha256/$digest")"
}

build_archive() {
  local work layout arch layer config manifest
  work="$(mktemp -d)"
  layout="$work/layout"
  mkdir -p "$work/rootfs" "$layout/blobs/sha256"
  gcc -static -Os -s -o "$work/rootfs/pause" "$CLUSTER_DIR/pause.c" || die "gcc could not build pause.c (needs gcc and libc6-dev)"
  arch="$(dpkg --print-architecture)"
  # Reproducible layer: fixed owner and time, so the same pause.c gives the same digest.
  layer="$(tar --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$work/rootfs" -cf - pause | blob "$layout")"
  config="$(printf '{"architecture":"%s","os":"linux","config":{"Entrypoint":["/pause"],"User":"65535:65535"},"rootfs":{"type":"layers","diff_ids":["%s"]}}' \
    "$arch" "${layer% *}" | blob "$layout")"
  manifest="$(printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%s}]}' \
    "${config% *}" "${config#* }" "${layer% *}" "${layer#* }" | blob "$layout")"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"platform":{"architecture":"%s","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
    "${manifest% *}" "${manifest#* }" "$arch" "$PAUSE_IMAGE" "${PAUSE_IMAGE##*:}" >"$layout/index.json"
  printf '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
  mkdir -p "$CACHE"
  tar -C "$layout" -cf "$ARCHIVE.partial" oci-layout index.json blobs
  mv "$ARCHIVE.partial" "$ARCHIVE"
  rm -rf "$work"
}

[ -s "$ARCHIVE" ] || build_archive
printf '%s\n' "$ARCHIVE"
