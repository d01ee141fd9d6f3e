#!/usr/bin/env bash
# Saves the image that ci.yml's image job smoke-tested and lineage-checked, for release.yml to push
# as it is (no rebuild): DIR/image.tar.gz (docker save) and DIR/image-id, the sha256 of the image's
# config (which names its layers and labels), read from the archive's own manifest.json so it means
# the same with Docker's classic image store and its containerd store (where the image ID is the
# manifest's digest instead). push-tested-image.sh checks it again.
#   bash .github/scripts/save-tested-image.sh mlship-api:ci "$RUNNER_TEMP/tested-image"
set -euo pipefail

image="${1:?usage: save-tested-image.sh IMAGE DIR}"
out="${2:?usage: save-tested-image.sh IMAGE DIR}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

docker image inspect "$image" > /dev/null 2>&1 || { echo "save-tested-image: no local image $image" >&2; exit 1; }
mkdir -p "$out"
docker save "$image" | gzip -1 > "$out/image.tar.gz"
id="$(bash "$here/archive-config.sh" "$out/image.tar.gz")"
printf '%s\n' "$id" > "$out/image-id"
echo "save-tested-image: $image (config $id), $(($(stat -c %s "$out/image.tar.gz") / 1024 / 1024)) MiB compressed, in $out"
