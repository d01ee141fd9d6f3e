#!/usr/bin/env bash
# Writes train.yml's pull request body: what changed, the gate table and the model card of the
# model's newest version.
#   bash .github/scripts/train-pr-body.sh M3 model/artifacts reports/pr-body.md
# DATA (the CSV input) and RUN_URL (the training run) add context when set.
set -euo pipefail

model="${1:?usage: train-pr-body.sh MODEL MODEL_DIR OUT}"
dir="${2:?usage: train-pr-body.sh MODEL MODEL_DIR OUT}"
out="${3:?usage: train-pr-body.sh MODEL MODEL_DIR OUT}"
pointer="$dir/$model/latest"
[[ -f "$pointer" ]] || { echo "train-pr-body: no trained version of $model in $dir" >&2; exit 1; }
card="$dir/$model/$(cat "$pointer")/model-card.md"
[[ -f "$card" ]] || { echo "train-pr-body: $card is missing" >&2; exit 1; }

mkdir -p "$(dirname "$out")"
{
  echo "Proposes model \`$model\` trained on ${DATA:-its configured data} (model/models.json)."
  echo
  echo "ci.yml trains and gates it again on this pull request; merged, the gated registry is released."
  [[ -z "${RUN_URL:-}" ]] || { echo; echo "Training run: $RUN_URL"; }
  echo
  cat reports/model-gate.md 2> /dev/null || echo "_No gate report was written._"
  echo
  echo "<details><summary>Model card</summary>"
  echo
  cat "$card"
  echo
  echo "</details>"
} > "$out"
cat "$out" >> "${GITHUB_STEP_SUMMARY:-/dev/null}"
