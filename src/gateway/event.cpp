#include "gateway/event.hpp"

#include <array>
#include <atomic>
#include <cctype>
#include <ctime>
#include <random>
#include <thread>

#include "core/utf8.hpp"

namespace cloudlet::gateway {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool is_textual_content_type(std::string_view content_type) {
  std::string ct = lower(trim(content_type.substr(0, content_type.find(';'))));
  if (ct.empty()) return true;  // curl -d without a type, empty bodies
  if (ct.starts_with("text/")) return true;
  static constexpr std::string_view kTypes[] = {
      "application/json",           "application/xml",
      "application/javascript",     "application/x-www-form-urlencoded",
      "application/x-amz-json-1.0", "application/x-amz-json-1.1"};
  for (auto t : kTypes) {
    if (ct == t) return true;
  }
  return ct.ends_with("+json") || ct.ends_with("+xml");
}

functions::ProxyEvent build_event(IncomingRequest& request, const Match& match,
                                  const auth::Principal* principal, std::string_view account_id,
                                  std::string_view api_id) {
  functions::ProxyEvent e;
  const std::string_view path = request.path, query = request.query;
  e.route_key = match.route->route_key;
  e.raw_path = std::string(path);
  e.raw_query_string = std::string(query);
  std::string content_type;
  std::string user_agent;
  std::string host;
  // The event is JSON-able text: header values may carry obs-text (bytes
  // above 0x7F that RFC 9110 allows), decoded query bytes need not be UTF-8.
  for (const auto& h : request.headers) {
    std::string name = lower(h.name);
    const std::string value = utf8::sanitize(trim(h.value));
    if (name == "content-type") content_type = std::string(value);
    if (name == "user-agent") user_agent = std::string(value);
    if (name == "host") host = std::string(value);
    auto [it, inserted] = e.headers.try_emplace(std::move(name), value);
    if (!inserted) {
      it->second += ',';
      it->second += value;
    }
  }
  // Query parameters: decoded, '+' as a space (as the signature read them,
  // spec §2.3), repeats joined with ','.
  std::size_t start = 0;
  while (start < query.size()) {
    std::size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    std::string_view piece = query.substr(start, end - start);
    start = end + 1;
    if (piece.empty()) continue;
    auto eq = piece.find('=');
    std::string name = utf8::sanitize(percent_decode(piece.substr(0, eq), true));
    std::string value = eq == std::string_view::npos
                            ? std::string()
                            : utf8::sanitize(percent_decode(piece.substr(eq + 1), true));
    auto [it, inserted] = e.query_string_parameters.try_emplace(std::move(name), value);
    if (!inserted) {
      it->second += ',';
      it->second += value;
    }
  }
  for (auto& [k, v] : match.parameters) e.path_parameters[k] = utf8::sanitize(v);
  // Text that is not UTF-8 travels base64-encoded, byte for byte.
  if (is_textual_content_type(content_type) && utf8::valid(request.body)) {
    e.body = std::move(request.body);
  } else {
    e.body = base64_encode(request.body);
    e.is_base64_encoded = true;
  }
  auto& rc = e.request_context;
  rc.account_id = std::string(account_id);
  rc.api_id = std::string(api_id);
  rc.domain_name = host;
  rc.request_id = request.request_id;
  rc.route_key = e.route_key;
  rc.time = clf_time(request.time);
  rc.time_epoch =
      std::chrono::duration_cast<std::chrono::milliseconds>(request.time.time_since_epoch())
          .count();
  rc.http_method = std::string(request.method);
  rc.http_path = e.raw_path;
  rc.source_ip = request.source_ip;
  rc.user_agent = user_agent;
  if (principal != nullptr) {
    rc.iam = functions::IamIdentity{principal->access_key_id, principal->account_id,
                                    principal->user_id, principal->principal_arn};
  }
  return e;
}

namespace {
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

std::string base64_encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  auto byte = [&](std::size_t k) {
    return static_cast<unsigned>(static_cast<unsigned char>(data[k]));
  };
  for (; i + 2 < data.size(); i += 3) {
    unsigned v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += kB64[(v >> 6) & 63];
    out += kB64[v & 63];
  }
  if (i < data.size()) {
    unsigned v = byte(i) << 16;
    if (i + 1 < data.size()) v |= byte(i + 1) << 8;
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    out += i + 1 < data.size() ? kB64[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    int v = val(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return out;
}

std::string new_request_id() {
  // Per-thread generator seeded once: ids must be unique, not secret.
  thread_local std::mt19937_64 rng{std::random_device{}() ^
                                   (std::hash<std::thread::id>{}(std::this_thread::get_id()) << 1)};
  std::array<char, 11> bytes{};
  std::uint64_t a = rng();
  std::uint64_t b = rng();
  for (std::size_t i = 0; i < 8; ++i) bytes[i] = static_cast<char>(a >> (8 * i));
  for (std::size_t i = 8; i < 11; ++i) bytes[i] = static_cast<char>(b >> (8 * (i - 8)));
  return base64_encode(std::string_view(bytes.data(), bytes.size()));
}

}  // namespace cloudlet::gateway
