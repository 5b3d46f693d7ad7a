#include "events/bench_match.hpp"

#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <vector>

#include "events/matcher.hpp"

namespace cloudlet::events {

namespace {

Result<std::vector<std::string>> read_lines(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Error::invalid_argument("cannot read " + path);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

}  // namespace

Result<std::string> run_bench_match(const BenchMatchOptions& options) {
  auto pattern_lines = read_lines(options.patterns_path);
  if (!pattern_lines.ok()) return pattern_lines.error();
  auto events = read_lines(options.events_path);
  if (!events.ok()) return events.error();
  if (events->empty()) return Error::invalid_argument("no events in " + options.events_path);

  std::vector<Pattern> patterns;
  MatcherBuilder builder;
  for (std::size_t i = 0; i < pattern_lines->size(); ++i) {
    const std::string where = options.patterns_path + " line " + std::to_string(i + 1);
    std::error_code ec;
    const boost::json::value line = boost::json::parse((*pattern_lines)[i], ec);
    const boost::json::value* pattern =
        ec || !line.is_object() ? nullptr : line.get_object().if_contains("pattern");
    if (pattern == nullptr) return Error::invalid_argument(where + ": no \"pattern\"");
    auto parsed = parse_pattern(boost::json::serialize(*pattern));
    if (!parsed.ok()) return Error::invalid_argument(where + ": " + parsed.error().message);
    builder.add(static_cast<std::uint32_t>(i), *parsed);
    patterns.push_back(std::move(*parsed));
  }
  const Matcher matcher = std::move(builder).build();

  MatchScratch scratch;
  std::vector<std::uint32_t> keys;
  // One event's matched pairs, by whichever matcher is measured.
  auto run_one = [&](const std::string& event) -> std::size_t {
    if (!options.naive) {
      matcher.match(event, keys, scratch);
      return keys.size();
    }
    std::size_t n = 0;
    for (const Pattern& p : patterns) n += matches(p, event, scratch) ? 1u : 0u;
    return n;
  };

  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto budget = std::chrono::duration<double>(options.seconds);
  std::uint64_t done = 0;
  std::size_t matches_per_pass = 0;
  do {
    const std::size_t n = run_one((*events)[done % events->size()]);
    if (done < events->size()) matches_per_pass += n;
    ++done;
  } while (done < events->size() || Clock::now() - start < budget);
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();

  boost::json::object out;
  out["patterns"] = patterns.size();
  out["events"] = events->size();
  out["passes"] = done / events->size();
  out["events_per_s"] = static_cast<double>(done) / elapsed;
  out["matches_per_pass"] = matches_per_pass;
  return boost::json::serialize(out);
}

}  // namespace cloudlet::events
