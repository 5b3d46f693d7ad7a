#!/usr/bin/env bash
# Runs every fuzz target of BUILD_DIR (a `fuzz` preset tree) for SECONDS each
# (default 20, or $FUZZ_SECONDS), after running each input of
# fuzz/regressions/<target>/ once. The targets are the directories of
# fuzz/corpus/: one without its binary is a failure, never a skip.
#
# Each run mutates a copy of fuzz/corpus/<target>/ in a temporary directory,
# so the repository never grows. Exits non-zero on any crash, leak, timeout,
# out-of-memory or sanitizer report, and prints the input that caused it
# (kept under BUILD_DIR/fuzz/findings/<target>/). A fix's author copies that
# input into fuzz/regressions/<target>/.
#
# Usage: fuzz/run.sh BUILD_DIR [SECONDS] [TARGET...]
#   FUZZ_SECONDS=600 fuzz/run.sh build/fuzz           # longer, by hand
#   fuzz/run.sh build/fuzz 60 fuzz_sigv4              # one target
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: fuzz/run.sh BUILD_DIR [SECONDS] [TARGET...]}
build=$(cd "$build" 2>/dev/null && pwd) || {
  echo "fuzz: no build directory $1 (configure and build it: scripts/build.sh fuzz cloudlet_fuzz)" >&2
  exit 1
}
seconds=${2:-${FUZZ_SECONDS:-20}}
shift $(($# >= 2 ? 2 : 1))
if (($# > 0)); then
  targets=("$@")
else
  targets=()
  for d in "$here"/corpus/*/; do targets+=("$(basename "$d")"); done
fi

missing=()
for t in "${targets[@]}"; do
  [[ -x $build/fuzz/$t ]] || missing+=("$t")
done
if ((${#missing[@]})); then
  echo "fuzz: missing fuzz binaries in $build/fuzz: ${missing[*]}" >&2
  echo "fuzz: build them with: scripts/build.sh fuzz cloudlet_fuzz" >&2
  exit 1
fi

# Sanitizers: report and stop at the first error, leaks included. Options
# given later win, so a caller's ASAN_OPTIONS keep what they set otherwise.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1:abort_on_error=0:symbolize=1"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}print_stacktrace=1:halt_on_error=1"
if [[ -z ${ASAN_SYMBOLIZER_PATH:-} && -x /usr/lib/llvm-14/bin/llvm-symbolizer ]]; then
  export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
fi

# In memory when there is /dev/shm: fuzz_users_json writes a file per input.
base=/dev/shm
[[ -d $base && -w $base ]] || base=${TMPDIR:-/tmp}
work=$(mktemp -d "$base/cloudlet-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
export FUZZ_TMPDIR=$work/tmp
mkdir -p "$FUZZ_TMPDIR"
# Any of these in a log is a finding even if the process exited 0.
report='ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|ERROR: libFuzzer|fuzz invariant failed|SUMMARY: (Address|Undefined|Leak)Sanitizer'

failed=()
summary=()
for t in "${targets[@]}"; do
  bin=$build/fuzz/$t
  findings=$build/fuzz/findings/$t
  mkdir -p "$findings" "$work/$t"
  log=$work/$t/log

  # 1. Regression inputs, each run once.
  regressions=()
  if [[ -d $here/regressions/$t ]]; then
    while IFS= read -r -d '' f; do regressions+=("$f"); done \
      < <(find "$here/regressions/$t" -type f ! -name '.*' ! -name '*.md' -print0 | sort -z)
  fi
  if ((${#regressions[@]})); then
    if ! "$bin" -timeout=10 -rss_limit_mb=2048 "${regressions[@]}" >"$log" 2>&1 ||
      grep -Eq "$report" "$log"; then
      cp "$log" "$findings/regressions.log"
      echo "fuzz: $t FAILED a regression input; log: $findings/regressions.log" >&2
      grep -E "Running: |$report" "$log" | tail -n 20 >&2 || true
      failed+=("$t")
      continue
    fi
  fi

  # 2. Fuzzing, on a copy of the seed corpus.
  corpus=$work/$t/corpus
  cp -R "$here/corpus/$t" "$corpus"
  seeds=$(find "$corpus" -type f | wc -l)
  dict=()
  [[ -f $here/dict/$t.dict ]] && dict=(-dict="$here/dict/$t.dict")
  rc=0
  "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    "${dict[@]}" -artifact_prefix="$findings/" "$corpus" >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  found=$(find "$corpus" -type f | wc -l)
  if ((rc != 0)) || grep -Eq "$report" "$log"; then
    cp "$log" "$findings/fuzz.log"
    echo "fuzz: $t FAILED (exit $rc); log: $findings/fuzz.log" >&2
    grep -E "$report" "$log" | head -n 5 >&2 || true
    sed -n 's/.*Test unit written to \(.*\)/fuzz: input: \1/p' "$log" >&2
    failed+=("$t")
    continue
  fi
  summary+=("$(printf '%-24s clean for %4ss  %9s execs  %3d regressions  corpus %d -> %d' \
    "$t" "$seconds" "${execs:-?}" "${#regressions[@]}" "$seeds" "$found")")
done

printf 'fuzz: %s\n' "${summary[@]}"
if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  echo "fuzz: reproduce with: $build/fuzz/<target> <input>; keep the input in fuzz/regressions/<target>/" >&2
  exit 1
fi
echo "fuzz: all ${#targets[@]} targets clean"
