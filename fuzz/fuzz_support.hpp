// Helpers shared by the fuzz targets (fuzz/README.md): an invariant check
// that reports and aborts, so libFuzzer saves the input as a crash; the
// raw-HTTP text framing the SigV4 conformance data uses; and the checks every
// parsed request target must pass.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/canonical.hpp"
#include "auth/sigv4.hpp"
#include "http/target.hpp"

namespace cloudlet::fuzz {

[[noreturn]] inline void invariant_failed(const char* file, int line, const char* what) {
  std::fprintf(stderr, "fuzz invariant failed at %s:%d: %s\n", file, line, what);
  std::abort();
}

// Like assert(), but on in every build: a broken invariant is a finding.
#define FUZZ_CHECK(cond) \
  ((cond) ? static_cast<void>(0) : ::cloudlet::fuzz::invariant_failed(__FILE__, __LINE__, #cond))

// FUZZ_SKIP_OPEN_FINDINGS=1 (for long runs by hand, never in the suite):
// checks whose failure is an open finding of fuzz/README.md step aside, so
// the fuzzer looks for new ones instead of the same one again.
inline bool skip_open_findings() {
  static const bool skip = std::getenv("FUZZ_SKIP_OPEN_FINDINGS") != nullptr;
  return skip;
}

inline std::string_view bytes(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Cuts `text` at the first `sep`: the part before it, and `text` keeps the
// rest (empty when there is no `sep`).
inline std::string_view cut(std::string_view& text, char sep) {
  const std::size_t at = text.find(sep);
  std::string_view head = text.substr(0, at);
  text.remove_prefix(at == std::string_view::npos ? text.size() : at + 1);
  return head;
}

// A raw HTTP/1.1 request as the conformance data writes it (cases.jsonl's
// "request", clients/*.http), parsed leniently into what the verifier takes:
// LF or CRLF line ends, `name:value` headers, obs-fold continuation lines
// appended to the previous value after "\n", then the body. With
// `Transfer-Encoding: chunked` the chunk framing is removed (a malformed
// chunk ends the body). Nothing here is the code under test: it only frames
// the fuzzer's bytes.
struct RawRequest {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> header_storage;
  std::vector<auth::HeaderField> headers;  // views into header_storage
  std::string body;

  RawRequest() = default;
  RawRequest(const RawRequest&) = delete;
  RawRequest& operator=(const RawRequest&) = delete;

  void rebuild_views() {
    headers.clear();
    for (const auto& [name, value] : header_storage) headers.push_back({name, value});
  }
};

inline std::string_view next_line(std::string_view& raw) {
  std::string_view line = cut(raw, '\n');
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

inline void parse_raw_request(std::string_view raw, RawRequest& r) {
  std::string_view request_line = next_line(raw);
  r.method = std::string(cut(request_line, ' '));
  const std::size_t version = request_line.rfind(' ');
  r.target = std::string(version == std::string_view::npos ? request_line
                                                           : request_line.substr(0, version));
  while (!raw.empty()) {
    const std::string_view line = next_line(raw);
    if (line.empty()) break;
    if ((line[0] == ' ' || line[0] == '\t') && !r.header_storage.empty()) {
      r.header_storage.back().second += "\n";
      r.header_storage.back().second += line;
      continue;
    }
    std::string_view value = line;
    const std::string_view name = cut(value, ':');
    r.header_storage.emplace_back(std::string(name), std::string(value));
  }
  bool chunked = false;
  for (const auto& [name, value] : r.header_storage) {
    if (auth::iequals(name, "transfer-encoding") && value.find("chunked") != std::string::npos) {
      chunked = true;
    }
  }
  if (!chunked) {
    r.body = std::string(raw);
  } else {
    while (!raw.empty()) {
      const std::string_view size_line = next_line(raw);
      std::size_t size = 0;
      std::size_t digits = 0;
      for (char c : size_line) {
        int v = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (v < 0) break;
        if (++digits > 8) break;
        size = size * 16 + static_cast<std::size_t>(v);
      }
      if (digits == 0 || size == 0 || size > raw.size()) break;
      r.body.append(raw.substr(0, size));
      raw.remove_prefix(size);
      next_line(raw);
    }
  }
  r.rebuild_views();
}

// What http/target.hpp promises of every target it accepts. Returns the
// target so callers can go on with it. Controls, space and DEL never reach
// parse_target (Beast's request-line parser refuses them), so a target that
// holds one is not its to judge and is skipped.
inline std::optional<http::Target> checked_parse_target(std::string_view raw) {
  for (char ch : raw) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f) return std::nullopt;
  }
  auto parsed = http::parse_target(raw);
  if (!parsed.ok()) return std::nullopt;
  const http::Target& t = *parsed;
  FUZZ_CHECK(!t.path.empty() && t.path.front() == '/');
  for (char ch : t.path) {
    const auto c = static_cast<unsigned char>(ch);
    FUZZ_CHECK(c > 0x20 && c < 0x7f);
    FUZZ_CHECK(c != '#' && c != '?');
  }
  for (char ch : t.query) {
    const auto c = static_cast<unsigned char>(ch);
    FUZZ_CHECK(c > 0x20 && c < 0x7f);
    FUZZ_CHECK(c != '#');
  }
  // No empty, `.` or `..` segments: the routed path is the normalised one.
  FUZZ_CHECK(t.path.find("//") == std::string::npos);
  std::string_view rest = std::string_view(t.path).substr(1);
  while (!rest.empty()) {
    const std::string_view segment = cut(rest, '/');
    FUZZ_CHECK(segment != "." && segment != "..");
  }
  // The query is the raw bytes after the first '?'.
  const std::size_t q = raw.find('?');
  FUZZ_CHECK(t.query == (q == std::string_view::npos ? std::string_view() : raw.substr(q + 1)));
  // Parsing is idempotent: the parsed form parses to itself.
  std::string again = t.path;
  if (q != std::string_view::npos) again += "?" + t.query;
  auto reparsed = http::parse_target(again);
  FUZZ_CHECK(reparsed.ok());
  FUZZ_CHECK(reparsed->path == t.path && reparsed->query == t.query);
  return std::move(*parsed);
}

}  // namespace cloudlet::fuzz
