// Matching events against compiled Patterns (spec/eventbridge.md §2).
//
// `matches()` decides one pattern (TestEventPattern). A `Matcher` holds many
// patterns, each under a caller's key (a rule id), in one index built once:
// each rule is entered under its rarest field (or pair of exact values), an
// event's values call up the rules whose gate they satisfy, and only those
// are verified, so the cost follows the values the event holds and the rules
// they call up, not the number of rules. README.md § Patterns gives the design.
//
// Events are parsed on every call (simdjson DOM, which validates the whole
// text): malformed JSON, or a top-level value that is not an object, matches
// nothing.
//
// Thread safety: a Matcher is immutable once built; match() is const and
// safe from any number of threads, each passing its own MatchScratch (or
// none). A MatcherBuilder is single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "events/pattern.hpp"

namespace cloudlet::events {

// Reusable per-thread buffers (the JSON parser, the event's flattened
// values), so a hot loop does not allocate on every event. Not shareable
// between concurrent calls.
class MatchScratch {
 public:
  MatchScratch();
  ~MatchScratch();
  MatchScratch(MatchScratch&&) noexcept;
  MatchScratch& operator=(MatchScratch&&) noexcept;

  struct Impl;

 private:
  friend class Matcher;
  friend bool matches(const Pattern&, std::string_view, MatchScratch&);
  std::unique_ptr<Impl> impl_;
};

class Matcher {
 public:
  Matcher();  // empty: matches nothing

  // Replaces `matched_keys` with the key of every pattern the event matches,
  // each once, in ascending order.
  void match(std::string_view event_json, std::vector<std::uint32_t>& matched_keys,
             MatchScratch& scratch) const;
  void match(std::string_view event_json, std::vector<std::uint32_t>& matched_keys) const;

  std::size_t size() const;  // patterns added

  struct Index;

 private:
  friend class MatcherBuilder;
  std::shared_ptr<const Index> index_;
};

class MatcherBuilder {
 public:
  MatcherBuilder();
  ~MatcherBuilder();
  MatcherBuilder(MatcherBuilder&&) noexcept;
  MatcherBuilder& operator=(MatcherBuilder&&) noexcept;

  // Adds a pattern under `key`. A key may be added more than once: it matches
  // when any of its patterns does.
  void add(std::uint32_t key, const Pattern& pattern);
  // Cost: linear in the total size of the patterns added.
  Matcher build() &&;

 private:
  std::unique_ptr<Matcher::Index> index_;
};

// Whether `event_json` matches `pattern`, by walking the pattern's fields
// directly (no index). Cost: the event's parse plus the pattern's size
// times the values at its paths.
bool matches(const Pattern& pattern, std::string_view event_json, MatchScratch& scratch);
bool matches(const Pattern& pattern, std::string_view event_json);

}  // namespace cloudlet::events
