#!/usr/bin/env bash
# Prints the model provenance an image records in its io.mlship.models label (one line of JSON,
# as `npm run -s registry -- provenance` printed it at build time), pulling the image when it is
# not local, and writes it as the step output `json`: what a deploy's lineage check expects.
#   bash .github/scripts/image-models.sh ghcr.io/owner/mlship@sha256:0123…
set -euo pipefail

image="${1:?usage: image-models.sh IMAGE}"
if ! docker image inspect "$image" > /dev/null 2>&1; then docker pull -q "$image" > /dev/null; fi
json="$(docker image inspect --format '{{ index .Config.Labels "io.mlship.models" }}' "$image")"
if [[ "$json" != \[*\] ]]; then
  echo "image-models: $image has no io.mlship.models label (built before provenance labels, or not by release.yml)" >&2
  exit 1
fi
echo "$json"
if [[ -n "${GITHUB_OUTPUT:-}" ]]; then echo "json=$json" >> "$GITHUB_OUTPUT"; fi
