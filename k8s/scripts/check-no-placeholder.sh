#!/usr/bin/env bash
# Refuses a render that would run the placeholder image. The manifests name the image
# mlship.invalid/mlship (the .invalid TLD never resolves, RFC 2606) until a deploy points them at a
# real one with `kustomize edit set image`; this renders the kustomization with `kubectl kustomize`
# and exits 1 with one line on stderr when any container or init container still names the
# placeholder, or, given EXPECTED, runs any other image than EXPECTED. Nothing is applied here:
# the deploy runs it between `kustomize edit set image` and `kubectl apply -k`.
#   bash k8s/scripts/check-no-placeholder.sh k8s/overlays/production ghcr.io/owner/mlship@sha256:<digest>
set -euo pipefail

readonly PLACEHOLDER='mlship.invalid/mlship'
dir="${1:?usage: check-no-placeholder.sh KUSTOMIZATION_DIR [EXPECTED_IMAGE]}"
expected="${2:-}"

die() { echo "check-no-placeholder: $*" >&2; exit 1; }

rendered="$(kubectl kustomize "$dir" 2>&1)" || die "kubectl kustomize $dir failed: $(head -n 1 <<< "$rendered")"

# "Kind/name image" for every image: field of the rendered stream. Block scalars (a ConfigMap's
# script or notes) are skipped, so a line of text that reads like an image is never taken for one.
images="$(awk '
  BEGIN { block = -1 }
  function indent(line) { match(line, /^ */); return RLENGTH }
  block >= 0 { if ($0 ~ /^ *$/ || indent($0) > block) next; block = -1 }
  /^---/ { kind = ""; name = ""; meta = 0; next }
  /^kind: / { kind = $2 }
  /^[^ ]/ { meta = ($0 ~ /^metadata:/) }
  meta && name == "" && /^  name: / { name = $2 }
  /^ *(- +)?image: / {
    image = $0
    sub(/^ *(- +)?image: */, "", image)
    gsub(/["\047]/, "", image)
    print kind "/" name " " image
  }
  /(:|^ *-) *[|>][-+0-9]* *$/ { block = indent($0) }
' <<< "$rendered")"
[[ -n "$images" ]] || die "$dir renders no container image"

placeholder=() others=()
while read -r object image; do
  case "$image" in
    "$PLACEHOLDER" | "$PLACEHOLDER":* | "$PLACEHOLDER"@*) placeholder+=("$object") ;;
    *) if [[ -n "$expected" && "$image" != "$expected" ]]; then others+=("$object runs $image"); fi ;;
  esac
done <<< "$images"

# One line: the distinct entries, comma-separated.
list() { printf '%s\n' "$@" | sort -u | paste -sd , - | sed 's/,/, /g'; }
if ((${#placeholder[@]} > 0)); then
  die "$dir still runs the placeholder image $PLACEHOLDER in $(list "${placeholder[@]}"): \`kustomize edit set image $PLACEHOLDER=<image>\` did not reach it; nothing is applied"
fi
if ((${#others[@]} > 0)); then
  die "$dir: $(list "${others[@]}"), not $expected; nothing is applied"
fi
echo "check-no-placeholder: every container of $dir runs ${expected:-an image other than the placeholder}"
