#include "events/names.hpp"

#include <algorithm>

namespace cloudlet::events {

namespace {

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_';
}

bool digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// arn:aws[-partition]:events:<region>:<12 digits>:event-bus/<name>: the
// name, or nullopt for anything else.
std::optional<std::string_view> bus_name_in_arn(std::string_view arn) {
  std::string_view fields[5];
  std::string_view rest = arn;
  for (auto& field : fields) {
    auto colon = rest.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    field = rest.substr(0, colon);
    rest.remove_prefix(colon + 1);
  }
  const auto& [arn_word, partition, service, region, account] = fields;
  if (arn_word != "arn" || !partition.starts_with("aws") || service != "events" || region.empty() ||
      account.size() != 12 || !digits(account) || !rest.starts_with("event-bus/")) {
    return std::nullopt;
  }
  return rest.substr(10);
}

}  // namespace

bool valid_rule_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxRuleNameLength &&
         std::all_of(name.begin(), name.end(), name_char);
}

bool valid_bus_name_chars(std::string_view name) {
  return !name.empty() &&
         std::all_of(name.begin(), name.end(), [](char c) { return c == '/' || name_char(c); });
}

std::optional<std::string> resolve_bus_name(std::optional<std::string_view> name_or_arn) {
  if (!name_or_arn) return std::string(kDefaultBus);
  std::string_view given = *name_or_arn;
  if (given.starts_with("arn:")) {
    auto name = bus_name_in_arn(given);
    if (!name || !valid_bus_name_chars(*name)) return std::nullopt;
    return std::string(*name);
  }
  if (!valid_bus_name_chars(given)) return std::nullopt;
  return std::string(given);
}

std::string bus_arn(std::string_view region, std::string_view account, std::string_view bus) {
  std::string out = "arn:aws:events:";
  out.append(region).append(":").append(account).append(":event-bus/").append(bus);
  return out;
}

std::string rule_arn(std::string_view region, std::string_view account, std::string_view bus,
                     std::string_view rule) {
  std::string out = "arn:aws:events:";
  out.append(region).append(":").append(account).append(":rule/");
  if (bus != kDefaultBus) out.append(bus).append("/");
  out.append(rule);
  return out;
}

}  // namespace cloudlet::events
