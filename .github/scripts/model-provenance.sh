#!/usr/bin/env bash
# Verifies a model registry and writes its provenance (one line of JSON: name, version, sha256,
# data sha256 and accuracy of every promoted model) as the step output `json`, the value the
# image build takes as MODEL_PROVENANCE and records as the label io.mlship.models.
#   bash .github/scripts/model-provenance.sh model/artifacts
set -euo pipefail

dir="${1:?usage: model-provenance.sh MODEL_DIR}"
[[ -d "$dir" ]] || { echo "model-provenance: $dir is not a directory (download the gated registry first)" >&2; exit 1; }

npm run -s registry -- verify --model-dir "$dir"
json="$(npm run -s registry -- provenance --model-dir "$dir")"
if [[ "$json" != \[*\] || "$json" == '[]' ]]; then
  echo "model-provenance: $dir has no promoted model (provenance: $json)" >&2
  exit 1
fi
echo "$json"
if [[ -n "${GITHUB_OUTPUT:-}" ]]; then echo "json=$json" >> "$GITHUB_OUTPUT"; fi
