# Renders containerapp.yaml for one attempt and creates or updates the app with it (sourced by
# deploy.sh; validate.sh named the new revision, target, and its suffix; this sets phase).
# shellcheck shell=bash

if [[ "$exists" == yes ]] && grep -qx -- "$target" <<< "$revisions"; then
  die "revision $target exists already: give this attempt a new DEPLOY_ATTEMPT"
fi

rendered="$(mktemp "${TMPDIR:-/tmp}/containerapp.XXXXXX.yaml")"
# Lines tagged "# @registry <modes>" stay only for those --registry modes (untagged there).
sed -E -e "/# @registry( [a-z]+)* $registry( [a-z]+)*\$/ s/ *# @registry .*\$//" -e '/# @registry /d' \
  -e "s|__IMAGE__|$image|" -e "s|__REVISION_SUFFIX__|$suffix|" -e "s|__API_VARIANT__|$variant|" \
  -e "s|__IDENTITY_ID__|$AZURE_IDENTITY_ID|g" -e "s|__KEY_VAULT_URL__|${AZURE_KEY_VAULT_URL%/}|g" \
  -e "s|__LOCATION__|$AZURE_LOCATION|" -e "s|__GHCR_USERNAME__|${GHCR_USERNAME:-}|" \
  -e "s|__ACR_SERVER__|$registry_host|" "$script_dir/containerapp.yaml" > "$rendered"
if grep -q '__[A-Z_]*__' "$rendered"; then die "unfilled placeholder in the rendered YAML"; fi

if [[ "$exists" == yes ]]; then
  # The live traffic list, labels included (JSON is YAML): the update must not move any traffic.
  awk -v traffic="$traffic" '
    replacing && /^        / { next }
    { replacing = 0 }
    /^      traffic:/ { print "      traffic: " traffic; replacing = 1; next }
    { print }' "$rendered" > "$rendered.tmp" && mv "$rendered.tmp" "$rendered"
  say "updating $app: $target next to $stable"
  if $dry_run; then sed 's/^/| /' "$rendered" >&2; fi
  phase=revision
  az_run containerapp update -n "$app" -g "$rg" --yaml "$rendered"
else
  [[ "$variant" == v1 ]] || die "$app does not exist yet: deploy v1 first"
  say "creating $app with $target"
  if $dry_run; then sed 's/^/| /' "$rendered" >&2; fi
  az_run containerapp create -n "$app" -g "$rg" --environment "$AZURE_CONTAINERAPP_ENV" --yaml "$rendered"
  phase=created
fi
