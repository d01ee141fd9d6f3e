# Checks deploy.sh's arguments and environment (sourced by deploy.sh once they are parsed): a
# mistake stops the script with one line naming what to fix, before anything reaches Azure.
# shellcheck shell=bash

command -v jq > /dev/null || die "jq is required (GitHub-hosted runners have it; apt-get install jq)"
[[ "$variant" == v1 || "$variant" == v2 ]] || die "--variant must be v1 or v2, not $variant"

app="${AZURE_CONTAINERAPP:-mlship}"
app_name_ok "$app" || die "AZURE_CONTAINERAPP must be 1 to 32 lower-case letters, digits and single hyphens," \
  "starting with a letter and ending with a letter or digit, not $app"

if [[ -n "$rollback_to" ]]; then
  [[ -z "$image" && -z "$weight" ]] || die "--rollback takes no --image or --weight: it gives traffic back to a revision"
  revision_name_ok "$rollback_to" || die "--rollback needs a revision name (<app>--<suffix>: lower-case letters, digits" \
    "and single hyphens, at most 54 characters), not $rollback_to"
  [[ "${rollback_to%%--*}" == "$app" ]] || die "--rollback $rollback_to is not a revision of $app (AZURE_CONTAINERAPP)"
  target="$rollback_to"
else
  [[ -n "$image" ]] || { usage >&2; die "--image is required"; }
  [[ "$image" =~ ^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$ ]] \
    || die "--image $image is not a tagged or digest-pinned image reference"
  if [[ "$variant" == v1 ]]; then
    [[ -z "$weight" ]] || die "--weight goes with --variant v2 (v1 takes the share of the stable revision)"
  else
    weight="${weight:-0}"
    [[ "$weight" =~ ^([0-9]|[1-9][0-9]|100)$ ]] || die "--weight must be an integer 0..100, not $weight"
  fi
  # A private image needs credentials in the app: a token for GHCR, the app's identity for ACR.
  registry_host="${image%%/*}"
  if [[ -z "$registry" ]]; then
    case "$registry_host" in
      ghcr.io) registry=ghcr ;;
      *.azurecr.io) registry=acr ;;
      *) registry=public ;;
    esac
  fi
  case "$registry" in
    ghcr) [[ "$registry_host" == ghcr.io ]] || die "--registry ghcr needs an image on ghcr.io, not on $registry_host" ;;
    acr) [[ "$registry_host" == *.azurecr.io ]] || die "--registry acr needs an image on <name>.azurecr.io, not on $registry_host" ;;
    public) ;;
    *) die "--registry must be ghcr, acr or public, not $registry" ;;
  esac
  # The new revision's suffix names the variant, the image and the attempt: a retry after a
  # rollback, or the live digest deployed again, gets a revision of its own, never the one that is
  # deactivated or serving. The workflow's attempt is <run id>-<run attempt>, e.g. 19876543210-1.
  attempt="${DEPLOY_ATTEMPT:-$(date -u +%y%m%d%H%M%S)}"
  [[ "$attempt" =~ ^[a-z0-9]+(-[a-z0-9]+)*$ ]] || die "DEPLOY_ATTEMPT must be lower-case letters and digits" \
    "in groups joined by single hyphens (the workflow's <run id>-<run attempt>), not $attempt"
  digest_hex="$(printf '%s' "$image" | sha256sum | cut -c1-8)"
  if [[ "$image" == *@sha256:* ]]; then digest_hex="${image##*@sha256:}"; digest_hex="${digest_hex:0:8}"; fi
  suffix="${variant}-${digest_hex}-${attempt}"
  target="${app}--${suffix}"
  ((${#target} <= 54)) || die "revision name $target is ${#target} characters, Azure allows 54:" \
    "shorten AZURE_CONTAINERAPP or DEPLOY_ATTEMPT"
fi

if [[ -n "$expect_models" ]]; then
  jq -e 'type == "array" and length > 0
      and all(.[]; (.name | type) == "string" and (.version | type) == "string" and (.sha256 | type) == "string")' \
    <<< "$expect_models" > /dev/null 2>&1 \
    || die "--expect-models must be the image's io.mlship.models label: a JSON array of {name, version, sha256, ...}"
  $dry_run || command -v npm > /dev/null || die "--expect-models runs npm run lineage: run from a checkout with npm"
fi

timeout="${HEALTH_TIMEOUT_SECONDS:-300}"
[[ "$timeout" =~ ^[0-9]+$ ]] || die "HEALTH_TIMEOUT_SECONDS must be a number of seconds"
required=(AZURE_RESOURCE_GROUP)
[[ -n "$rollback_to" ]] || required+=(AZURE_CONTAINERAPP_ENV AZURE_IDENTITY_ID AZURE_KEY_VAULT_URL AZURE_LOCATION)
[[ "$registry" != ghcr ]] || required+=(GHCR_USERNAME)
for name in "${required[@]}"; do
  if [[ -z "${!name:-}" ]]; then
    $dry_run || die "$name is not set"
    printf -v "$name" '%s' "<$name>"
  fi
done
rg="$AZURE_RESOURCE_GROUP"
