#!/usr/bin/env bash
# Smoke test of a running mlship API (container, kind NodePort or any URL): ready, status, an
# authenticated prediction, and a 401 without credentials. Used by ci.yml and deploy.yml.
#   bash .github/scripts/smoke.sh http://127.0.0.1:30080
# It names no model, feature or class, so it passes for whatever model a fork serves: GET /models
# says what is served; the prediction posts one row of zeros as wide as the default model's
# features (the API accepts any finite numbers), and the answer must name one of the classes
# /models lists for the model that answered. /models does not mark the default model (the one
# /predict answers without X-Experiment-Group), so each feature count it lists is tried in order
# until /predict does not refuse the row with 400.
# API_USER / API_PASSWORD (the documented dev user alice, as the k6 script) and SMOKE_RETRIES
# (30 tries, 2 s apart) tune it. Needs bash, curl and node (to read the JSON answers). On failure
# it prints one line, `smoke: …`, to stderr and exits 1.
set -euo pipefail

base="${1:?usage: smoke.sh BASE_URL}"
base="${base%/}"
user="${API_USER:-alice}:${API_PASSWORD:-wonderland}"
retries="${SMOKE_RETRIES:-30}"

fail() { echo "smoke: $*" >&2; exit 1; }

command -v node > /dev/null || fail "node is needed to read the API's JSON answers"

# Sends a request (curl arguments, URL last); sets $code and $body. A transport error fails.
call() {
  local out
  out="$(curl -sS --max-time 5 -w '\n%{http_code}' "$@" 2>&1)" || fail "${what}: ${out##*$'\n'}"
  code="${out##*$'\n'}"
  body="${out%$'\n'*}"
}

for ((i = 1; ; i++)); do
  if curl -fsS --max-time 5 "$base/readyz" > /dev/null 2>&1; then break; fi
  ((i < retries)) || fail "$base/readyz not ready after $retries tries"
  sleep 2
done

what='GET /status'
call "$base/status"
[[ "$code" == 200 && "$body" == *'"status":"ok"'* ]] || fail "GET /status answered $code: $body"

what='GET /models'
call -u "$user" "$base/models"
[[ "$code" == 200 ]] || fail "GET /models as ${user%%:*} answered $code: $body"
models="$body"
# The distinct feature counts of the served models, in the order /models lists them.
widths="$(node -e '
  const { models } = JSON.parse(process.argv[1]);
  if (!Array.isArray(models) || models.length === 0) process.exit(1);
  console.log([...new Set(models.map((m) => m.features.length))].join(" "));
' "$models" 2> /dev/null)" || fail "GET /models listed no model with features: $models"

what='POST /predict'
for width in $widths; do
  zeros="$(printf '0,%.0s' $(seq "$width"))"
  row="{\"X\":[${zeros%,}]}"
  call -u "$user" -H 'Content-Type: application/json' -d "$row" "$base/predict"
  [[ "$code" == 400 ]] || break
done
[[ "$code" == 200 ]] || fail "POST /predict of $row answered $code: $body"

# shellcheck disable=SC2016 # ${…} below are JavaScript template literals, not the shell's.
verdict="$(node -e '
  try {
    const [{ models }, answer] = process.argv.slice(1).map((text) => JSON.parse(text));
    const model = models.find((m) => m.name === answer.model);
    if (!model) throw new Error(`the answer names model ${JSON.stringify(answer.model)}, which GET /models does not list`);
    if (!model.classes.includes(answer.prediction)) throw new Error(`${JSON.stringify(answer.prediction)} is not one of ${model.name}'"'"'s classes (${model.classes.join(", ")})`);
    console.log(`${model.name} answers ${answer.prediction}, one of its ${model.classes.length} classes`);
  } catch (error) {
    console.log(error.message);
    process.exit(1);
  }
' "$models" "$body")" || fail "POST /predict: $verdict: $body"

code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H 'Content-Type: application/json' -d "$row" "$base/predict")"
[[ "$code" == 401 ]] || fail "POST /predict without credentials answered $code, not 401"

echo "smoke: $base ready, /status ok, /predict: $verdict; 401 without credentials"
