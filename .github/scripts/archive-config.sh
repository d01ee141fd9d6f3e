#!/usr/bin/env bash
# Prints `sha256:<hex>`, the config digest of the one image in a `docker save` archive (gzipped or
# not), from its manifest.json: "<hex>.json" in the classic layout, "blobs/sha256/<hex>" in the OCI
# one that Docker 25 and later write.
#   bash .github/scripts/archive-config.sh image.tar.gz
set -euo pipefail

archive="${1:?usage: archive-config.sh ARCHIVE}"
config="$(tar -xOzf "$archive" manifest.json 2> /dev/null || tar -xOf "$archive" manifest.json)" \
  || { echo "archive-config: $archive has no manifest.json (not a docker save archive)" >&2; exit 1; }
hex="$(jq -r 'if length == 1 then .[0].Config else error("\(length) images") end' <<< "$config" | sed -E 's|^blobs/sha256/||; s|\.json$||')" \
  || { echo "archive-config: $archive must hold exactly one image" >&2; exit 1; }
[[ "$hex" =~ ^[a-f0-9]{64}$ ]] || { echo "archive-config: $archive names no config digest ($hex)" >&2; exit 1; }
echo "sha256:$hex"
