#!/usr/bin/env bash
# Deploys one image to Azure Container Apps from k8s/azure/containerapp.yaml:
#   1. render the YAML (image, revision suffix, variant, identity, Key Vault, location),
#   2. create the app, or update it with the new revision at 0 % traffic,
#   3. wait until the new revision is healthy and smoke-test it on its own URL,
#   4. shift traffic (v1: 100 %; v2: --weight %, plus the label "v2"),
#   5. smoke-test the app URL; on any failure after step 2, give the traffic back to the
#      previous revision and deactivate the new one.
# --dry-run prints the az commands instead of running them (no Azure account needed); there,
# DRY_RUN_APP_EXISTS=no takes the create path and DRY_RUN_HEALTH=Unhealthy the rollback path.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: k8s/azure/deploy.sh --image REF [--variant v1|v2] [--weight 0-100] [--dry-run]
  REF        image reference, e.g. ghcr.io/owner/mlship@sha256:<digest>
  --variant  v1 (default) takes all traffic; v2 gets --weight % and the label "v2"
environment: AZURE_RESOURCE_GROUP, AZURE_CONTAINERAPP (default mlship),
  AZURE_CONTAINERAPP_ENV, AZURE_IDENTITY_ID, AZURE_KEY_VAULT_URL, AZURE_LOCATION,
  HEALTH_TIMEOUT_SECONDS (default 300)
USAGE
}

die() { echo "deploy: $*" >&2; exit 1; }

image="" variant="v1" weight="" dry_run=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    --image) image="${2:-}"; shift 2 ;;
    --variant) variant="${2:-}"; shift 2 ;;
    --weight) weight="${2:-}"; shift 2 ;;
    --dry-run) dry_run=true; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument $1" ;;
  esac
done

[[ -n "$image" ]] || { usage >&2; die "--image is required"; }
[[ "$image" =~ ^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$ ]] \
  || die "--image $image is not a tagged or digest-pinned image reference"
[[ "$variant" == v1 || "$variant" == v2 ]] || die "--variant must be v1 or v2, not $variant"
if [[ "$variant" == v1 ]]; then
  [[ -z "$weight" ]] || die "--weight goes with --variant v2 (v1 always takes the rest)"
else
  weight="${weight:-0}"
  [[ "$weight" =~ ^([0-9]|[1-9][0-9]|100)$ ]] || die "--weight must be an integer 0..100, not $weight"
fi

app="${AZURE_CONTAINERAPP:-mlship}"
timeout="${HEALTH_TIMEOUT_SECONDS:-300}"
[[ "$timeout" =~ ^[0-9]+$ ]] || die "HEALTH_TIMEOUT_SECONDS must be a number of seconds"
for name in AZURE_RESOURCE_GROUP AZURE_CONTAINERAPP_ENV AZURE_IDENTITY_ID AZURE_KEY_VAULT_URL AZURE_LOCATION; do
  if [[ -z "${!name:-}" ]]; then
    $dry_run || die "$name is not set"
    printf -v "$name" '%s' "<$name>"
  fi
done
rg="$AZURE_RESOURCE_GROUP"

# A revision suffix must be lower-case alphanumerics and dashes: variant + 12 hex of the image.
digest_hex="$(printf '%s' "$image" | sha256sum | cut -c1-12)"
if [[ "$image" == *@sha256:* ]]; then digest_hex="${image##*@sha256:}"; digest_hex="${digest_hex:0:12}"; fi
suffix="${variant}-${digest_hex}"
new_revision="${app}--${suffix}"

# Runs an az command, or prints it in --dry-run mode. Queries print a stand-in answer there.
az_run() {
  if $dry_run; then
    printf '+ az' >&2; printf ' %q' "$@" >&2; printf '\n' >&2
  else
    az "$@"
  fi
}
az_query() {
  local stand_in="$1"; shift
  if $dry_run; then
    printf '+ az' >&2; printf ' %q' "$@" >&2; printf '\n' >&2
    printf '%s\n' "$stand_in"
  else
    az "$@"
  fi
}

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rendered="$(mktemp "${TMPDIR:-/tmp}/containerapp.XXXXXX.yaml")"
trap 'rm -f "$rendered"' EXIT
sed -e "s|__IMAGE__|$image|" -e "s|__REVISION_SUFFIX__|$suffix|" -e "s|__API_VARIANT__|$variant|" \
  -e "s|__IDENTITY_ID__|$AZURE_IDENTITY_ID|g" -e "s|__KEY_VAULT_URL__|${AZURE_KEY_VAULT_URL%/}|g" \
  -e "s|__LOCATION__|$AZURE_LOCATION|" "$script_dir/containerapp.yaml" > "$rendered"
