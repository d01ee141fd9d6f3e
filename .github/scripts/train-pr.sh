#!/usr/bin/env bash
# train.yml's last step: commits the proposed model/models.json (downloaded to proposal/) on a new
# branch from this commit (so a data file on the dispatched branch comes along), pushes it and
# opens a pull request into BASE with the body train-pr-body.sh wrote.
# Environment: MODEL, DATA (may be empty), BASE, RUN_ID, GH_TOKEN; OWN_TOKEN=true when GH_TOKEN is
# the job's token (whose pull requests start no workflow: the body says how to start CI).
set -euo pipefail

: "${MODEL:?}" "${BASE:?}" "${RUN_ID:?}"
branch="train/$MODEL-$RUN_ID"
body="proposal/reports/pr-body.md"
[[ -f proposal/model/models.json && -f "$body" ]] || { echo "train-pr: the proposal artifact lacks models.json or the body" >&2; exit 1; }

cp proposal/model/models.json model/models.json
if [[ "${OWN_TOKEN:-false}" == true ]]; then
  printf '\n> Opened with the workflow token, which starts no workflow: close and reopen this pull request to run ci.yml.\n' >> "$body"
fi

git config user.name 'github-actions[bot]'
git config user.email '41898282+github-actions[bot]@users.noreply.github.com'
git switch -c "$branch"
git add model/models.json
if [[ -n "${DATA:-}" ]]; then git add -- "$DATA"; fi
git commit -m "Model $MODEL: train on ${DATA:-its configured data} (proposed by train.yml run $RUN_ID)"
git push origin "$branch"
gh pr create --base "$BASE" --head "$branch" --title "Model $MODEL on ${DATA:-its configured data}" --body-file "$body"
