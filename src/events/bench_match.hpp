// The pattern-matching benchmark behind `cloudlet events bench-match`
// (bench/events/run.sh). Not pure: it reads two files and the clock.
//
// patterns_path: one `{"name": "...", "pattern": {...}}` per line.
// events_path: one event (a JSON object) per line.
// Every pattern is compiled into one Matcher, then the events are handed to
// it as JSON text (parsing counted), on this thread, for `seconds`.
// `naive` is the baseline: matches() of every pattern, one by one.
#pragma once

#include <string>

#include "core/result.hpp"

namespace cloudlet::events {

struct BenchMatchOptions {
  std::string patterns_path, events_path;
  double seconds = 5;
  bool naive = false;
};

// The one JSON line {"patterns": N, "events": M, "passes": P,
// "events_per_s": X, "matches_per_pass": K}, K being the (event, pattern)
// pairs matched in one pass over the events. Errors: kInvalidArgument for an
// unreadable file, a bad line or an invalid pattern (naming its line).
Result<std::string> run_bench_match(const BenchMatchOptions& options);

}  // namespace cloudlet::events
