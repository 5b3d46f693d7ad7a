// EventBridge event patterns (spec/eventbridge.md §2), parsed and validated
// once into an immutable Pattern that can only hold a valid pattern.
//
// A Pattern is a disjunction of Alternatives ($or expanded): an event matches
// when some alternative matches. An alternative is a conjunction of Fields;
// a field is a dot-joined path and the OR-ed conditions of its leaf array.
// The matchers (matcher.hpp) take only this form.
//
// Pure: no I/O, no state. Thread safety: a Pattern is immutable; share it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace cloudlet::events {

// `*` runs between literal segments: "a*b*" is {"a","b",""}. A value matches
// when it starts with the first segment, ends with the last, and holds the
// middle ones in order between them.
struct Wildcard {
  std::vector<std::string> segments;  // at least one; size() - 1 stars
};

struct NumericRange {
  double low = 0;  // used when has_low
  double high = 0;
  bool has_low = false, low_inclusive = false;
  bool has_high = false, high_inclusive = false;
};

struct CidrBlock {
  bool v6 = false;
  std::array<std::uint8_t, 16> address{};  // network bits, IPv4 in the first 4 bytes
  int mask_bits = 0;
};

enum class AnythingButKind {
  kStrings,     // not one of `strings`
  kNumbers,     // not a number equal to one of `numbers`
  kPrefixes,    // not a string starting with one of `strings`
  kSuffixes,    // not a string ending with one of `strings`
  kIgnoreCase,  // not a string equal, ignoring case, to one of `strings` (kept folded)
  kWildcards,   // not a string matching one of `wildcards`
};

enum class Op {
  kExactString,  // text
  kExactNumber,  // number
  kNull,
  kTrue,
  kFalse,
  kPrefix,            // text
  kPrefixIgnoreCase,  // text, folded
  kSuffix,            // text
  kSuffixIgnoreCase,  // text, folded
  kEqualsIgnoreCase,  // text, folded
  kWildcard,          // wildcard
  kNumeric,           // range
  kExistsTrue,
  kExistsFalse,
  kCidr,         // cidr
  kAnythingBut,  // but_kind with strings / numbers / wildcards
};

struct Condition {
  Op op = Op::kNull;
  std::string text;
  double number = 0;
  Wildcard wildcard;
  NumericRange range;
  CidrBlock cidr;
  AnythingButKind but_kind = AnythingButKind::kStrings;
  std::vector<std::string> strings;
  std::vector<double> numbers;
  std::vector<Wildcard> wildcards;
};

struct Field {
  std::string path;                   // keys joined with '.'
  std::vector<Condition> conditions;  // OR-ed; never empty
  bool has_exists_false() const;
};

struct Alternative {
  std::vector<Field> fields;  // AND-ed; never empty; sorted by path
};

class Pattern {
 public:
  const std::vector<Alternative>& alternatives() const { return alternatives_; }

 private:
  friend Result<Pattern> parse_pattern(std::string_view json, std::size_t max_chars);
  std::vector<Alternative> alternatives_;
};

// AWS's maximum EventPattern length (the service model's limit); the API
// layer checks its own, lower, setting (events.max_event_pattern_chars) first.
inline constexpr std::size_t kMaxPatternChars = 4096;
// Expanding every $or may give at most this many alternatives (spec §2.6).
inline constexpr std::size_t kMaxOrCombinations = 1000;
// More `*` than this in one wildcard value is "Rule is too complex".
inline constexpr std::size_t kMaxWildcardStars = 5;

// Parses and validates an EventPattern. Errors are kInvalidArgument with AWS's
// InvalidEventPatternException message ("Event pattern is not valid. Reason:
// <reason>", first line only), or, for a text longer than `max_chars` UTF-16
// code units, AWS's ValidationException length text for member eventPattern.
// Cost: linear in the text, plus the $or expansion (at most 1000 alternatives).
Result<Pattern> parse_pattern(std::string_view json, std::size_t max_chars = kMaxPatternChars);

// Lower-cases `s` for the ignore-case operators: ASCII, Latin-1, Latin
// Extended-A, Greek and Cyrillic capitals (simple, length-preserving mappings;
// spec §8 leaves AWS's folding unconfirmed). Invalid UTF-8 passes unchanged.
std::string fold_case(std::string_view s);

// True when the whole of `value` matches `wildcard`.
bool wildcard_matches(const Wildcard& wildcard, std::string_view value);

// Parses an IPv4 dotted quad or an IPv6 literal (with `::`, leading zeros,
// an embedded dotted quad) and tells whether it lies in `block`.
bool cidr_contains(const CidrBlock& block, std::string_view address);

}  // namespace cloudlet::events
