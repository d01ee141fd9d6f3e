#!/bin/sh
# Copies into DEST/node_modules the packages the bundles (dist/bundle, dist/api) leave outside
# and load at run time: onnxruntime-node, a native addon esbuild cannot bundle, with only its
# JavaScript and this platform's library (the package carries five platforms, 294 MiB; linux/x64
# alone is 46 MiB), and onnxruntime-common, which it requires. The image's runtime stage and the
# test of the bundles without node_modules take the same files from here.
#
#   sh scripts/runtime-modules.sh DEST
set -eu
[ $# -eq 1 ] || { echo "usage: sh scripts/runtime-modules.sh DEST" >&2; exit 2; }
modules="$(cd "$(dirname "$0")/.." && pwd)/node_modules"
dest="$1/node_modules"
bin="bin/napi-v6/$(node -p process.platform)/$(node -p process.arch)"
mkdir -p "$dest/onnxruntime-node/dist" "$dest/onnxruntime-node/$bin" "$dest/onnxruntime-common/dist"
cp "$modules/onnxruntime-node/package.json" "$dest/onnxruntime-node/"
cp "$modules/onnxruntime-node"/dist/*.js "$dest/onnxruntime-node/dist/"
cp "$modules/onnxruntime-node/$bin"/* "$dest/onnxruntime-node/$bin/"
cp "$modules/onnxruntime-common/package.json" "$dest/onnxruntime-common/"
cp -r "$modules/onnxruntime-common/dist/cjs" "$dest/onnxruntime-common/dist/"
