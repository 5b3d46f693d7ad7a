#include "events/json_text.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <system_error>

namespace cloudlet::events {

namespace {

// Java's Double.toString shape, as Jackson writes doubles: plain decimals
// for magnitudes in [1e-3, 1e7) (`100000.0`, `0.001`), else a mantissa and
// an exponent (`1.0E7`, `1.5E-5`); always the shortest digits that read back
// to the same double.
void append_double(std::string& out, double d) {
  if (std::isinf(d)) {
    out += d < 0 ? "-1e999" : "1e999";
    return;
  }
  const double magnitude = std::fabs(d);
  const bool plain = magnitude == 0 || (magnitude >= 1e-3 && magnitude < 1e7);
  char buf[64];
  const auto [end, ec] = std::to_chars(
      buf, buf + sizeof buf, d, plain ? std::chars_format::fixed : std::chars_format::scientific);
  if (ec != std::errc()) {  // cannot happen for a finite double and 64 bytes
    out += "null";
    return;
  }
  const std::string_view text(buf, static_cast<std::size_t>(end - buf));
  const std::size_t e = text.find('e');
  const std::string_view mantissa = text.substr(0, e);
  out += mantissa;
  if (mantissa.find('.') == std::string_view::npos) out += ".0";
  if (e != std::string_view::npos) {
    std::string_view exponent = text.substr(e + 1);
    out += 'E';
    if (exponent.front() == '+') exponent.remove_prefix(1);
    if (exponent.front() == '-') {
      out += '-';
      exponent.remove_prefix(1);
    }
    while (exponent.size() > 1 && exponent.front() == '0') exponent.remove_prefix(1);
    out += exponent;
  }
}

template <class Integer>
void append_integer(std::string& out, Integer i) {
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, i);
  (void)ec;  // 32 bytes hold every 64-bit integer
  out.append(buf, end);
}

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

void append_json(std::string& out, const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::null:
      out += "null";
      break;
    case boost::json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      break;
    case boost::json::kind::int64:
      append_integer(out, v.get_int64());
      break;
    case boost::json::kind::uint64:
      append_integer(out, v.get_uint64());
      break;
    case boost::json::kind::double_:
      append_double(out, v.get_double());
      break;
    case boost::json::kind::string:
      append_json_string(out, v.get_string());
      break;
    case boost::json::kind::array: {
      out += '[';
      bool first = true;
      for (const auto& element : v.get_array()) {
        if (!first) out += ',';
        first = false;
        append_json(out, element);
      }
      out += ']';
      break;
    }
    case boost::json::kind::object: {
      out += '{';
      bool first = true;
      for (const auto& member : v.get_object()) {
        if (!first) out += ',';
        first = false;
        append_json_string(out, member.key());
        out += ':';
        append_json(out, member.value());
      }
      out += '}';
      break;
    }
  }
}

std::string to_json(const boost::json::value& v) {
  std::string out;
  append_json(out, v);
  return out;
}

std::string format_event_time(std::chrono::sys_seconds t) {
  const auto day = std::chrono::floor<std::chrono::days>(t);
  const std::chrono::year_month_day ymd{day};
  const std::chrono::hh_mm_ss hms{t - day};
  char buf[64];
  const int n =
      std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                    static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                    static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                    static_cast<int>(hms.seconds().count()));
  return std::string(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
}

}  // namespace cloudlet::events
