// PostgreSQL array literals for text-format query parameters.
//
// The pool sends parameters as text, so a batch of rows goes to the server as
// one array per column (`unnest($1::text[], $2::bigint[], ...)`): one
// statement, one round trip and one commit however many rows there are.
// Pure functions; the escaping follows PostgreSQL's array input syntax
// (elements double-quoted, `"` and `\` backslash-escaped, unquoted NULL).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cloudlet::events {

// Builds a text[] literal one element at a time, without copying elements
// into an intermediate vector.
class ArrayLiteral {
 public:
  void add(std::string_view element);
  void add(std::optional<std::string_view> element);  // nullopt is SQL NULL
  void add(std::int64_t number);
  // The literal; the builder is left empty.
  std::string take();

 private:
  void separate();
  std::string text_ = "{";
};

std::string text_array(const std::vector<std::string>& elements);
std::string bigint_array(const std::vector<std::int64_t>& numbers);

}  // namespace cloudlet::events
