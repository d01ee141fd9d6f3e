#!/usr/bin/env bash
# Turns the deploy input (a tag such as sha-1a2b3c4 / 1.2.0 / latest, or a digest sha256:…)
# into a full image reference and writes it as the step output `ref` (and prints it).
#   bash .github/scripts/image-ref.sh ghcr.io/owner/mlship sha256:0123…
set -euo pipefail

repository="${1:?usage: image-ref.sh REPOSITORY TAG_OR_DIGEST}"
wanted="${2:?usage: image-ref.sh REPOSITORY TAG_OR_DIGEST}"
repository="${repository,,}"
if [[ "$wanted" =~ ^sha256:[a-f0-9]{64}$ ]]; then
  ref="$repository@$wanted"
elif [[ "$wanted" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]]; then
  ref="$repository:$wanted"
else
  echo "image-ref: \"$wanted\" is neither a tag nor sha256:<64 hex>" >&2
  exit 1
fi
echo "$ref"
if [[ -n "${GITHUB_OUTPUT:-}" ]]; then echo "ref=$ref" >> "$GITHUB_OUTPUT"; fi
