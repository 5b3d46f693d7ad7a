#include "functions/contacts.hpp"

#include <array>
#include <charconv>
#include <cstdio>

namespace cloudlet::functions {

namespace {

using std::chrono::days;
using std::chrono::microseconds;

// Reads exactly `width` decimal digits at `pos`.
std::optional<int> digits(std::string_view s, std::size_t pos, std::size_t width) {
  if (pos + width > s.size()) return std::nullopt;
  int v = 0;
  for (std::size_t i = pos; i < pos + width; ++i) {
    char c = s[i];
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::optional<Timestamp> make_time(int y, int mo, int d, int h, int mi, int se, long long micros) {
  std::chrono::year_month_day ymd{std::chrono::year{y},
                                  std::chrono::month{static_cast<unsigned>(mo)},
                                  std::chrono::day{static_cast<unsigned>(d)}};
  // Leap seconds (":60") are refused rather than silently rolled over.
  if (!ymd.ok() || h > 23 || mi > 59 || se > 59) return std::nullopt;
  return Timestamp{std::chrono::sys_days{ymd}} + std::chrono::hours{h} + std::chrono::minutes{mi} +
         std::chrono::seconds{se} + microseconds{micros};
}

}  // namespace

std::string format_timestamp(Timestamp t) {
  auto day = std::chrono::floor<days>(t);
  std::chrono::year_month_day ymd{day};
  auto in_day = t - day;
  long long us = in_day.count();
  long long secs = us / 1'000'000;
  std::array<char, 128> buf{};  // roomy: GCC cannot prove the fields are small
  std::snprintf(buf.data(), buf.size(), "%04d-%02u-%02uT%02lld:%02lld:%02lld.%06lldZ",
                static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                static_cast<unsigned>(ymd.day()), secs / 3600, (secs / 60) % 60, secs % 60,
                us % 1'000'000);
  return std::string(buf.data());
}

std::optional<Timestamp> parse_timestamp(std::string_view s) {
  // Both forms start with a 4-digit year and a separator that tells them apart.
  if (s.size() < 10) return std::nullopt;
  auto y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
  if (!y || !mo || !d) return std::nullopt;
  char sep = s[4];
  if ((sep != '.' && sep != '-') || s[7] != sep) return std::nullopt;
  if (s.size() == 10) return make_time(*y, *mo, *d, 0, 0, 0, 0);

  const bool seed_form = sep == '.';
  char t = s[10];
  if (seed_form ? t != ' ' : (t != 'T' && t != 't' && t != ' ')) return std::nullopt;
  auto h = digits(s, 11, 2), mi = digits(s, 14, 2), se = digits(s, 17, 2);
  if (!h || !mi || !se || s.size() < 19 || s[13] != ':' || s[16] != ':') return std::nullopt;
  std::size_t pos = 19;
  long long micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    std::size_t start = pos;
    long long scale = 100'000;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      micros += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return std::nullopt;
  }
  if (seed_form) {
    // The seed's form has no zone: it is UTC.
    if (pos != s.size()) return std::nullopt;
    return make_time(*y, *mo, *d, *h, *mi, *se, micros);
  }
  if (pos >= s.size()) return std::nullopt;  // RFC 3339 requires a zone
  std::chrono::minutes offset{0};
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    auto oh = digits(s, pos + 1, 2), om = digits(s, pos + 4, 2);
    if (!oh || !om || pos + 6 != s.size() || s[pos + 3] != ':' || *oh > 23 || *om > 59) {
      return std::nullopt;
    }
    offset = std::chrono::minutes{*oh * 60 + *om};
    if (s[pos] == '-') offset = -offset;
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  auto local = make_time(*y, *mo, *d, *h, *mi, *se, micros);
  if (!local) return std::nullopt;
  return *local - offset;
}

namespace {

constexpr std::string_view kB64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url(std::string_view in) {
  std::string out;
  std::size_t i = 0;
  auto byte = [&](std::size_t k) {
    return static_cast<unsigned>(static_cast<unsigned char>(in[k]));
  };
  for (; i + 3 <= in.size(); i += 3) {
    unsigned v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
    for (int shift = 18; shift >= 0; shift -= 6) out += kB64[(v >> shift) & 63];
  }
  if (std::size_t rest = in.size() - i; rest > 0) {
    unsigned v = byte(i) << 16;
    if (rest == 2) v |= byte(i + 1) << 8;
    out += kB64[(v >> 18) & 63];
    out += kB64[(v >> 12) & 63];
    if (rest == 2) out += kB64[(v >> 6) & 63];
  }
  return out;
}

std::optional<std::string> unbase64url(std::string_view in) {
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  unsigned acc = 0;
  int bits = 0;
  for (char c : in) {
    auto idx = kB64.find(c);
    if (idx == std::string_view::npos) return std::nullopt;
    acc = (acc << 6) | static_cast<unsigned>(idx);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  return out;
}

template <class T>
std::optional<T> number(std::string_view s) {
  T v{};
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

}  // namespace

std::string encode_cursor(const Cursor& cursor) {
  return base64url(std::to_string(cursor.after.created_at.time_since_epoch().count()) + "." +
                   std::to_string(cursor.after.id) + "." + std::to_string(cursor.page));
}

std::optional<Cursor> decode_cursor(std::string_view text) {
  // Cursors are short; anything long is not one of ours.
  if (text.empty() || text.size() > 128) return std::nullopt;
  auto raw = unbase64url(text);
  if (!raw) return std::nullopt;
  std::string_view s = *raw;
  auto dot1 = s.find('.');
  if (dot1 == std::string_view::npos) return std::nullopt;
  auto dot2 = s.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos) return std::nullopt;
  auto us = number<long long>(s.substr(0, dot1));
  auto id = number<std::int32_t>(s.substr(dot1 + 1, dot2 - dot1 - 1));
  auto page = number<std::int32_t>(s.substr(dot2 + 1));
  if (!us || !id || !page || *page < 1) return std::nullopt;
  // Keep the instant inside years 1..9999, which both sides can represent.
  constexpr long long kMin = -62135596800LL * 1'000'000, kMax = 253402300799LL * 1'000'000;
  if (*us < kMin || *us > kMax) return std::nullopt;
  return Cursor{{Timestamp{microseconds{*us}}, *id}, *page};
}

}  // namespace cloudlet::functions
