#!/usr/bin/env bash
# Saves the image that ci.yml's image job smoke-tested and lineage-checked, for release.yml to push
# as it is (no rebuild): DIR/image.tar.gz (docker save) and DIR/image-id, the image ID (the sha256
# of its config, which names its layers and labels) that push-tested-image.sh checks again.
#   bash .github/scripts/save-tested-image.sh mlship-api:ci "$RUNNER_TEMP/tested-image"
set -euo pipefail

image="${1:?usage: save-tested-image.sh IMAGE DIR}"
out="${2:?usage: save-tested-image.sh IMAGE DIR}"

id="$(docker image inspect --format '{{.Id}}' "$image")" || { echo "save-tested-image: no local image $image" >&2; exit 1; }
mkdir -p "$out"
docker save "$image" | gzip -1 > "$out/image.tar.gz"
printf '%s\n' "$id" > "$out/image-id"
echo "save-tested-image: $image ($id), $(($(stat -c %s "$out/image.tar.gz") / 1024 / 1024)) MiB compressed, in $out"
