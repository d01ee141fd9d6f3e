#!/usr/bin/env bash
# Starts the image as a container on 127.0.0.1:8000 (left running for the k6 smoke run), smoke-tests
# it, checks lineage (the API serves exactly the model versions and sha256 of the image's
# io.mlship.models label), and writes its size to reports/image.md for the job summary and the PR
# comment.
#   bash .github/scripts/container-smoke.sh mlship-api:ci
# Stop it afterwards with: docker rm -f mlship-ci
set -euo pipefail

image="${1:?usage: container-smoke.sh IMAGE}"
name="${CONTAINER_NAME:-mlship-ci}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

docker rm -f "$name" > /dev/null 2>&1 || true
docker run -d --name "$name" -p 127.0.0.1:8000:8000 --read-only --tmpfs /tmp "$image" > /dev/null
if ! bash "$here/smoke.sh" http://127.0.0.1:8000 || ! npm run -s lineage -- --url http://127.0.0.1:8000 --image "$image"; then
  docker logs "$name" >&2 || true
  exit 1
fi

bytes="$(docker image inspect "$image" --format '{{.Size}}')"
mkdir -p reports
{
  echo "### Image"
  echo
  echo "| image | size | smoke test and lineage |"
  echo "|---|---|---|"
  echo "| \`$image\` | $((bytes / 1024 / 1024)) MiB | ✅ passed |"
} > reports/image.md
cat reports/image.md
