#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Deploys one pushed image, pinned by digest, to a real cluster with the production overlay:
# writes the two secret files, `kustomize edit set image`, refuses a render that does not run that
# digest everywhere (k8s/scripts/check-no-placeholder.sh), applies, waits for both rollouts,
# smoke-tests the API through a port-forward and checks lineage (it serves exactly the models of
# the image's io.mlship.models label).
#   bash .github/scripts/deploy-kubernetes.sh ghcr.io/owner/mlship@sha256:<digest>
#   bash .github/scripts/deploy-kubernetes.sh --rollback api=<pod-template-hash>,api-v2=<pod-template-hash>
# Before the apply it records the ReplicaSet each Deployment runs (the step output `previous`).
# Any failure after that, and a cancelled run (the workflow step execs this script, so the
# runner's SIGINT and SIGTERM reach it), rolls both back to those ReplicaSets and waits for them.
# --rollback does only that: the workflow's next step finishes a rollback the runner cut short
# (it kills a cancelled step 10 s after its first signal), and finds nothing to do otherwise.
# Environment: KUBECONFIG (a file), MONITORING_TOKEN, MLSHIP_USERS_FILE (the users file's text),
# EXPECTED_MODELS (the label's JSON; read from the image when empty), NAMESPACE (mlship),
# OVERLAY (k8s/overlays/production), ROLLOUT_TIMEOUT (300s), LOCAL_PORT (18080), and for a private
# image REGISTRY_PULL_SECRET (a token that reads the package; unset: the cluster pulls
# anonymously) with REGISTRY_PULL_USER (default: the image's owner).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=cancellable.sh
source "$here/cancellable.sh"
namespace="${NAMESPACE:-mlship}"
overlay="${OVERLAY:-k8s/overlays/production}"
timeout="${ROLLOUT_TIMEOUT:-300s}"
port="${LOCAL_PORT:-18080}"
usage="usage: deploy-kubernetes.sh REPOSITORY@sha256:DIGEST | --rollback api=HASH,api-v2=HASH"

say() { echo "deploy-kubernetes: $*" >&2; }
die() { say "$*"; exit 1; }

[[ -n "${KUBECONFIG:-}" && -s "$KUBECONFIG" ]] || die "KUBECONFIG must name a non-empty kubeconfig file (the KUBECONFIG secret)"
answer="$(mktemp "${TMPDIR:-/tmp}/deploy-kubernetes.XXXXXX")" # the Deployments and ReplicaSets, as kubectl read them
forward="" previous=""
trap 'stop_pending; [[ -z "$forward" ]] || kill "$forward" 2> /dev/null || true; rm -f "$answer"' EXIT

# Reads the namespace's Deployments and ReplicaSets into $answer.
read_workloads() {
  kubectl -n "$namespace" get deployments,replicasets -o json > "$answer"
}

# jq definitions both queries below read $answer with: an object's revision, and the ReplicaSets
# Deployment $name owns.
# shellcheck disable=SC2016 # $name is jq's, not the shell's
JQ_WORKLOADS='
  def revision: .metadata.annotations["deployment.kubernetes.io/revision"];
  def sets_of($name): .items[] | select(.kind == "ReplicaSet"
    and any(.metadata.ownerReferences[]?; .kind == "Deployment" and .name == $name));'

# From $answer: "api=<hash>,api-v2=<hash>", the pod-template-hash of the ReplicaSet each of the
# two Deployments runs now (the one of the Deployment's revision); a Deployment not made yet is
# left out. Revision numbers change when a rollback brings a ReplicaSet back; the hash does not.
running_templates() {
  jq -r "$JQ_WORKLOADS"'
    . as $all
    | [.items[] | select(.kind == "Deployment" and (.metadata.name == "api" or .metadata.name == "api-v2"))
        | .metadata.name as $name | revision as $revision
        | $all | sets_of($name) | select(revision == $revision)
        | "\($name)=\(.metadata.labels["pod-template-hash"])"]
    | join(",")' "$answer"
}

# From $answer: the revision of deployment $1's ReplicaSet with pod-template-hash $2 (empty when it is gone).
revision_of() {
  jq -r --arg name "$1" --arg hash "$2" "$JQ_WORKLOADS"'
    sets_of($name) | select(.metadata.labels["pod-template-hash"] == $hash) | revision' "$answer"
}

