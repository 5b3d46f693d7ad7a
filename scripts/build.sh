#!/usr/bin/env bash
# Configures and builds one CMake preset (dev: debug + ASan/UBSan; release;
# fuzz: clang-14 libFuzzer targets, build them with the target cloudlet_fuzz).
# Usage: scripts/build.sh dev|release|fuzz [extra targets...]
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:?usage: scripts/build.sh dev|release|fuzz [targets...]}
shift || true
jobs=$(nproc 2>/dev/null || echo 2)
# Let clones in other folders (CI) reuse the cache: ccache rewrites paths
# under the source root to relative ones and ignores the working directory.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
if [[ ! -f build/$preset/build.ninja ]]; then
  echo "build: configuring preset '$preset'"
  cmake --preset "$preset" >/dev/null
fi
echo "build: building preset '$preset' with $jobs jobs (ccache: $(command -v ccache >/dev/null && echo on || echo off))"
if (($# > 0)); then
  cmake --build "build/$preset" -j "$jobs" --target "$@"
else
  cmake --build "build/$preset" -j "$jobs"
fi
