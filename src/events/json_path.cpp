#include "events/json_path.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <limits>
#include <utility>

namespace cloudlet::events {

namespace {

bool ends_name(char c) {
  const auto u = static_cast<unsigned char>(c);
  return c == '.' || c == '[' || c == ']' || c == '*' || u <= 0x20 || u == 0x7f;
}

Error bad_path(std::string_view text, std::string_view why) {
  return Error::invalid_argument("JSONPath '" + std::string(text) + "' " + std::string(why));
}

}  // namespace

Result<JsonPath> JsonPath::parse(std::string_view text) {
  JsonPath path;
  path.text_ = std::string(text);
  if (text.empty() || text.front() != '$') return bad_path(text, "does not start with $");
  std::size_t i = 1;
  while (i < text.size()) {
    if (text[i] == '.') {
      const std::size_t start = ++i;
      while (i < text.size() && !ends_name(text[i])) ++i;
      if (i == start) return bad_path(text, "has an empty member name");
      path.steps_.emplace_back(std::string(text.substr(start, i - start)));
    } else if (text[i] == '[') {
      const std::size_t start = ++i;
      std::size_t index = 0;
      while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
        const auto digit = static_cast<std::size_t>(text[i] - '0');
        if (index > (std::numeric_limits<std::size_t>::max() - digit) / 10) {
          return bad_path(text, "has an index that is too large");
        }
        index = index * 10 + digit;
        ++i;
      }
      if (i == start) return bad_path(text, "has a bracket that is not an array index");
      if (text[start] == '0' && i - start > 1)
        return bad_path(text, "has an index with a leading zero");
      if (i >= text.size() || text[i] != ']') return bad_path(text, "has an unclosed bracket");
      ++i;
      path.steps_.emplace_back(index);
    } else {
      return bad_path(text, "has a character that is neither . nor [ after a step");
    }
  }
  return path;
}

const boost::json::value* JsonPath::find(const boost::json::value& root) const {
  const boost::json::value* at = &root;
  for (const Step& step : steps_) {
    if (const auto* name = std::get_if<std::string>(&step)) {
      const auto* object = at->if_object();
      if (object == nullptr) return nullptr;
      at = object->if_contains(*name);
    } else {
      const auto* array = at->if_array();
      const std::size_t index = std::get<std::size_t>(step);
      if (array == nullptr || index >= array->size()) return nullptr;
      at = &(*array)[index];
    }
    if (at == nullptr) return nullptr;
  }
  return at;
}

}  // namespace cloudlet::events
