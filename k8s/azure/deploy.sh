#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Deploys one image to Azure Container Apps from k8s/azure/containerapp.yaml:
#   1. render the YAML (image, a revision suffix unique to this attempt, variant, identity, Key
#      Vault, location, registry credentials, and the live traffic list with its labels),
#   2. create the app, or update it: the new revision starts at 0 % traffic,
#   3. wait until the new revision is healthy, smoke-test it on its own URL (and, with
#      --expect-models, check that it serves exactly the models the image records),
#   4. shift traffic (v1: the share of the "stable" revision; v2: --weight %) and set the labels
#      "stable" and "v2" again,
#   5. smoke-test the app URL, then deactivate the revision the new one replaced.
# Any failure after step 2 undoes what was done: traffic weights and labels as they were, the new
# revision deactivated (never one that serves). `--rollback REVISION` later gives a variant's
# traffic and label back to REVISION (reactivated first), e.g. when a load test fails.
# --dry-run prints the commands instead of running them (no Azure account needed); there,
# DRY_RUN_APP_EXISTS=no takes the create path, DRY_RUN_HEALTH=Unhealthy the rollback path before
# any traffic moved, DRY_RUN_APP_SMOKE=fail the one after.
set -euo pipefail
script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$script_dir/lib.sh"

usage() {
  cat <<'USAGE'
usage: k8s/azure/deploy.sh --image REF [--variant v1|v2] [--weight 0-100] [--registry ghcr|acr|public]
                           [--expect-models JSON] [--dry-run]
       k8s/azure/deploy.sh --rollback REVISION [--variant v1|v2] [--expect-models JSON] [--dry-run]
  REF              image reference, e.g. ghcr.io/owner/mlship@sha256:<digest>
  --variant        v1 (default) takes the share of the revision labelled "stable";
                   v2 gets --weight % and the label "v2"
  --registry       how the app pulls REF: ghcr (token in Key Vault secret mlship-ghcr-token, user
                   GHCR_USERNAME), acr (the app's identity, AcrPull), public; default from REF's host
  --expect-models  the image's io.mlship.models label; the new revision must serve exactly these
  --rollback       give the variant's label and traffic back to REVISION and deactivate the other
environment: AZURE_RESOURCE_GROUP, AZURE_CONTAINERAPP (default mlship), AZURE_CONTAINERAPP_ENV,
  AZURE_IDENTITY_ID, AZURE_KEY_VAULT_URL, AZURE_LOCATION, GHCR_USERNAME, AZURE_REGISTRY_AUTH
  (default of --registry), HEALTH_TIMEOUT_SECONDS (default 300), DEPLOY_ATTEMPT (default: UTC time)
USAGE
}

image="" variant="v1" weight="" dry_run=false registry="${AZURE_REGISTRY_AUTH:-}" expect_models="" rollback_to=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --image) image="${2:-}"; shift 2 ;;
    --variant) variant="${2:-}"; shift 2 ;;
    --weight) weight="${2:-}"; shift 2 ;;
    --registry) registry="${2:-}"; shift 2 ;;
    --expect-models) expect_models="${2:-}"; shift 2 ;;
    --rollback) rollback_to="${2:-}"; shift 2 ;;
    --dry-run) dry_run=true; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument $1" ;;
  esac
done
# shellcheck source=validate.sh
source "$script_dir/validate.sh"

label=stable
[[ "$variant" == v1 ]] || label=v2
phase=none previous="" original_weights="" original_labels="" new_labels=""
exists="" live="" revisions="" revision_fqdn="" app_fqdn="" # answers of az_query

# Undoes the steps taken when the script exits early: it runs on every exit, so a failing az call
# under `set -e` rolls back as surely as a failed smoke test or a cancelled run.
undo() {
  local status=$? line
  set +e
  # A second signal (the runner's SIGTERM follows its SIGINT) must not cut the rollback short.
  trap '' INT TERM
  # The call a signal interrupted, and what it runs (the az wrapper script runs python).
  stop_pending
  rm -f "${rendered:-}" "${answer:-}"
  [[ $status -ne 0 ]] || return 0
  case "$phase" in
    created) say "$app was new: nothing to roll back to; inspect it with az containerapp logs show" ;;
    revision | shifted)
      say "rolling back"
      if [[ "$phase" == shifted ]]; then
        restore="$original_weights"
        grep -q "^$target=" <<< "$original_weights" || restore="$(printf '%s\n%s=0' "$original_weights" "$target")"
        apply_traffic "$restore" "$original_labels"
        while IFS= read -r line; do
          [[ -z "$line" || "$original_labels" == *"${line%%=*}="* ]] \
            || az_run containerapp revision label remove -n "$app" -g "$rg" --label "${line%%=*}"
        done <<< "$new_labels"
      fi
      if [[ "$(weight_of "$original_weights" "$target")" == 0 ]]; then
        az_run containerapp revision deactivate -n "$app" -g "$rg" --revision "$target"
      fi
      if [[ "$phase" == shifted ]]; then say "traffic and labels are back as they were"; fi ;;
  esac
  exit "$status"
}
trap undo EXIT
fail() { say "$*"; exit 1; }
# A cancelled workflow run signals the script (the deploy step execs it, so the runner's SIGINT
# reaches it): that is a failure too, and undo runs on that exit. Long commands run through
# `interruptible`, so the trap fires at once, not when they end.
trap 'fail "interrupted"' INT TERM
answer="$(mktemp "${TMPDIR:-/tmp}/az-answer.XXXXXX")" # what the last az query printed

