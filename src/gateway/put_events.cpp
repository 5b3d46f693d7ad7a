#include "gateway/put_events.hpp"

#include <boost/beast/core/string.hpp>
#include <boost/json.hpp>

namespace cloudlet::gateway {

namespace json = boost::json;

namespace {

constexpr std::string_view kBody = "$request.body.";
constexpr std::string_view kHeader = "$request.header.";

// The body's value at a dotted path, or null.
const json::value* at_path(const json::value& root, std::string_view path) {
  const json::value* v = &root;
  while (!path.empty()) {
    auto dot = path.find('.');
    std::string_view key = path.substr(0, dot);
    const json::object* o = v->if_object();
    if (o == nullptr) return nullptr;
    v = o->if_contains(key);
    if (v == nullptr) return nullptr;
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
  }
  return v;
}

}  // namespace

Status check_parameter_selector(std::string_view value) {
  if (!value.starts_with("$")) return {};
  for (std::string_view prefix : {kBody, kHeader}) {
    if (value.starts_with(prefix)) {
      std::string_view name = value.substr(prefix.size());
      if (name.empty() || name.starts_with('.') || name.ends_with('.') ||
          name.find("..") != std::string_view::npos) {
        return Error::invalid_argument("selector '" + std::string(value) + "' names nothing");
      }
      return {};
    }
  }
  return Error::invalid_argument("selector '" + std::string(value) +
                                 "' must be $request.body.<path> or $request.header.<name>");
}

Result<std::string> put_events_request(const Integration& integration, const PutEventsInput& in) {
  std::optional<json::value> body;  // parsed on first use
  bool body_parsed = false;
  json::object entry;
  for (const auto& [member, selector] : integration.request_parameters) {
    std::optional<json::value> value;
    if (selector.starts_with(kBody)) {
      if (!body_parsed) {
        body_parsed = true;
        boost::system::error_code ec;
        json::value parsed = json::parse(in.body, ec);
        if (!ec) body = std::move(parsed);
      }
      if (body) {
        if (const json::value* v = at_path(*body, std::string_view(selector).substr(kBody.size())))
          value = *v;
      }
    } else if (selector.starts_with(kHeader)) {
      std::string_view name = std::string_view(selector).substr(kHeader.size());
      if (in.headers != nullptr) {
        for (const auto& [k, v] : *in.headers) {
          if (boost::beast::iequals(k, name)) {
            value = json::string(v);
            break;
          }
        }
      }
    } else {
      value = json::string(selector);
    }
    if (!value || value->is_null()) {
      return Error::invalid_argument("request parameter " + member + ": " + selector +
                                     " is missing from the request");
    }
    if (member == "Resources") {
      json::array resources;
      if (value->is_array()) {
        for (const auto& r : value->get_array()) {
          if (!r.is_string())
            return Error::invalid_argument("request parameter Resources must be strings");
          resources.push_back(r);
        }
      } else {
        resources.push_back(value->is_string() ? *value : json::value(json::serialize(*value)));
      }
      entry[member] = std::move(resources);
    } else {
      entry[member] = value->is_string() ? *value : json::value(json::serialize(*value));
    }
  }
  json::object request;
  request["Entries"] = json::array{std::move(entry)};
  return json::serialize(request);
}

}  // namespace cloudlet::gateway
