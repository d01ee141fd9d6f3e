#!/usr/bin/env bash
# Copies from a Debian rootfs (made by build.sh --runtime, with /usr/local/bin/node, tzdata,
# busybox-static and binutils installed) the few files mlship's runtime image needs, into an empty directory:
#   - node and the shared libraries `ldd` names for it (and librt, for onnxruntime-node), with the dynamic loader;
#   - CA certificates (one bundle, where OpenSSL looks for it) and time zones (UTC as localtime);
#   - /etc/passwd and /etc/group with root, the app user 10001 and nobody; /tmp with mode 1777;
#   - a static busybox with only sh, cat, id and touch: compose starts the API through `sh -c`
#     (to read the monitoring token from a secret file) and the e2e harness runs `id -u` and
#     `touch` in the container. A static binary adds no library; four applets keep the shell small.
# Usage: runtime-rootfs.sh ROOTFS DEST
set -euo pipefail

rootfs="$1"
dest="$2"
[[ -x "$rootfs/usr/local/bin/node" ]] || { echo "runtime-rootfs.sh: no $rootfs/usr/local/bin/node" >&2; exit 1; }
mkdir -p "$dest"

# A path as the rootfs resolves it: its directory's symlinks (merged /usr) followed, not the file's.
in_usr() {
  local dir
  dir="$(chroot "$rootfs" readlink -f "$(dirname "$1")")"
  echo "${dir#/}/$(basename "$1")"
}

files=(usr/local/bin/node)
# The top-level symlinks of merged /usr (bin -> usr/bin, lib -> usr/lib, lib64 -> usr/lib64).
for link in bin lib lib64 sbin; do [[ -L "$rootfs/$link" ]] && files+=("$link"); done
# Each library ldd names, and the loader: the name the binary asks for (often a symlink) and the
# file it points to.
while read -r lib; do
  named="$(in_usr "$lib")"
  real="$(chroot "$rootfs" readlink -f "/$named")"
  files+=("$named" "${real#/}")
done < <(chroot "$rootfs" ldd /usr/local/bin/node | grep -o '/[^ ]*' | sort -u)
# onnxruntime-node's library (it serves ONNX models, from /app/node_modules) names one more than
# node: librt, an empty stub since glibc 2.34 whose name must still resolve. It sits beside libc.
libc="$(in_usr "$(chroot "$rootfs" ldd /usr/local/bin/node | grep -o '/[^ ]*/libc\.so\.6')")"
named="$(dirname "$libc")/librt.so.1"
real="$(chroot "$rootfs" readlink -f "/$named")"
files+=("$named" "${real#/}")

# OpenSSL's default paths (Node's --use-openssl-ca, NODE_EXTRA_CA_CERTS neighbours) lead here.
files+=(etc/ssl/certs/ca-certificates.crt usr/lib/ssl/cert.pem usr/lib/ssl/certs)
files+=(usr/bin/busybox)
tar -C "$rootfs" --no-recursion -c "${files[@]}" | tar -C "$dest" -x
# Node's symbol and debug sections (18 MB of its 127 MB): JavaScript stack traces, profiles and
# reports do not need them; native frames in `perf` show addresses instead of names.
# KEEP_NODE_SYMBOLS=1 keeps them.
if [[ "${KEEP_NODE_SYMBOLS:-0}" != 1 ]]; then
  cp "$dest/usr/local/bin/node" "$rootfs/tmp/node" && chroot "$rootfs" strip /tmp/node && install -m 0755 "$rootfs/tmp/node" "$dest/usr/local/bin/node"
  rm -f "$rootfs/tmp/node"
fi
# Time zones without the leap-second "right/" copies; localtime is UTC as in the official images.
tar -C "$rootfs" --exclude=usr/share/zoneinfo/right -c usr/share/zoneinfo | tar -C "$dest" -x
ln -sf /usr/share/zoneinfo/Etc/UTC "$dest/etc/localtime"
echo Etc/UTC >"$dest/etc/timezone"

for applet in sh cat id touch; do ln -sf busybox "$dest/usr/bin/$applet"; done

cat >"$dest/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
mlship:x:10001:10001:mlship:/app:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat >"$dest/etc/group" <<'EOF'
root:x:0:
mlship:x:10001:
nogroup:x:65534:
EOF
mkdir -p "$dest/tmp" "$dest/root" "$dest/app" "$dest/proc" "$dest/dev" "$dest/sys"
chmod 1777 "$dest/tmp"
chmod 0700 "$dest/root"

# The image must run what it is for: node starts and finds its libraries, the shell works.
chroot "$dest" /usr/local/bin/node -e 'process.exit(0)'
chroot "$dest" /bin/sh -c 'id -u >/dev/null && cat /etc/group >/dev/null'
