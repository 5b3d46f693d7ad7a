#include "events/target_arn.hpp"

#include <algorithm>
#include <charconv>
#include <optional>

namespace cloudlet::events {

namespace {

// The ARN's six parts: arn:partition:service:region:account:resource (the
// resource keeps any further ':').
struct ArnParts {
  std::string_view partition, service, region, account, resource;
};

std::optional<ArnParts> split_arn(std::string_view arn) {
  std::string_view fields[5];
  std::string_view rest = arn;
  for (auto& field : fields) {
    auto colon = rest.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    field = rest.substr(0, colon);
    rest.remove_prefix(colon + 1);
  }
  if (fields[0] != "arn") return std::nullopt;
  return ArnParts{fields[1], fields[2], fields[3], fields[4], rest};
}

bool host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_';
}

std::optional<std::uint16_t> parse_port(std::string_view s) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || value == 0 || value > 65535)
    return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

// server/<host>:<port>, host a DNS name or an IPv4 address.
std::optional<UserManagementTarget> usermgmt_server(std::string_view resource) {
  if (!resource.starts_with("server/")) return std::nullopt;
  std::string_view address = resource.substr(7);
  auto colon = address.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string_view host = address.substr(0, colon);
  if (!std::all_of(host.begin(), host.end(), host_char)) return std::nullopt;
  auto port = parse_port(address.substr(colon + 1));
  if (!port) return std::nullopt;
  return UserManagementTarget{std::string(host), *port};
}

// function:<name>[:<qualifier>], names as Lambda allows them.
std::optional<FunctionTarget> function_name(std::string_view resource) {
  if (!resource.starts_with("function:")) return std::nullopt;
  std::string_view name = resource.substr(9);
  name = name.substr(0, name.find(':'));
  if (name.empty() || name.size() > 64 || !std::all_of(name.begin(), name.end(), host_char))
    return std::nullopt;
  return FunctionTarget{std::string(name)};
}

// url/http://host[:port][/path]: plain HTTP only (the targets live on
// loopback or a private network; TLS is the proxy's job).
std::optional<HttpTarget> http_url(std::string_view resource) {
  if (!resource.starts_with("url/http://")) return std::nullopt;
  std::string_view url = resource.substr(4);
  std::string_view authority = url.substr(7);
  authority = authority.substr(0, authority.find('/'));
  if (authority.empty()) return std::nullopt;
  if (std::any_of(url.begin(), url.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; }))
    return std::nullopt;
  return HttpTarget{std::string(url)};
}

Error unsupported(std::string_view arn) {
  return Error::invalid_argument("Target Arn " + std::string(arn.substr(0, 256)) +
                                 " is not a target cloudlet can deliver to.");
}

}  // namespace

Result<TargetKind> parse_target_arn(std::string_view arn) {
  auto parts = split_arn(arn);
  if (!parts) return unsupported(arn);
  if (parts->partition == "cloudlet" && parts->service == "usermgmt") {
    if (auto server = usermgmt_server(parts->resource)) return TargetKind(std::move(*server));
  } else if (parts->partition == "cloudlet" && parts->service == "http") {
    if (auto url = http_url(parts->resource)) return TargetKind(std::move(*url));
  } else if (parts->partition == "aws" && parts->service == "ssm") {
    if (parts->resource == "document/AWS-RunShellScript")
      return TargetKind(RunCommandTarget{"AWS-RunShellScript"});
  } else if (parts->partition == "aws" && parts->service == "lambda") {
    if (auto function = function_name(parts->resource)) return TargetKind(std::move(*function));
  }
  return unsupported(arn);
}

std::string_view target_kind_name(const TargetKind& kind) {
  struct Name {
    std::string_view operator()(const UserManagementTarget&) const { return "usermgmt"; }
    std::string_view operator()(const RunCommandTarget&) const { return "run-command"; }
    std::string_view operator()(const FunctionTarget&) const { return "function"; }
    std::string_view operator()(const HttpTarget&) const { return "http"; }
  };
  return std::visit(Name{}, kind);
}

}  // namespace cloudlet::events
