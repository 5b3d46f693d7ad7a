// AWS's generic constraint-error text (spec §3.3), for ValidationException:
//
//   1 validation error detected: Value '<value>' at '<path>' failed to satisfy
//   constraint: Member must have length less than or equal to <n>
//
// Each check yields one violation ("Value … constraint: …"); the message is
// `N validation error(s) detected: ` and the violations joined with "; ".
// Callers gather every member's violations first and format once, so a
// request with two bad members reads as AWS's does.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cloudlet::events {

// `value` is the echoed value as AWS renders it (a string as itself; a
// missing member as std::nullopt, which AWS writes `Value null`); past 1000
// bytes only its start is repeated, followed by "...".
std::string constraint_violation(std::optional<std::string_view> value, std::string_view path,
                                 std::string_view constraint);

// "Member must have length less than or equal to <n>" and its siblings.
std::string max_length_constraint(std::size_t n);
std::string min_length_constraint(std::size_t n);
inline constexpr std::string_view kNotNullConstraint = "Member must not be null";

// The whole ValidationException message; `violations` must not be empty.
std::string validation_message(const std::vector<std::string>& violations);

// A string's length as AWS (Java) counts it: UTF-16 code units, so a
// character outside the Basic Multilingual Plane counts 2. `s` is UTF-8.
std::size_t java_length(std::string_view s);

}  // namespace cloudlet::events