if grep -q '__[A-Z_]*__' "$rendered"; then die "unfilled placeholder in the rendered YAML"; fi

exists="$(az_query "${DRY_RUN_APP_EXISTS:-yes}" containerapp list -g "$rg" --query "[?name=='$app'] | length(@) > \`0\` && 'yes' || 'no'" -o tsv)"
previous=""
if [[ "$exists" == yes ]]; then
  # The revision that serves most traffic now: where traffic goes back on failure.
  previous="$(az_query "${app}--v1-previous" containerapp revision list -n "$app" -g "$rg" \
    --query "max_by([?properties.active && properties.trafficWeight > \`0\`], &properties.trafficWeight).name" -o tsv)"
  [[ -n "$previous" ]] || die "no revision of $app serves traffic; deploy v1 first"
  # The new revision starts with no traffic: pin everything to the previous one in the YAML.
  sed -i -e "s|latestRevision: true|revisionName: $previous|" "$rendered"
  echo "deploy: updating $app: $new_revision next to $previous" >&2
  if $dry_run; then sed 's/^/| /' "$rendered" >&2; fi
  az_run containerapp update -n "$app" -g "$rg" --yaml "$rendered"
else
  [[ "$variant" == v1 ]] || die "$app does not exist yet: deploy v1 first"
  echo "deploy: creating $app with $new_revision" >&2
  if $dry_run; then sed 's/^/| /' "$rendered" >&2; fi
  az_run containerapp create -n "$app" -g "$rg" --environment "$AZURE_CONTAINERAPP_ENV" --yaml "$rendered"
fi

rollback() {
  echo "deploy: $1; rolling back" >&2
  if [[ -n "$previous" ]]; then
    az_run containerapp ingress traffic set -n "$app" -g "$rg" --revision-weight "$previous=100" || true
    az_run containerapp revision deactivate -n "$app" -g "$rg" --revision "$new_revision" || true
    echo "deploy: traffic is back on $previous; $new_revision is deactivated" >&2
  else
    echo "deploy: $app was new: nothing to roll back to; inspect it with az containerapp logs show" >&2
  fi
  exit 1
}

wait_healthy() {
  local deadline=$((SECONDS + timeout)) health
  while true; do
    health="$(az_query "${DRY_RUN_HEALTH:-Healthy}" containerapp revision show -n "$app" -g "$rg" --revision "$new_revision" \
      --query properties.healthState -o tsv || true)"
    case "$health" in
      Healthy) echo "deploy: $new_revision is healthy" >&2; return 0 ;;
      Unhealthy) return 1 ;;
    esac
    ((SECONDS < deadline)) || return 1
    sleep 10
  done
}

smoke() {
  local base="$1"
  if $dry_run; then
    echo "+ curl -fsS --retry 5 --retry-all-errors $base/readyz $base/status" >&2
    return 0
  fi
  curl -fsS --max-time 10 --retry 5 --retry-all-errors "$base/readyz" > /dev/null \
    && curl -fsS --max-time 10 --retry 5 --retry-all-errors "$base/status" > /dev/null
}

wait_healthy || rollback "$new_revision did not become healthy within ${timeout}s"
revision_fqdn="$(az_query "${new_revision}.example.azurecontainerapps.io" containerapp revision show -n "$app" -g "$rg" \
  --revision "$new_revision" --query properties.fqdn -o tsv)"
smoke "https://$revision_fqdn" || rollback "smoke test of $new_revision failed"

if [[ "$variant" == v1 ]]; then
  az_run containerapp ingress traffic set -n "$app" -g "$rg" --revision-weight "$new_revision=100" \
    || rollback "traffic shift failed"
  # --yes moves the label from the previous revision without a prompt.
  az_run containerapp revision label add -n "$app" -g "$rg" --label stable --revision "$new_revision" --yes \
    || rollback "labelling failed"
else
  # A label needs the revision in the traffic list (even at weight 0): weights first.
  az_run containerapp ingress traffic set -n "$app" -g "$rg" \
    --revision-weight "$previous=$((100 - weight))" "$new_revision=$weight" || rollback "traffic shift failed"
  az_run containerapp revision label add -n "$app" -g "$rg" --label v2 --revision "$new_revision" --yes \
    || rollback "labelling failed"
fi

app_fqdn="$(az_query "${app}.example.azurecontainerapps.io" containerapp show -n "$app" -g "$rg" \
  --query properties.configuration.ingress.fqdn -o tsv)"
smoke "https://$app_fqdn" || rollback "smoke test of https://$app_fqdn failed after the traffic shift"
echo "deploy: $new_revision ($variant) is live at https://$app_fqdn" >&2
