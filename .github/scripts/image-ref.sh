#!/usr/bin/env bash
# Turns the deploy input into a full image reference and writes it as the step output `ref` (and
# prints it). The input is a tag of REPOSITORY (sha-1a2b3c4, 1.2.0, latest), a digest of it
# (sha256:…), or a full reference to another registry or repository, used as it is
# (registry.example.com/team/mlship:1.2.0, 127.0.0.1:5000/mlship@sha256:…): a mirror, or the
# local registry a rehearsal of this workflow pushes to.
#   bash .github/scripts/image-ref.sh ghcr.io/owner/mlship sha256:0123…
set -euo pipefail

repository="${1:?usage: image-ref.sh REPOSITORY TAG_OR_DIGEST_OR_REFERENCE}"
wanted="${2:?usage: image-ref.sh REPOSITORY TAG_OR_DIGEST_OR_REFERENCE}"
repository="${repository,,}"
tag='[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}'
digest='sha256:[a-f0-9]{64}'
if [[ "$wanted" =~ ^$digest$ ]]; then
  ref="$repository@$wanted"
elif [[ "$wanted" =~ ^$tag$ ]]; then
  ref="$repository:$wanted"
# A registry host (a dot or a port: Docker's rule for telling it from a Docker Hub namespace),
# a lower-case path, then a tag or a digest.
elif [[ "$wanted" =~ ^[a-z0-9-]+(\.[a-z0-9-]+)*(:[0-9]+)?/[a-z0-9]+([._/-][a-z0-9]+)*(:$tag|@$digest)$ && ( "${wanted%%/*}" =~ [.:] || "${wanted%%/*}" == localhost ) ]]; then
  ref="$wanted"
else
  echo "image-ref: \"$wanted\" is neither a tag, sha256:<64 hex>, nor REGISTRY/REPOSITORY:TAG or @sha256:<64 hex>" >&2
  exit 1
fi
echo "$ref"
if [[ -n "${GITHUB_OUTPUT:-}" ]]; then echo "ref=$ref" >> "$GITHUB_OUTPUT"; fi
