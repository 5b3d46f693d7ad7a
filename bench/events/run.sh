#!/usr/bin/env bash
# Pattern-matching throughput: the indexed Matcher against the naive baseline
# (matches() of every pattern, one by one), on the workloads of generate.py.
# Usage: bench/events/run.sh [seconds]   (CLOUDLET= the cloudlet binary; a release build)
# Prints one table row per workload: events/s of both and their ratio.
set -euo pipefail
cd "$(dirname "$0")/../.."
CLOUDLET=${CLOUDLET:-build/release/src/cli/cloudlet}
SECONDS_EACH=${1:-5}
DATA=${DATA:-build/bench-events}
mkdir -p "$DATA"
[ -f "$DATA/events.jsonl" ] || python3 bench/events/generate.py "$DATA"
# A naive pass over all events with 10000 rules takes about a minute: the
# naive runs there use the first 200 events (a full pass is always made).
head -200 "$DATA/events.jsonl" >"$DATA/events-200.jsonl"

bench() {  # patterns-file events-file seconds [--naive] -> events_per_s
  "$CLOUDLET" events bench-match --patterns "$1" --events "$2" --seconds "$3" ${4:-} | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["events_per_s"]))'
}

printf '%-14s %14s %14s %8s\n' workload matcher_ev/s naive_ev/s ratio
for w in 1 100 10000-exact 10000 100000; do
  fast=$(bench "$DATA/patterns-$w.jsonl" "$DATA/events.jsonl" "$SECONDS_EACH")
  case $w in
    100000) naive=- ;;  # one naive pass would take minutes
    10000*) naive=$(bench "$DATA/patterns-$w.jsonl" "$DATA/events-200.jsonl" 1 --naive) ;;
    *) naive=$(bench "$DATA/patterns-$w.jsonl" "$DATA/events.jsonl" "$SECONDS_EACH" --naive) ;;
  esac
  ratio=$([ "$naive" = - ] && echo - || python3 -c "print(f'{$fast/$naive:.1f}x')")
  printf '%-14s %14s %14s %8s\n' "$w" "$fast" "$naive" "$ratio"
done
