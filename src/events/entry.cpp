#include "events/entry.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <cmath>
#include <utility>

#include "events/aws_validation.hpp"
#include "events/json_text.hpp"

namespace cloudlet::events {

namespace {

using std::chrono::sys_seconds;

// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: times the envelope can write
// in its four-digit form.
constexpr std::int64_t kMinTime = -62135596800;
constexpr std::int64_t kMaxTime = 253402300799;

Error shape_error(std::string what) { return Error::invalid_argument(std::move(what)); }

std::string entry_member(std::size_t index, std::string_view member) {
  return "Entries[" + std::to_string(index) + "]." + std::string(member);
}

// Digits at s[pos, pos+n) as a number, or -1.
int digits(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// ISO-8601 date-time, as §3.1 asks: accepted leniently (T, t or a space
// between date and time; optional fraction, dropped; Z, z, ±HH:MM, ±HHMM or
// nothing, meaning UTC).
std::optional<sys_seconds> parse_iso_time(std::string_view s) {
  const int year = digits(s, 0, 4), month = digits(s, 5, 2), day = digits(s, 8, 2);
  const int hour = digits(s, 11, 2), minute = digits(s, 14, 2), second = digits(s, 17, 2);
  if (year < 1 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return {};
  if (s[4] != '-' || s[7] != '-' || s[13] != ':' || s[16] != ':') return {};
  if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return {};
  if (hour > 23 || minute > 59 || second > 59) return {};
  const std::chrono::year_month_day ymd{std::chrono::year{year},
                                        std::chrono::month{static_cast<unsigned>(month)},
                                        std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return {};
  std::size_t pos = 19;
  if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
    const std::size_t start = ++pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start) return {};
  }
  int offset_seconds = 0;
  if (pos < s.size()) {
    const std::string_view zone = s.substr(pos);
    if (zone == "Z" || zone == "z") {
      pos = s.size();
    } else if (zone[0] == '+' || zone[0] == '-') {
      const int oh = digits(s, pos + 1, 2);
      const bool colon = pos + 3 < s.size() && s[pos + 3] == ':';
      const int om = digits(s, pos + (colon ? 4 : 3), 2);
      if (oh < 0 || om < 0 || oh > 23 || om > 59) return {};
      if (pos + (colon ? 6 : 5) != s.size()) return {};
      offset_seconds = (zone[0] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
      pos = s.size();
    } else {
      return {};
    }
  }
  const auto t = std::chrono::sys_days{ymd} + std::chrono::hours{hour} +
                 std::chrono::minutes{minute} + std::chrono::seconds{second} -
                 std::chrono::seconds{offset_seconds};
  if (t.time_since_epoch().count() < kMinTime || t.time_since_epoch().count() > kMaxTime) {
    return {};
  }
  return sys_seconds{t};
}

std::optional<sys_seconds> epoch_time(double seconds) {
  if (!std::isfinite(seconds)) return {};
  const double whole = std::floor(seconds);
  if (whole < static_cast<double>(kMinTime) || whole > static_cast<double>(kMaxTime)) return {};
  return sys_seconds{std::chrono::seconds{static_cast<std::int64_t>(whole)}};
}

Result<std::optional<sys_seconds>> read_time(const boost::json::value& v, std::size_t index) {
  std::optional<sys_seconds> t;
  switch (v.kind()) {
    case boost::json::kind::null:
      return t;
    case boost::json::kind::int64:
      t = epoch_time(static_cast<double>(v.get_int64()));
      break;
    case boost::json::kind::uint64:
      t = epoch_time(static_cast<double>(v.get_uint64()));
      break;
    case boost::json::kind::double_:
      t = epoch_time(v.get_double());
      break;
    case boost::json::kind::string:
      t = parse_iso_time(v.get_string());
      break;
    default:
      return shape_error(entry_member(index, "Time") + " must be a timestamp");
  }
  if (!t) return shape_error(entry_member(index, "Time") + " is not a valid timestamp");
  return t;
}

Result<std::optional<std::string>> read_string(const boost::json::object& entry,
                                               std::string_view member, std::size_t index) {
  std::optional<std::string> out;
  const auto* v = entry.if_contains(member);
  if (v == nullptr || v->is_null()) return out;
  if (!v->is_string()) return shape_error(entry_member(index, member) + " must be a string");
  out = std::string(v->get_string());
  return out;
}

Result<PutEventsEntry> read_entry(const boost::json::value& v, std::size_t index) {
  const auto* object = v.if_object();
  if (object == nullptr) {
    return shape_error("Entries[" + std::to_string(index) + "] must be a structure");
  }
  PutEventsEntry entry;
  struct Member {
    std::string_view name;
    std::optional<std::string>* field;
  };
  const Member members[] = {{"Source", &entry.source},
                            {"DetailType", &entry.detail_type},
                            {"Detail", &entry.detail},
                            {"EventBusName", &entry.event_bus_name},
                            {"TraceHeader", &entry.trace_header}};
  for (const Member& m : members) {
    auto read = read_string(*object, m.name, index);
    if (!read.ok()) return read.error();
    *m.field = std::move(*read);
  }
  if (const auto* resources = object->if_contains("Resources");
      resources != nullptr && !resources->is_null()) {
    const auto* list = resources->if_array();
    if (list == nullptr) return shape_error(entry_member(index, "Resources") + " must be a list");
    for (const auto& r : *list) {
      if (!r.is_string()) {
        return shape_error(entry_member(index, "Resources") + " must hold only strings");
      }
      entry.resources.emplace_back(r.get_string());
    }
  }
  if (const auto* time = object->if_contains("Time"); time != nullptr) {
    auto read = read_time(*time, index);
    if (!read.ok()) return read.error();
    entry.time = *read;
  }
  return entry;
}

// The entries, or the first shape error; `entries_member` is null when the
// body has no (or a null) `Entries`.
Result<std::vector<PutEventsEntry>> read_request(const boost::json::value& body,
                                                 const boost::json::array** entries_member) {
  *entries_member = nullptr;
  const auto* object = body.if_object();
  if (object == nullptr) return shape_error("The request body must be a JSON object");
  std::vector<PutEventsEntry> entries;
  const auto* v = object->if_contains("Entries");
  if (v == nullptr || v->is_null()) return entries;
  const auto* list = v->if_array();
  if (list == nullptr) return shape_error("Entries must be a list");
  *entries_member = list;
  for (std::size_t i = 0; i < list->size(); ++i) {
    auto entry = read_entry((*list)[i], i);
    if (!entry.ok()) return entry.error();
    entries.push_back(std::move(*entry));
  }
  return entries;
}

std::string_view trim(std::string_view s) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool is_json_object(std::string_view text) {
  boost::json::parse_options options;
  options.max_depth = kMaxDetailDepth;
  boost::system::error_code ec;
  const boost::json::value v = boost::json::parse(text, ec, {}, options);
  return !ec && v.is_object();
}

bool missing(const std::optional<std::string>& s) { return !s || s->empty(); }

EntryError invalid_argument(std::string_view parameter) {
  return {"InvalidArgument", "Parameter " + std::string(parameter) + " is not valid. Reason: " +
                                 std::string(parameter) + " is a required argument."};
}

}  // namespace

Status check_put_events_shape(const boost::json::value& body) {
  const boost::json::array* entries = nullptr;
  auto read = read_request(body, &entries);
  if (!read.ok()) return read.error();
  return {};
}

Result<std::vector<PutEventsEntry>> parse_put_events_request(const boost::json::value& body) {
  const boost::json::array* list = nullptr;
  auto entries = read_request(body, &list);
  if (!entries.ok()) return entries.error();
  std::vector<std::string> violations;
  if (list == nullptr) {
    violations.push_back(constraint_violation(std::nullopt, "entries", kNotNullConstraint));
  } else if (list->empty()) {
    violations.push_back(constraint_violation("[]", "entries", min_length_constraint(1)));
  } else if (list->size() > kMaxEntriesPerRequest) {
    violations.push_back(constraint_violation(boost::json::serialize(*list), "entries",
                                              max_length_constraint(kMaxEntriesPerRequest)));
  }
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const auto& trace = (*entries)[i].trace_header;
    if (!trace) continue;
    const std::size_t length = java_length(*trace);
    const std::string path = "entries." + std::to_string(i + 1) + ".member.traceHeader";
    if (length < 1)
      violations.push_back(constraint_violation(*trace, path, min_length_constraint(1)));
    if (length > kMaxTraceHeaderLength) {
      violations.push_back(
          constraint_violation(*trace, path, max_length_constraint(kMaxTraceHeaderLength)));
    }
  }
  if (!violations.empty()) return Error::invalid_argument(validation_message(violations));
  return entries;
}

std::size_t entry_size(const PutEventsEntry& entry) {
  std::size_t size = entry.time ? 14 : 0;
  if (entry.source) size += entry.source->size();
  if (entry.detail_type) size += entry.detail_type->size();
  if (entry.detail) size += entry.detail->size();
  for (const auto& r : entry.resources) size += r.size();
  return size;
}

std::size_t request_size(const std::vector<PutEventsEntry>& entries) {
  std::size_t total = 0;
  for (const auto& e : entries) total += entry_size(e);
  return total;
}

Status check_request_size(const std::vector<PutEventsEntry>& entries, std::size_t max_bytes) {
  if (request_size(entries) > max_bytes) {
    return Error::invalid_argument("Total size of the entries in the request is over the limit.");
  }
  return {};
}

std::optional<EntryError> validate_entry(const PutEventsEntry& entry) {
  if (missing(entry.source)) return invalid_argument("Source");
  if (missing(entry.detail_type)) return invalid_argument("DetailType");
  if (missing(entry.detail)) return invalid_argument("Detail");
  if (!is_json_object(*entry.detail)) return EntryError{"MalformedDetail", "Detail is malformed."};
  if (java_length(*entry.detail_type) > kMaxDetailTypeLength) {
    return EntryError{"InvalidArgument",
                      "Parameter DetailType is not valid. Reason: DetailType is longer than " +
                          std::to_string(kMaxDetailTypeLength) + " characters."};
  }
  if (entry.source->starts_with("aws.")) {
    return EntryError{"NotAuthorizedForSourceException", "Not authorized for the source."};
  }
  return std::nullopt;
}

std::string make_event_envelope(const PutEventsEntry& entry, std::string_view id,
                                std::string_view account, std::string_view region,
                                std::chrono::sys_seconds now) {
  std::string out = R"({"version":"0","id":)";
  append_json_string(out, id);
  out += R"(,"detail-type":)";
  append_json_string(out, entry.detail_type.value_or(""));
  out += R"(,"source":)";
  append_json_string(out, entry.source.value_or(""));
  out += R"(,"account":)";
  append_json_string(out, account);
  out += R"(,"time":)";
  append_json_string(out, format_event_time(entry.time.value_or(now)));
  out += R"(,"region":)";
  append_json_string(out, region);
  out += R"(,"resources":[)";
  for (std::size_t i = 0; i < entry.resources.size(); ++i) {
    if (i > 0) out += ',';
    append_json_string(out, entry.resources[i]);
  }
  out += R"(],"detail":)";
  const std::string_view detail = entry.detail ? trim(*entry.detail) : std::string_view();
  out += is_json_object(detail) ? detail : std::string_view("{}");
  out += '}';
  return out;
}

}  // namespace cloudlet::events
