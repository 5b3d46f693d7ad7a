// EventBridge event patterns (events::parse_pattern, src/events/pattern.hpp)
// and the two matchers (src/events/matcher.hpp) on arbitrary bytes.
//
// Input: a pattern, a NUL byte, an event (both JSON text; without a NUL the
// pattern is matched against itself as the event).
//
// Invariants: a rejected pattern is kInvalidArgument; for a valid one,
// matches() (a direct walk of the pattern) and a one-pattern Matcher (the
// per-path index) agree, and a Matcher holding the pattern beside decoys
// reports its key exactly then.
#include <algorithm>
#include <cstdint>
#include <string_view>
#include <vector>

#include "events/matcher.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace cloudlet;

struct Fixture {
  std::vector<events::Pattern> decoys;

  Fixture() {
    for (const char* text : {R"({"a":[{"exists":false}]})", R"({"source":[{"prefix":""}]})",
                             R"({"detail":{"x":[{"numeric":[">",0]}]}})",
                             R"({"$or":[{"a":["x"]},{"b":[{"anything-but":1}]}]})"}) {
      auto p = events::parse_pattern(text);
      FUZZ_CHECK(p.ok());
      decoys.push_back(std::move(*p));
    }
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Fixture fixture;
  const std::string_view input = fuzz::bytes(data, size);
  std::string_view event = input;
  const std::string_view pattern_text = fuzz::cut(event, '\0');
  if (event.size() == 0 && input.find('\0') == std::string_view::npos) event = pattern_text;

  auto parsed = events::parse_pattern(pattern_text);
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.error().code == ErrorCode::kInvalidArgument);
    return 0;
  }
  const events::Pattern& pattern = *parsed;
  const bool alone = events::matches(pattern, event);

  events::MatcherBuilder one;
  one.add(1, pattern);
  const events::Matcher single = std::move(one).build();
  std::vector<std::uint32_t> keys;
  single.match(event, keys);
  FUZZ_CHECK(keys.size() == (alone ? 1u : 0u));

  events::MatcherBuilder many;
  for (std::uint32_t i = 0; i < fixture.decoys.size(); ++i) many.add(10 + i, fixture.decoys[i]);
  many.add(1, pattern);
  const events::Matcher mixed = std::move(many).build();
  mixed.match(event, keys);
  FUZZ_CHECK((!keys.empty() && keys.front() == 1) == alone);
  for (std::uint32_t i = 0; i < fixture.decoys.size(); ++i) {
    const bool decoy = events::matches(fixture.decoys[i], event);
    FUZZ_CHECK(std::binary_search(keys.begin(), keys.end(), 10 + i) == decoy);
  }
  return 0;
}
