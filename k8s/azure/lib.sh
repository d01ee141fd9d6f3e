# Helpers of k8s/azure/deploy.sh (sourced, never run): messages, az calls that --dry-run prints
# instead of running, and the traffic arithmetic, done with jq on the JSON that az returns.
# shellcheck shell=bash

say() { echo "deploy: $*" >&2; }
die() { say "$*"; exit 1; }

# Prints a command the way --dry-run shows it: "+ tool arg …", shell-quoted.
show_command() { printf '+' >&2; printf ' %q' "$@" >&2; printf '\n' >&2; }

# interruptible, stop_pending and output: shared with the Kubernetes deploy.
# shellcheck source=../../.github/scripts/cancellable.sh
source "$(dirname "${BASH_SOURCE[0]}")/../../.github/scripts/cancellable.sh"

# Runs an az command, or prints it in --dry-run mode.
az_run() {
  if $dry_run; then show_command az "$@"; else interruptible az "$@"; fi
}

# Runs an az query and sets variable $1 to its output; in --dry-run mode prints it and sets $1 to
# the stand-in $2. Never inside $(...): the shell would wait for that subshell before any trap.
az_query() {
  local into="$1" stand_in="$2"
  shift 2
  if $dry_run; then
    show_command az "$@"
    printf -v "$into" '%s' "$stand_in"
    return 0
  fi
  local status=0
  interruptible az "$@" > "$answer" || status=$?
  printf -v "$into" '%s' "$(< "$answer")"
  return "$status"
}

# Azure's rules for a revision name, <app>--<suffix> (the service's ContainerAppInvalidRevisionName
# and az's checks of --name and --revision-suffix): lower-case letters, digits and single hyphens;
# the app part starts with a letter (at most 32 characters), each part ends with a letter or digit,
# and the whole name is at most 54 characters. Suffixes Azure generates may start with a digit.
revision_name_ok() {
  local app_part="${1%%--*}" suffix="${1#*--}"
  [[ "$1" == *--* ]] && ((${#1} <= 54)) && app_name_ok "$app_part" \
    && [[ "$suffix" =~ ^[a-z0-9]([a-z0-9-]*[a-z0-9])?$ && "$suffix" != *--* ]]
}
app_name_ok() { [[ "$1" =~ ^[a-z]([a-z0-9-]{0,30}[a-z0-9])?$ && "$1" != *--* ]]; }

# The live traffic list with "latestRevision" entries pinned to the latest revision's name (an
# update adds a newer one, which must not inherit their share), minus entries with neither a
# weight nor a label (left behind by earlier shifts).
traffic_resolve() {
  jq -c --arg latest "$2" '[.[]? | (if .latestRevision then .revisionName = $latest else . end)
    | del(.latestRevision) | .weight = (.weight // 0)
    | select(.weight > 0 or (.label // "") != "")]' <<< "$1"
}

# The revision that carries label $2 in traffic list $1, or "".
traffic_holder() { jq -r --arg wanted "$2" 'map(select(.label == $wanted)) | .[0].revisionName // ""' <<< "$1"; }

# The revision with the largest weight in traffic list $1, or "".
traffic_top() { jq -r 'max_by(.weight).revisionName // ""' <<< "$1"; }

# One "revision=weight" line per revision of traffic list $1, in order of first appearance.
traffic_weights() {
  jq -r 'reduce .[] as $t ([]; if any(.[]; .[0] == $t.revisionName)
      then map(if .[0] == $t.revisionName then [.[0], .[1] + $t.weight] else . end)
      else . + [[$t.revisionName, $t.weight]] end) | .[] | "\(.[0])=\(.[1])"' <<< "$1"
}

# One "label=revision" line per label of traffic list $1.
traffic_labels() { jq -r '.[] | select((.label // "") != "") | "\(.label)=\(.revisionName)"' <<< "$1"; }

# The weight of revision $2 among "revision=weight" lines $1 (0 when absent).
weight_of() {
  local line
  while IFS= read -r line; do
    [[ "${line%=*}" == "$2" ]] && { echo "${line##*=}"; return; }
  done <<< "$1"
  echo 0
}

# "revision=weight" lines $1 with revision $2 first at weight $3, then the others: at the weight
# that "revision=weight" words $4 give them, else unchanged ($5 = keep) or at 0 ($5 = zero). These
# are the arguments of one `az containerapp ingress traffic set`.
weights_with() {
  local line name override
  echo "$2=$3"
  while IFS= read -r line; do
    name="${line%=*}"
    [[ -n "$line" && "$name" != "$2" ]] || continue
    override="$(tr ' ' '\n' <<< "$4" | grep -m1 "^$name=" || true)"
    if [[ -n "$override" ]]; then echo "$override"
    elif [[ "$5" == keep ]]; then echo "$line"
    else echo "$name=0"; fi
  done <<< "$1"
}

# Moves traffic to "revision=weight" lines $1, then puts every "label=revision" line of $2 on its
# revision: az versions differ in whether `traffic set` keeps labels, so they are set again.
apply_traffic() {
  local -a weights=() labels=()
  mapfile -t weights < <(grep . <<< "$1" || true)
  mapfile -t labels < <(grep . <<< "$2" || true)
  az_run containerapp ingress traffic set -n "$app" -g "$rg" --revision-weight "${weights[@]}"
  local entry
  for entry in "${labels[@]}"; do
    az_run containerapp revision label add -n "$app" -g "$rg" --label "${entry%%=*}" --revision "${entry#*=}" --yes
  done
}

# GETs /readyz and /status of base URL $1; with --expect-models, also checks the models it serves.
smoke() {
  local base="$1" what="$2"
  if $dry_run; then
    show_command curl -fsS --retry 5 --retry-all-errors "$base/readyz" "$base/status"
    [[ "${DRY_RUN_APP_SMOKE:-}" != fail || "$what" == "$target" ]] || fail "smoke test of $what failed"
  else
    if ! interruptible curl -fsS --max-time 10 --retry 5 --retry-all-errors "$base/readyz" > /dev/null \
      || ! interruptible curl -fsS --max-time 10 --retry 5 --retry-all-errors "$base/status" > /dev/null; then
      fail "smoke test of $what failed"
    fi
  fi
  [[ -n "$expect_models" && "$what" == "$target" ]] || return 0
  if $dry_run; then
    show_command npm run -s lineage -- --url "$base" --expected "$expect_models"
  else
    interruptible npm run -s lineage -- --url "$base" --expected "$expect_models" >&2 || fail "lineage check of $what failed"
  fi
}
