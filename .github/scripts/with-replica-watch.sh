#!/usr/bin/env bash
# Runs a command (the k6 load test) while sampling a Deployment's replica counts every few
# seconds, then writes the samples as CSV and a markdown table (to the job summary when there is
# one): the original pipeline watched the autoscaler under load, this shows what it did.
#   bash .github/scripts/with-replica-watch.sh NAMESPACE DEPLOYMENT OUT_DIR -- k6 run ...
# The command's exit code is kept. REPLICA_INTERVAL sets the sampling period (5 s).
set -euo pipefail

namespace="${1:?usage: with-replica-watch.sh NAMESPACE DEPLOYMENT OUT_DIR -- COMMAND...}"
deployment="${2:?deployment}"
out="${3:?output directory}"
shift 3
[[ "${1:-}" == -- ]] && shift
(($# > 0)) || { echo "with-replica-watch: no command given" >&2; exit 2; }
interval="${REPLICA_INTERVAL:-5}"

mkdir -p "$out"
csv="$out/replicas.csv"
echo "seconds,desired,ready" > "$csv"
start="$SECONDS"
(
  while true; do
    counts="$(kubectl -n "$namespace" get deployment "$deployment" \
      -o jsonpath='{.spec.replicas},{.status.readyReplicas}' 2> /dev/null || echo ',')"
    echo "$((SECONDS - start)),${counts%,*},${counts#*,}" >> "$csv"
    sleep "$interval"
  done
) &
watcher=$!

status=0
"$@" || status=$?
kill "$watcher" 2> /dev/null || true
wait "$watcher" 2> /dev/null || true

{
  echo "### Replicas of deployment/$deployment during the load test"
  echo
  echo "| t (s) | desired | ready |"
  echo "|---|---|---|"
  tail -n +2 "$csv" | awk -F, '{ printf "| %s | %s | %s |\n", $1, ($2 == "" ? "?" : $2), ($3 == "" ? "0" : $3) }'
  echo
  echo "Peak ready replicas: $(tail -n +2 "$csv" | cut -d, -f3 | sort -n | tail -n1)"
} > "$out/replicas.md"
cat "$out/replicas.md"
if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then cat "$out/replicas.md" >> "$GITHUB_STEP_SUMMARY"; fi
exit "$status"
