// The JSONPath subset EventBridge takes in InputPath and InputPathsMap
// (spec §5.1, §5.2): `$` (the whole event), then any number of `.name`
// (dot notation) and `[index]` steps: `$.detail`, `$.detail-type`,
// `$.detail.a.b`, `$.resources[0]`, `$.detail.list[2].x`.
//
// AWS documents "JSON dot notation, not bracket notation": there is no
// `$['a b']`, no wildcard `*`, no `..`, no filters, no slices. A name is any
// run of characters other than `.`, `[`, `]`, `*` and white space (event keys such
// as `detail-type` or `aws:region` must work); an index is a decimal number
// without leading zeros. Parsed once (at PutTargets) into a JsonPath that can
// only hold a valid path; evaluation then cannot fail, only find nothing.
//
// Pure; thread-safe. Cost: evaluation is one object lookup (linear in the
// object's size) or one array index per step.
#pragma once

#include <boost/json/value.hpp>
#include <cstddef>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/result.hpp"

namespace cloudlet::events {

class JsonPath {
 public:
  using Step = std::variant<std::string, std::size_t>;  // member name, array index

  // kInvalidArgument naming what is wrong when `text` is not in the subset.
  static Result<JsonPath> parse(std::string_view text);

  // The value the path points at, or nullptr when the event has no such
  // member or element (or a step meets a value of the wrong kind).
  const boost::json::value* find(const boost::json::value& root) const;

  const std::string& text() const { return text_; }
  const std::vector<Step>& steps() const { return steps_; }

 private:
  std::string text_;
  std::vector<Step> steps_;
};

}  // namespace cloudlet::events
