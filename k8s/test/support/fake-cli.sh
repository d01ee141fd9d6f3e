#!/usr/bin/env bash
# Stands in for az, curl and npm (linked under those names) when k8s/test runs k8s/azure/deploy.sh:
# Azure is unreachable from here, so each call is appended to $FAKE_LOG as "<tool> <args>" and
# answered by the first rule of $FAKE_SCENARIO (a JSON array) whose every "match" string occurs in
# that line and whose "times" (default: unlimited) is not used up:
#   [{"match": ["az containerapp revision show", "healthState"], "stdout": "Healthy", "exit": 0}]
# and after "pause" seconds, if the rule has one.
# A call no rule matches succeeds with no output. The file behind --yaml is kept as $FAKE_LOG.yaml.
set -euo pipefail

call="${FAKE_TOOL:-$(basename "$0")} $*"
printf '%s\n' "$call" >> "$FAKE_LOG"
previous=""
for arg in "$@"; do
  if [[ "$previous" == --yaml ]]; then cp "$arg" "$FAKE_LOG.yaml"; fi
  previous="$arg"
done
used="$FAKE_LOG.used"
touch "$used"

# One jq call (this runs for every command): prints shell assignments of the answering rule.
rule="" code=0 answer="" pause=""
eval "$(jq -r --arg call "$call" --rawfile used "$used" '
  ($used | split("\n")) as $spent
  | [to_entries[]
      | select(.value.match | all(. as $m | $call | contains($m)))
      | (.key | tostring) as $key
      | select((.value.times // 1000000) > ([$spent[] | select(. == $key)] | length))]
  | .[0] // {key: "", value: {}}
  | "rule=\(.key | tostring | @sh) code=\(.value.exit // 0) pause=\(.value.pause // "" | tostring | @sh)"
    + " answer=\(.value.stdout // "" | @sh)"' "$FAKE_SCENARIO")"
[[ -n "$rule" ]] || exit 0
printf '%s\n' "$rule" >> "$used"
if [[ -n "$pause" ]]; then sleep "$pause"; fi
if [[ -n "$answer" ]]; then printf '%s\n' "$answer"; fi
exit "$code"
