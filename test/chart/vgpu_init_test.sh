#!/usr/bin/env bash
# deploy/device-plugin/vgpu-init.sh on temporary directories: fresh install, idempotent re-run,
# atomic replacement (a file already open elsewhere keeps its old content), checksum refusal,
# ld.so.preload content, directory modes, usage errors.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
init=$root/deploy/device-plugin/vgpu-init.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }

src=$tmp/image; dest=$tmp/host/vgpu; lock=$tmp/host/tmp/vgpulock
mkdir -p "$src" "$dest"
head -c 100000 /dev/urandom > "$src/libvgpu.so"
(cd "$src" && sha256sum libvgpu.so > SHA256SUMS)
run() { HAMI_VGPU_SRC=$src "$init" "$@" > "$tmp/out" 2>&1; }

check "fresh install succeeds" run "$dest" "$lock"
check "libvgpu.so copied" cmp -s "$src/libvgpu.so" "$dest/libvgpu.so"
check "ld.so.preload names the in-container path" \
  test "$(cat "$dest/ld.so.preload")" = /usr/local/vgpu/libvgpu.so
check "containers dir is 0777" test "$(stat -c %a "$dest/containers")" = 777
check "vgpulock dir is 1777" test "$(stat -c %a "$lock")" = 1777
check "installed file is 0644" test "$(stat -c %a "$dest/libvgpu.so")" = 644
check "no temporary files left" test -z "$(find "$dest" -name '.*tmp*')"

inode=$(stat -c %i "$dest/libvgpu.so")
check "re-run succeeds" run "$dest/"
check "re-run leaves an up-to-date file alone" test "$(stat -c %i "$dest/libvgpu.so")" = "$inode"
check "re-run says up to date" grep -q "libvgpu.so up to date" "$tmp/out"

exec 7<"$dest/libvgpu.so"   # a container that mounted the old file
old_sum=$(sha256sum < "$dest/libvgpu.so")
head -c 50000 /dev/urandom > "$src/libvgpu.so"
(cd "$src" && sha256sum libvgpu.so > SHA256SUMS)
check "new version installs" run "$dest"
check "new version copied" cmp -s "$src/libvgpu.so" "$dest/libvgpu.so"
check "replaced by rename (new inode)" test "$(stat -c %i "$dest/libvgpu.so")" != "$inode"
check "old open file keeps its content" test "$(sha256sum <&7)" = "$old_sum"
exec 7<&-

HAMI_PRELOAD_PATH=/opt/hami/libvgpu.so HAMI_VGPU_SRC=$src "$init" "$dest" > /dev/null
check "HAMI_PRELOAD_PATH rewrites ld.so.preload" test "$(cat "$dest/ld.so.preload")" = /opt/hami/libvgpu.so

echo "0000000000000000000000000000000000000000000000000000000000000000  libvgpu.so" > "$src/SHA256SUMS"
before=$(sha256sum < "$dest/libvgpu.so")
if run "$dest"; then bad "corrupted image file refused"; else ok "corrupted image file refused"; fi
check "refusal names the checksum" grep -q "does not match SHA256SUMS" "$tmp/out"
check "refusal leaves the host file" test "$(sha256sum < "$dest/libvgpu.so")" = "$before"

if run "$tmp/missing"; then bad "missing DEST refused"; else ok "missing DEST refused"; fi
if run; then bad "no arguments refused"; else ok "no arguments refused"; fi
check "usage printed" grep -q usage "$tmp/out"

echo "$pass passed, $fail failed"
(( fail == 0 ))
