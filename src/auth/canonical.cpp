#include "auth/canonical.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

namespace cloudlet::auth {
namespace {

constexpr char kUpperHex[] = "0123456789ABCDEF";

constexpr bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

constexpr int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

// Validates the escape starting at text[i] == '%'.
std::optional<MalformedEscape> check_escape_at(std::string_view text, std::size_t i) {
  if (text.size() - i < 3) {
    return MalformedEscape{"Incomplete trailing escape % sequence"};
  }
  if (hex_value(text[i + 1]) < 0 || hex_value(text[i + 2]) < 0) {
    std::string msg = "Illegal hex character in escape % pattern: %";
    msg.append(text.substr(i + 1, 2));
    return MalformedEscape{std::move(msg)};
  }
  return std::nullopt;
}

// The segments kept by §2.2 step 1 normalisation, as views into the raw path.
struct Segments {
  std::vector<std::string_view> kept;
  bool trailing_slash = false;
};

Segments normalize_segments(std::string_view raw_path) {
  Segments result;
  std::size_t start = 0;
  while (start <= raw_path.size()) {
    std::size_t end = raw_path.find('/', start);
    if (end == std::string_view::npos) end = raw_path.size();
    const std::string_view seg = raw_path.substr(start, end - start);
    if (seg == "..") {
      if (!result.kept.empty()) result.kept.pop_back();
    } else if (!seg.empty() && seg != ".") {
      result.kept.push_back(seg);
    }
    start = end + 1;
  }
  result.trailing_slash = !raw_path.empty() && raw_path.back() == '/';
  return result;
}

template <class AppendSegment>
void append_normalized(std::string_view raw_path, AppendSegment append_segment, std::string& out) {
  const Segments segs = normalize_segments(raw_path);
  if (segs.kept.empty()) {
    out.push_back('/');
    return;
  }
  for (std::string_view seg : segs.kept) {
    out.push_back('/');
    append_segment(seg, out);
  }
  if (segs.trailing_slash) out.push_back('/');
}

}  // namespace

void append_uri_encoded(std::string_view bytes, bool keep_slash, std::string& out) {
  for (char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_unreserved(c) || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kUpperHex[c >> 4]);
      out.push_back(kUpperHex[c & 0x0f]);
    }
  }
}

std::optional<MalformedEscape> check_escapes(std::string_view text) {
  for (std::size_t i = text.find('%'); i != std::string_view::npos; i = text.find('%', i + 1)) {
    if (auto bad = check_escape_at(text, i)) return bad;
  }
  return std::nullopt;
}

std::optional<MalformedEscape> percent_decode(std::string_view text, bool plus_is_space,
                                              std::string& out) {
  out.clear();
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (auto bad = check_escape_at(text, i)) return bad;
      out.push_back(static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return std::nullopt;
}

std::optional<MalformedEscape> append_canonical_uri(std::string_view raw_path, bool normalize,
                                                    std::string& out) {
  if (auto bad = check_escapes(raw_path)) return bad;
  if (!normalize) {
    if (raw_path.empty()) {
      out.push_back('/');
    } else {
      append_uri_encoded(raw_path, /*keep_slash=*/true, out);
    }
    return std::nullopt;
  }
  append_normalized(
      raw_path,
      [](std::string_view seg, std::string& o) { append_uri_encoded(seg, /*keep_slash=*/true, o); },
      out);
  return std::nullopt;
}

void append_normalized_raw_path(std::string_view raw_path, bool normalize, std::string& out) {
  if (!normalize) {
    out.append(raw_path.empty() ? std::string_view("/") : raw_path);
    return;
  }
  append_normalized(
      raw_path, [](std::string_view seg, std::string& o) { o.append(seg); }, out);
}

std::optional<MalformedEscape> parse_query(std::string_view raw_query,
                                           std::vector<QueryParam>& params) {
  params.clear();
  std::size_t start = 0;
  while (start <= raw_query.size()) {
    std::size_t end = raw_query.find('&', start);
    if (end == std::string_view::npos) end = raw_query.size();
    const std::string_view piece = raw_query.substr(start, end - start);
    start = end + 1;
    if (piece.empty()) continue;
    const std::size_t eq = piece.find('=');
    QueryParam& param = params.emplace_back();
    const std::string_view name = piece.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view() : piece.substr(eq + 1);
    if (auto bad = percent_decode(name, /*plus_is_space=*/true, param.name)) return bad;
    if (auto bad = percent_decode(value, /*plus_is_space=*/true, param.value)) return bad;
  }
  return std::nullopt;
}

void append_canonical_query(const std::vector<QueryParam>& params, std::string_view skip_name,
                            std::string& out) {
  // Encode into one arena and sort (offset, length) pairs, to keep the number
  // of allocations independent of the number of parameters.
  struct Encoded {
    std::uint32_t name_at, name_len, value_at, value_len;
  };
  std::string arena;
  std::vector<Encoded> encoded;
  encoded.reserve(params.size());
  for (const QueryParam& p : params) {
    if (!skip_name.empty() && p.name == skip_name) continue;
    Encoded e{};
    e.name_at = static_cast<std::uint32_t>(arena.size());
    append_uri_encoded(p.name, /*keep_slash=*/false, arena);
    e.name_len = static_cast<std::uint32_t>(arena.size()) - e.name_at;
    e.value_at = static_cast<std::uint32_t>(arena.size());
    append_uri_encoded(p.value, /*keep_slash=*/false, arena);
    e.value_len = static_cast<std::uint32_t>(arena.size()) - e.value_at;
    encoded.push_back(e);
  }
  const std::string_view a(arena);
  std::sort(encoded.begin(), encoded.end(), [a](const Encoded& x, const Encoded& y) {
    const int by_name = a.substr(x.name_at, x.name_len).compare(a.substr(y.name_at, y.name_len));
    if (by_name != 0) return by_name < 0;
    return a.substr(x.value_at, x.value_len) < a.substr(y.value_at, y.value_len);
  });
  bool first = true;
  for (const Encoded& e : encoded) {
    if (!first) out.push_back('&');
    first = false;
    out.append(a.substr(e.name_at, e.name_len));
    out.push_back('=');
    out.append(a.substr(e.value_at, e.value_len));
  }
}

void append_canonical_header_value(std::string_view raw_value, std::string& out) {
  // CR and LF count as blanks, so an obs-fold (CRLF + SP/HT) folds with the
  // blanks around it into one space.
  std::size_t begin = 0;
  std::size_t end = raw_value.size();
  while (begin < end && is_blank(raw_value[begin])) ++begin;
  while (end > begin && is_blank(raw_value[end - 1])) --end;
  bool in_blank = false;
  for (std::size_t i = begin; i < end; ++i) {
    const char c = raw_value[i];
    if (is_blank(c)) {
      in_blank = true;
      continue;
    }
    if (in_blank) out.push_back(' ');
    in_blank = false;
    out.push_back(c);
  }
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace cloudlet::auth
