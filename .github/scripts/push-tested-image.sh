#!/usr/bin/env bash
# Pushes the image ci.yml's image job tested (save-tested-image.sh's folder) under every given tag,
# after checking that it is that image: the archive's config digest must be the one recorded after
# the smoke test, and its io.mlship.models label the provenance of this run's gated registry. Then
# checks that each pushed manifest names that same config, and writes the digest of the first
# repository as the step output `digest` (what the attestations and deploys use).
#   bash .github/scripts/push-tested-image.sh DIR TAG...     (TAG: registry/repository:tag)
# Environment: EXPECTED_MODELS, the gated registry's provenance (one line of JSON; required).
set -euo pipefail

dir="${1:?usage: push-tested-image.sh DIR TAG...}"
shift
(($# > 0)) || { echo "push-tested-image: no tag given" >&2; exit 2; }
fail() { echo "push-tested-image: $*" >&2; exit 1; }
[[ -s "$dir/image.tar.gz" && -s "$dir/image-id" ]] || fail "$dir lacks image.tar.gz or image-id (the tested-image artifact of the image job)"
[[ -n "${EXPECTED_MODELS:-}" ]] || fail "EXPECTED_MODELS is empty: pass the gated registry's provenance"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
id="$(< "$dir/image-id")"
[[ "$(bash "$here/archive-config.sh" "$dir/image.tar.gz")" == "$id" ]] || fail "the archive does not hold the tested image $id"
loaded="$(docker load -i "$dir/image.tar.gz" | sed -n 's/^Loaded image: //p' | head -n 1)"
[[ -n "$loaded" ]] || fail "docker load named no image (the archive was saved by tag)"
label="$(docker image inspect --format '{{ index .Config.Labels "io.mlship.models" }}' "$loaded")"
[[ "$label" == "$EXPECTED_MODELS" ]] || fail "the image's io.mlship.models label is not this run's gated registry: $label"

first=""
for tag in "$@"; do
  [[ "$tag" =~ ^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || fail "$tag is not REGISTRY/REPOSITORY:TAG"
  docker tag "$loaded" "$tag"
  docker push -q "$tag" > /dev/null || fail "docker push $tag failed"
  repository="${tag%:*}"
  digest="$(docker image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$tag" | sed -n "s|^$repository@||p" | head -n 1)"
  [[ "$digest" =~ ^sha256:[a-f0-9]{64}$ ]] || fail "no digest for $repository after the push"
  # A loopback registry speaks plain HTTP (the engine itself allows that for 127.0.0.0/8 only);
  # `docker manifest inspect` needs to be told.
  insecure=()
  [[ "$repository" =~ ^(127\.[0-9.]+|localhost)(:[0-9]+)?/ ]] && insecure=(--insecure)
  manifest="$(docker manifest inspect "${insecure[@]}" "$repository@$digest")"
  # An engine with the containerd image store may push an index: its linux/amd64 manifest is the image.
  if jq -e '.manifests' <<< "$manifest" > /dev/null; then
    platform="$(jq -r '[.manifests[] | select(.platform.os == "linux" and .platform.architecture == "amd64")][0].digest' <<< "$manifest")"
    manifest="$(docker manifest inspect "${insecure[@]}" "$repository@$platform")"
  fi
  config="$(jq -r '.config.digest' <<< "$manifest")"
  [[ "$config" == "$id" ]] || fail "$repository@$digest names config $config, not the tested image $id"
  echo "push-tested-image: $tag -> $repository@$digest (tested image $id)"
  [[ -n "$first" ]] || first="$digest"
done
if [[ -n "${GITHUB_OUTPUT:-}" ]]; then echo "digest=$first" >> "$GITHUB_OUTPUT"; fi
