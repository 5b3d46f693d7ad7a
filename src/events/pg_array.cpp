#include "events/pg_array.hpp"

namespace cloudlet::events {

void ArrayLiteral::separate() {
  if (text_.size() > 1) text_.push_back(',');
}

void ArrayLiteral::add(std::string_view element) {
  separate();
  text_.reserve(text_.size() + element.size() + 2);
  text_.push_back('"');
  for (char c : element) {
    if (c == '"' || c == '\\') text_.push_back('\\');
    text_.push_back(c);
  }
  text_.push_back('"');
}

void ArrayLiteral::add(std::optional<std::string_view> element) {
  if (element) {
    add(*element);
    return;
  }
  separate();
  text_.append("NULL", 4);
}

void ArrayLiteral::add(std::int64_t number) {
  separate();
  text_.append(std::to_string(number));
}

std::string ArrayLiteral::take() {
  text_.push_back('}');
  std::string out;
  out.swap(text_);
  text_.push_back('{');
  return out;
}

std::string text_array(const std::vector<std::string>& elements) {
  ArrayLiteral literal;
  for (const std::string& e : elements) literal.add(std::string_view(e));
  return literal.take();
}

std::string bigint_array(const std::vector<std::int64_t>& numbers) {
  ArrayLiteral literal;
  for (std::int64_t n : numbers) literal.add(n);
  return literal.take();
}

}  // namespace cloudlet::events
