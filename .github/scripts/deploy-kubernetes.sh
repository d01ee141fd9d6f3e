#!/usr/bin/env bash
# Deploys one pushed image, pinned by digest, to a real cluster with the production overlay:
# writes the two secret files, `kustomize edit set image`, refuses a render that does not run that
# digest everywhere (k8s/scripts/check-no-placeholder.sh), applies, waits for both rollouts,
# smoke-tests the API through a port-forward and checks lineage (it serves exactly the models of
# the image's io.mlship.models label). Any failure after the apply runs `kubectl rollout undo`.
#   bash .github/scripts/deploy-kubernetes.sh ghcr.io/owner/mlship@sha256:<digest>
# Environment: KUBECONFIG (a file), MONITORING_TOKEN, MLSHIP_USERS_FILE (the users file's text),
# EXPECTED_MODELS (the label's JSON; read from the image when empty), NAMESPACE (mlship),
# OVERLAY (k8s/overlays/production), ROLLOUT_TIMEOUT (300s), LOCAL_PORT (18080), and for a private
# image REGISTRY_PULL_SECRET (a token that reads the package; unset: the cluster pulls
# anonymously) with REGISTRY_PULL_USER (default: the image's owner).
set -euo pipefail

image="${1:?usage: deploy-kubernetes.sh REPOSITORY@sha256:DIGEST}"
namespace="${NAMESPACE:-mlship}"
overlay="${OVERLAY:-k8s/overlays/production}"
timeout="${ROLLOUT_TIMEOUT:-300s}"
port="${LOCAL_PORT:-18080}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

die() { echo "deploy-kubernetes: $*" >&2; exit 1; }

[[ "$image" =~ ^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+@sha256:[a-f0-9]{64}$ ]] || die "$image is not pinned by digest (REPOSITORY@sha256:<64 hex>)"
[[ -n "${KUBECONFIG:-}" && -s "$KUBECONFIG" ]] || die "KUBECONFIG must name a non-empty kubeconfig file (the KUBECONFIG secret)"
[[ -n "${MONITORING_TOKEN:-}" ]] || die "MONITORING_TOKEN is empty: set the repository or environment secret"
[[ -n "${MLSHIP_USERS_FILE:-}" ]] || die "MLSHIP_USERS_FILE is empty: set it to a users file made with npm run users"
expected="${EXPECTED_MODELS:-$(bash "$here/image-models.sh" "$image")}"

# The generator reads these git-ignored files; they never leave the runner's checkout.
secrets="$root/k8s/base/secrets"
(umask 077 && printf 'MONITORING_TOKEN=%s\n' "$MONITORING_TOKEN" > "$secrets/secrets.env" && printf '%s\n' "$MLSHIP_USERS_FILE" > "$secrets/users.txt")
# Refuses placeholders and the published development credentials, in one line, before any apply.
(cd "$root" && npx tsx k8s/scripts/check-production-secrets.ts --dir "$secrets")
(cd "$root/$overlay" && kustomize edit set image "mlship.invalid/mlship=$image")

# A private package: the pod's ServiceAccount pulls with a dockerconfigjson Secret made here
# (components/registry-pull-secret; the file is git-ignored and never leaves the runner).
if [[ -n "${REGISTRY_PULL_SECRET:-}" ]]; then
  component="$root/k8s/components/registry-pull-secret"
  [[ -d "$component" ]] || die "REGISTRY_PULL_SECRET is set but $component is missing"
  owner="${image#*/}"
  (umask 077 && REGISTRY="${image%%/*}" REGISTRY_USER="${REGISTRY_PULL_USER:-${owner%%/*}}" REGISTRY_PULL_SECRET="$REGISTRY_PULL_SECRET" \
    jq -n '{auths: {(env.REGISTRY): {auth: ("\(env.REGISTRY_USER):\(env.REGISTRY_PULL_SECRET)" | @base64)}}}' > "$component/dockerconfig.json")
  (cd "$root/$overlay" && kustomize edit add component "$(realpath -m --relative-to=. "$component")")
  echo "deploy-kubernetes: pulling ${image%%/*} with REGISTRY_PULL_SECRET (components/registry-pull-secret)"
fi

bash "$root/k8s/scripts/check-no-placeholder.sh" "$root/$overlay" "$image"
kubectl apply -k "$root/$overlay"

# Undoes both Deployments and waits until the previous ReplicaSets are ready again, so that the
# job's end means the cluster serves what it served before (or says that it does not).
rollback() {
  local deployment restored=true
  echo "deploy-kubernetes: $1; rolling back" >&2
  for deployment in api api-v2; do
    kubectl -n "$namespace" rollout undo "deployment/$deployment" || true
  done
  for deployment in api api-v2; do
    kubectl -n "$namespace" rollout status "deployment/$deployment" --timeout="$timeout" || restored=false
  done
  kubectl -n "$namespace" get deploy,rs,pods,events > cluster-state.txt 2>&1 || true
  if [[ "$restored" == true ]]; then
    echo "deploy-kubernetes: rolled back: the previous ReplicaSets serve again" >&2
  else
    echo "deploy-kubernetes: the rollback did not finish within $timeout: see cluster-state.txt" >&2
  fi
  exit 1
}

kubectl -n "$namespace" rollout status deployment/api --timeout="$timeout" || rollback "deployment/api did not roll out"
kubectl -n "$namespace" rollout status deployment/api-v2 --timeout="$timeout" || rollback "deployment/api-v2 did not roll out"

kubectl -n "$namespace" port-forward service/api "$port:80" > port-forward.log 2>&1 &
forward=$!
trap 'kill "$forward" 2> /dev/null || true' EXIT
url="http://127.0.0.1:$port"
bash "$here/smoke.sh" "$url" || rollback "smoke test failed"
(cd "$root" && npm run -s lineage -- --url "$url" --expected "$expected") || rollback "lineage check failed: the API does not serve the image's models"
echo "deploy-kubernetes: $image serves $expected"
