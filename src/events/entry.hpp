// PutEvents entries (spec §4.1, §1): reading the request, AWS's size rule,
// the per-entry checks, and the event envelope an accepted entry becomes.
//
// The order of checks is the spec's table: the request-level ones first
// (entry count, then total size; the whole request fails with
// ValidationException), then each entry on its own (a failed entry gets an
// ErrorCode/ErrorMessage in its slot of the response; the others go on).
// The caller runs, in this order:
//
//   check_put_events_shape(body)        → SerializationException
//   parse_put_events_request(body)      → ValidationException
//   check_request_size(entries, limit)  → ValidationException
//   validate_entry(entry) per entry     → that entry's ErrorCode/ErrorMessage
//   make_event_envelope(entry, …)       for each entry that passed
//
// Pure functions, no clock: the caller passes `now`. Thread-safe.
// Cost: linear in the request; validate_entry and make_event_envelope each
// parse Detail once (the envelope checks it to stay a JSON object).
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace cloudlet::events {

// One element of PutEvents' `Entries`, as sent: members the caller left out
// (or sent as JSON null, which AWS JSON 1.1 reads as absent) are nullopt.
struct PutEventsEntry {
  std::optional<std::string> source, detail_type, detail, event_bus_name, trace_header;
  std::vector<std::string> resources;
  std::optional<std::chrono::sys_seconds> time;  // whole seconds: the envelope has no more
};

inline constexpr std::size_t kMaxEntriesPerRequest = 10;
inline constexpr std::size_t kDefaultMaxPutEventsBytes = 1048576;  // events.max_put_events_bytes
inline constexpr std::size_t kMaxTraceHeaderLength = 500;
inline constexpr std::size_t kMaxDetailTypeLength = 128;
inline constexpr int kMaxDetailDepth = 1100;  // nesting PutEvents processes [doc]

// The JSON types of the request: body an object, `Entries` an array of
// objects, string members strings, `Resources` an array of strings, `Time` a
// number (epoch seconds, fractions dropped) or an ISO-8601 string
// (`2024-01-01T00:00:00Z`, optional fraction, `Z` or `±HH:MM`; accepted
// leniently, spec §3.1) in years 0001-9999. Unknown members are ignored.
// A failure is kInvalidArgument; the caller answers 400
// `SerializationException` with the message.
Status check_put_events_shape(const boost::json::value& body);

// The request-level constraint checks, on a body that passed
// check_put_events_shape (a body that did not gives its shape error here
// too, so fuzzing and careless callers stay safe): `Entries` present, 1-10
// entries, each `TraceHeader` 1-500 characters. A failure is
// kInvalidArgument whose message is AWS's whole text; the caller answers 400
// `ValidationException`. With more than 10 entries the echoed value is the
// `Entries` array as compact JSON (AWS echoes its Java rendering, which
// nobody can reproduce: spec §4.1).
Result<std::vector<PutEventsEntry>> parse_put_events_request(const boost::json::value& body);

// AWS's size of one entry (spec §4.1): 14 bytes if Time is set, plus the
// UTF-8 byte lengths of Source, DetailType, Detail and every Resources
// element. EventBusName and TraceHeader do not count.
std::size_t entry_size(const PutEventsEntry& entry);
std::size_t request_size(const std::vector<PutEventsEntry>& entries);

// The total-size rule: the sum of entry_size over the request must be at
// most `max_bytes` (exactly `max_bytes` passes). kInvalidArgument with
// `Total size of the entries in the request is over the limit.`; the caller
// answers ValidationException.
Status check_request_size(const std::vector<PutEventsEntry>& entries,
                          std::size_t max_bytes = kDefaultMaxPutEventsBytes);

// Per-entry ErrorCode / ErrorMessage, exactly as PutEvents returns them.
struct EntryError {
  std::string code, message;
};

// The first failing per-entry check, in the spec's order: Source, DetailType,
// Detail missing (an empty string counts as missing [unconfirmed]), Detail not
// a JSON object (or nested deeper than 1100 levels) → MalformedDetail; then
// two checks the spec names without AWS's text [unconfirmed]: DetailType over
// 128 characters (InvalidArgument), and a Source starting with `aws.`
// (NotAuthorizedForSourceException: custom sources may not use it).
std::optional<EntryError> validate_entry(const PutEventsEntry& entry);

// The event an accepted entry becomes (spec §1.1), as compact JSON with the
// members in AWS's order: version "0", id, detail-type, source, account,
// time (the entry's Time, else `now`; `YYYY-MM-DDTHH:MM:SSZ`), region,
// resources, detail. `detail` is the entry's Detail text itself (surrounding
// white space trimmed), so numbers stay as the sender wrote them.
// Precondition: validate_entry(entry) passed; otherwise missing strings are
// written as "" and a Detail that is not an object as {}, so the result is
// always a JSON object.
std::string make_event_envelope(const PutEventsEntry& entry, std::string_view id,
                                std::string_view account, std::string_view region,
                                std::chrono::sys_seconds now);

}  // namespace cloudlet::events
