#!/bin/sh
# vgpu-init.sh DEST [VGPULOCK_DIR]: installs libvgpu.so onto the host, run by the device plugin
# pod's init container with the host's <gpuHookPath>/vgpu mounted at DEST.
#
#   DEST/libvgpu.so      copied from $HAMI_VGPU_SRC (default /usr/local/share/hami/vgpu) when its
#                        sha256 differs; written to a temporary name, verified, then renamed, so a
#                        container that already bind-mounts the old file keeps a complete one
#   DEST/ld.so.preload   one line: the path libvgpu.so has INSIDE GPU containers (the device plugin
#                        mounts DEST/libvgpu.so there), $HAMI_PRELOAD_PATH, default
#                        /usr/local/vgpu/libvgpu.so; rewritten only when different
#   DEST/containers/     per-container shared-region directories (mode 0777: containers run as any user)
#   VGPULOCK_DIR         mode 1777 (the in-container lock directory /tmp/vgpulock)
#
# Checksums come from $HAMI_VGPU_SRC/SHA256SUMS when present (written at image build), so a
# corrupted image file is refused too. Exit 0 on success, 1 with a message otherwise.
set -eu

src=${HAMI_VGPU_SRC:-/usr/local/share/hami/vgpu}
preload=${HAMI_PRELOAD_PATH:-/usr/local/vgpu/libvgpu.so}

die() { echo "vgpu-init: $*" >&2; exit 1; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

if [ $# -lt 1 ] || [ $# -gt 2 ]; then die "usage: vgpu-init.sh DEST [VGPULOCK_DIR]"; fi
dest=${1%/}
[ -n "$dest" ] || die "DEST must not be /"
[ -d "$dest" ] || die "$dest is not a directory (is the host path mounted?)"
[ -f "$src/libvgpu.so" ] || die "$src/libvgpu.so missing in the image"

want=$(sha "$src/libvgpu.so")
if [ -f "$src/SHA256SUMS" ]; then
  listed=$(awk '$2 ~ /libvgpu\.so$/ {print $1; exit}' "$src/SHA256SUMS")
  [ "$listed" = "$want" ] || die "$src/libvgpu.so does not match SHA256SUMS (image corrupted?)"
fi

install_file() {  # install_file SRC DEST_NAME WANT_SHA
  if [ -f "$dest/$2" ] && [ "$(sha "$dest/$2")" = "$3" ]; then
    echo "vgpu-init: $dest/$2 up to date ($3)"
    return 0
  fi
  tmp="$dest/.$2.tmp.$$"
  cp "$1" "$tmp"
  chmod 0644 "$tmp"
  if [ "$(sha "$tmp")" != "$3" ]; then
    rm -f "$tmp"
    die "copy of $1 to $dest is corrupt (disk full?)"
  fi
  mv -f "$tmp" "$dest/$2"
  echo "vgpu-init: installed $dest/$2 ($3)"
}

install_file "$src/libvgpu.so" libvgpu.so "$want"

preload_tmp="$dest/.ld.so.preload.src.$$"
printf '%s\n' "$preload" > "$preload_tmp"
install_file "$preload_tmp" ld.so.preload "$(sha "$preload_tmp")"
rm -f "$preload_tmp"

mkdir -p "$dest/containers"
chmod 0777 "$dest/containers"
if [ $# -eq 2 ]; then
  mkdir -p "$2"
  chmod 1777 "$2"
fi
echo "vgpu-init: done"
