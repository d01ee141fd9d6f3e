#!/usr/bin/env bash
# Starts the image as a container the way production starts it (NODE_ENV=production, its secure
# defaults on), left running for the k6 smoke run; smoke-tests it, checks that /metrics demands
# the monitoring token, checks lineage (the API serves exactly the model versions and sha256 of the
# image's io.mlship.models label), and writes its size to reports/image.md for the job summary and
# the PR comment.
#
# The image refuses to start with the development users or without MONITORING_TOKEN, and CI must
# not opt out of that: this run makes its own credentials, a users file with one user `smoke`
# (random password, hashed by the image's own users CLI) and a random monitoring token, in a
# private temporary folder. The password goes to the step outputs (masked in the log) for k6.
#
#   bash .github/scripts/container-smoke.sh mlship-api:ci
#
# Environment:
#   SMOKE_CONTAINER    container name (mlship-ci); stop it afterwards with docker rm -f
#   SMOKE_RUN_OPTIONS  how the container is reached (default `-p 127.0.0.1:8000:8000`; an engine
#                      without a bridge network: `--network host`)
#   SMOKE_URL          where the API answers (http://127.0.0.1:8000)
# Step outputs (GITHUB_OUTPUT): url, user, password.
set -euo pipefail

image="${1:?usage: container-smoke.sh IMAGE}"
name="${SMOKE_CONTAINER:-mlship-ci}"
url="${SMOKE_URL:-http://127.0.0.1:8000}"
read -r -a run_options <<< "${SMOKE_RUN_OPTIONS:--p 127.0.0.1:8000:8000}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

fail() { echo "container-smoke: $*" >&2; exit 1; }

# Kept while the container runs (it reads the file through a bind mount); the runner's temporary
# folder goes with the job.
credentials="$(mktemp -d "${RUNNER_TEMP:-/tmp}/mlship-smoke.XXXXXX")"
password="$(openssl rand -hex 18)"
token="$(openssl rand -hex 24)"
if [[ -n "${GITHUB_ACTIONS:-}" ]]; then
  echo "::add-mask::$password"
  echo "::add-mask::$token"
fi
# The image's own CLI hashes the password (scrypt), as `npm run users` does; it runs as this user
# so the file lands owned by the runner, then readable by the container's user (10001).
printf '%s\n' "$password" | docker run --rm -i --network none --user "$(id -u):$(id -g)" \
  -v "$credentials:/out" --entrypoint node "$image" dist/bundle/users-cli.js add smoke --file /out/users.txt > /dev/null \
  || fail "the image's users CLI (dist/bundle/users-cli.js) could not write a users file"
chmod 0644 "$credentials/users.txt"

docker rm -f "$name" > /dev/null 2>&1 || true
docker run -d --name "$name" "${run_options[@]}" --read-only --tmpfs /tmp \
  -v "$credentials/users.txt:/run/mlship/users.txt:ro" -e USERS_FILE=/run/mlship/users.txt \
  -e MONITORING_TOKEN="$token" "$image" > /dev/null

metrics_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" "$url/metrics"; }
check() {
  API_USER=smoke API_PASSWORD="$password" bash "$here/smoke.sh" "$url" || return 1
  [[ "$(metrics_code)" == 401 ]] || { echo "container-smoke: GET /metrics without the token did not answer 401" >&2; return 1; }
  [[ "$(metrics_code -H "Authorization: Bearer $token")" == 200 ]] || { echo "container-smoke: GET /metrics with the token did not answer 200" >&2; return 1; }
  npm run -s lineage -- --url "$url" --image "$image"
}
if ! check; then
  docker logs "$name" >&2 || true
  exit 1
fi

if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
  { echo "url=$url"; echo "user=smoke"; echo "password=$password"; } >> "$GITHUB_OUTPUT"
fi

bytes="$(docker image inspect "$image" --format '{{.Size}}')"
mkdir -p reports
{
  echo "### Image"
  echo
  echo "| image | size | smoke test, metrics token and lineage |"
  echo "|---|---|---|"
  echo "| \`$image\` | $((bytes / 1024 / 1024)) MiB | ✅ passed |"
} > reports/image.md
cat reports/image.md