# Brings each Deployment of $1 ("api=<hash>,…") back to that ReplicaSet, unless it runs it already,
# and waits until it is ready; returns 1 when one could not be (its ReplicaSet is gone, or the wait
# timed out).
restore() {
  local pair deployment revision running restored=0
  read_workloads || return 1
  running="$(running_templates)"
  for pair in ${1//,/ }; do
    deployment="${pair%%=*}"
    revision="$(revision_of "$deployment" "${pair#*=}")"
    if [[ -z "$revision" ]]; then
      say "deployment/$deployment no longer has the ReplicaSet ${pair#*=}: roll it back by hand"
      restored=1
    elif [[ ",$running," != *",$pair,"* ]]; then
      kubectl -n "$namespace" rollout undo "deployment/$deployment" --to-revision="$revision" || restored=1
    fi
  done
  for pair in ${1//,/ }; do
    kubectl -n "$namespace" rollout status "deployment/${pair%%=*}" --timeout="$timeout" || restored=1
  done
  return "$restored"
}

# Rolls back to $previous after a failure or a cancellation ($1 says which), and exits 1.
roll_back() {
  # The runner's SIGTERM follows its SIGINT: neither may cut the rollback short.
  trap '' INT TERM
  stop_pending
  if [[ -z "$previous" ]]; then
    say "$1; this was the namespace's first deploy: nothing to roll back to (see cluster-state.txt)"
  else
    say "$1; rolling back"
    if restore "$previous"; then
      say "rolled back: the previous ReplicaSets serve again"
    else
      say "the rollback did not finish within $timeout: see cluster-state.txt"
    fi
  fi
  kubectl -n "$namespace" get deploy,rs,pods,events > cluster-state.txt 2>&1 || true
  exit 1
}

if [[ "${1:-}" == --rollback ]]; then
  previous="${2:?$usage}"
  [[ "$previous" =~ ^(api|api-v2)=[a-z0-9]+(,(api|api-v2)=[a-z0-9]+)?$ ]] || die "--rollback takes api=HASH[,api-v2=HASH], got \"$previous\""
  restore "$previous" || die "the rollback to $previous did not finish: see kubectl -n $namespace get deploy,rs,pods,events"
  say "the previous ReplicaSets serve ($previous)"
  exit 0
fi

image="${1:?$usage}"
[[ "$image" =~ ^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+@sha256:[a-f0-9]{64}$ ]] || die "$image is not pinned by digest (REPOSITORY@sha256:<64 hex>)"
[[ -n "${MONITORING_TOKEN:-}" ]] || die "MONITORING_TOKEN is empty: set the repository or environment secret"
[[ -n "${MLSHIP_USERS_FILE:-}" ]] || die "MLSHIP_USERS_FILE is empty: set it to a users file made with npm run users"
expected="${EXPECTED_MODELS:-$(bash "$here/image-models.sh" "$image")}"
# Nothing has changed yet: a cancellation stops here with nothing to undo.
trap 'die "cancelled before anything was applied"' INT TERM

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
# Known before anything changes, and written for the workflow's rollback step.
interruptible read_workloads
previous="$(running_templates)"
output previous "$previous"
# From here on a cancellation may find the apply half-done: it rolls back (to what runs now).
trap 'roll_back "cancelled"' INT TERM
interruptible kubectl apply -k "$root/$overlay"

interruptible kubectl -n "$namespace" rollout status deployment/api --timeout="$timeout" || roll_back "deployment/api did not roll out"
interruptible kubectl -n "$namespace" rollout status deployment/api-v2 --timeout="$timeout" || roll_back "deployment/api-v2 did not roll out"

kubectl -n "$namespace" port-forward service/api "$port:80" > port-forward.log 2>&1 &
forward=$!
url="http://127.0.0.1:$port"
interruptible bash "$here/smoke.sh" "$url" || roll_back "smoke test failed"
lineage() { cd "$root" && npm run -s lineage -- --url "$url" --expected "$expected"; }
interruptible lineage || roll_back "lineage check failed: the API does not serve the image's models"
echo "deploy-kubernetes: $image serves $expected"
