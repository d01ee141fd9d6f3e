#!/usr/bin/env bash
# Smoke test of a running mlship API (container, kind NodePort or any URL): ready, status, an
# authenticated prediction, and a 401 without credentials. Used by ci.yml and deploy.yml.
#   bash .github/scripts/smoke.sh http://127.0.0.1:30080
# API_USER / API_PASSWORD (the documented dev user alice, as the k6 script) and SMOKE_RETRIES
# (30 tries, 2 s apart) tune it.
set -euo pipefail

base="${1:?usage: smoke.sh BASE_URL}"
base="${base%/}"
user="${API_USER:-alice}:${API_PASSWORD:-wonderland}"
retries="${SMOKE_RETRIES:-30}"

fail() { echo "smoke: $*" >&2; exit 1; }

for ((i = 1; ; i++)); do
  if curl -fsS --max-time 5 "$base/readyz" > /dev/null 2>&1; then break; fi
  ((i < retries)) || fail "$base/readyz not ready after $retries tries"
  sleep 2
done

status="$(curl -fsS --max-time 5 "$base/status")" || fail "GET /status failed"
[[ "$status" == *'"status":"ok"'* ]] || fail "GET /status answered $status"

prediction="$(curl -fsS --max-time 5 -u "$user" -H 'Content-Type: application/json' \
  -d '{"X":[5.1,3.5,1.4,0.2]}' "$base/predict")" || fail "POST /predict failed"
[[ "$prediction" == *setosa* ]] || fail "POST /predict did not answer setosa: $prediction"

code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H 'Content-Type: application/json' \
  -d '{"X":[5.1,3.5,1.4,0.2]}' "$base/predict")"
[[ "$code" == 401 ]] || fail "POST /predict without credentials answered $code, not 401"

echo "smoke: $base ready, /status ok, /predict answers setosa, 401 without credentials"
