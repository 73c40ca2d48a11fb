# shellcheck shell=bash
# Sourced by the GPU tests. Exit 77 (ctest SKIP_RETURN_CODE) when the machine cannot run them, so
# ctest shows them as "Not Run (Skipped)" instead of passing silently.
skip() { echo "SKIPPED: $*"; exit 77; }
need_gpu() {
  command -v nvidia-smi >/dev/null 2>&1 || skip "no nvidia-smi"
  nvidia-smi -L 2>/dev/null | grep -q '^GPU ' || skip "no NVIDIA GPU visible"
}
fail() { echo "FAIL: $*"; exit 1; }
