#!/usr/bin/env bash
# Creates .venv-tools (git-ignored) and installs the pinned Python tools of requirements-tools.txt.
# Re-running is cheap: pip skips what is already at the pinned version.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-tools
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv" || { echo "error: python3 -m venv failed: install python3-venv (apt-get install -y python3-venv)" >&2; exit 2; }
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-tools.txt
# azure-cli's version from its metadata: `az version` would ask the network for the latest one.
echo "tools in $PWD/$venv/bin: $("$venv/bin/hadolint" --version | head -1); zizmor $("$venv/bin/zizmor" --version | awk '{print $2}');" \
  "$("$venv/bin/python" -c 'import importlib.metadata as m; print("; ".join(f"{p} {m.version(p)}" for p in ("schemathesis", "azure-cli")))')"