wait_healthy() {
  local deadline=$((SECONDS + timeout)) health
  while true; do
    az_query health "${DRY_RUN_HEALTH:-Healthy}" containerapp revision show -n "$app" -g "$rg" --revision "$target" \
      --query properties.healthState -o tsv || health=""
    case "$health" in
      Healthy) say "$target is healthy"; return 0 ;;
      Unhealthy) return 1 ;;
    esac
    ((SECONDS < deadline)) || return 1
    interruptible sleep 10
  done
}

az_query exists "${DRY_RUN_APP_EXISTS:-yes}" containerapp list -g "$rg" --query "[?name=='$app'] | length(@) > \`0\` && 'yes' || 'no'" -o tsv
if [[ "$exists" == yes ]]; then
  dry_live="{\"latest\":\"$app--v1-previous\",\"traffic\":[{\"revisionName\":\"$app--v1-previous\",\"weight\":100,\"label\":\"stable\"}]}"
  az_query live "$dry_live" containerapp show -n "$app" -g "$rg" \
    --query "{latest: properties.latestRevisionName, traffic: properties.configuration.ingress.traffic}" -o json
  traffic="$(traffic_resolve "$(jq -c '.traffic' <<< "$live")" "$(jq -r '.latest // ""' <<< "$live")")"
  original_weights="$(traffic_weights "$traffic")"
  original_labels="$(traffic_labels "$traffic")"
  stable="$(traffic_holder "$traffic" stable)"
  stable="${stable:-$(traffic_top "$traffic")}"
  [[ -n "$stable" ]] || die "no revision of $app serves traffic; deploy v1 first"
  previous="$(traffic_holder "$traffic" "$label")"
  [[ "$variant" == v2 ]] || previous="$stable"
  # Known before anything changes: should the runner kill a cancelled deploy before its undo is
  # done (10 s after its first signal), the workflow's --rollback step finishes the job with it.
  output previous "$previous"
  az_query revisions "$app--v1-previous" containerapp revision list -n "$app" -g "$rg" --all --query "[].name" -o tsv
fi

if [[ -n "$rollback_to" ]]; then
  [[ "$exists" == yes ]] || die "$app does not exist: nothing to roll back"
  $dry_run || grep -qx -- "$rollback_to" <<< "$revisions" || die "$app has no revision $rollback_to"
  [[ -n "$previous" ]] || die "no revision of $app carries the label $label: nothing to roll back"
  [[ "$rollback_to" != "$previous" ]] || { say "$rollback_to already carries the label $label"; exit 0; }
  az_run containerapp revision activate -n "$app" -g "$rg" --revision "$target"
  phase=revision
else
  # shellcheck source=render.sh
  source "$script_dir/render.sh"
fi

wait_healthy || fail "$target did not become healthy within ${timeout}s"
az_query revision_fqdn "${target}.example.azurecontainerapps.io" containerapp revision show -n "$app" -g "$rg" \
  --revision "$target" --query properties.fqdn -o tsv
smoke "https://$revision_fqdn" "$target"

if [[ "$phase" == created ]]; then
  shift_weights="$target=100" new_labels="stable=$target"
elif [[ "$variant" == v1 || -n "$rollback_to" ]]; then
  shift_weights="$(weights_with "$original_weights" "$target" "$(weight_of "$original_weights" "$previous")" "$previous=0" keep)"
  new_labels="$(printf '%s=%s\n' "$label" "$target"; grep -v "^$label=" <<< "$original_labels" || true)"
else
  shift_weights="$(weights_with "$original_weights" "$target" "$weight" "$stable=$((100 - weight))" zero)"
  new_labels="$(printf 'stable=%s\nv2=%s\n' "$stable" "$target")"
fi
[[ "$phase" == created ]] || phase=shifted
apply_traffic "$shift_weights" "$new_labels"

az_query app_fqdn "${app}.example.azurecontainerapps.io" containerapp show -n "$app" -g "$rg" \
  --query properties.configuration.ingress.fqdn -o tsv
smoke "https://$app_fqdn" "https://$app_fqdn"
phase=committed
say "$target ($variant) is live at https://$app_fqdn"
output revision "$target"
output url "https://$app_fqdn"

# The replaced revision has no traffic now; deactivated, it costs nothing and stays available to
# --rollback (maxInactiveRevisions keeps it). A failure here leaves it running: worth a warning,
# not a rollback of a deploy that works.
if [[ -n "$previous" && "$previous" != "$target" && "$(weight_of "$shift_weights" "$previous")" == 0 ]]; then
  az_run containerapp revision deactivate -n "$app" -g "$rg" --revision "$previous" \
    || say "warning: could not deactivate $previous; it keeps running at 0 % traffic"
fi
