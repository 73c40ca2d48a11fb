#!/usr/bin/env bash
# Sourced by the clang gates (fuzz, asan, tsan, coverage): hami::install_clang installs clang-14,
# its sanitizer/libFuzzer/profile runtimes and llvm-cov/llvm-profdata from Debian on first use.
hami::install_clang() {
  local packages=(clang-14 libclang-rt-14-dev llvm-14)
  if command -v clang++-14 >/dev/null && command -v llvm-cov-14 >/dev/null &&
      dpkg-query -W libclang-rt-14-dev >/dev/null 2>&1; then
    return 0
  fi
  local sudo=""
  [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
      "${packages[@]}" >/dev/null
}
