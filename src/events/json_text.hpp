// JSON text the event bus writes itself: event envelopes, target bodies,
// AWS's validation messages.
//
// Why not boost::json::serialize: Boost 1.81 writes the double 1.0 as `1E0`
// and 1e5 as `1E5`. Events reach targets and people; a number should read
// the way AWS's own writer (Jackson, i.e. Java's Double.toString) puts it:
// `1.0`, `100000.0`, `1.0E7`, `1.5E-5`, the shortest digits that read back
// to the same double. Integers are written exactly.
//
// Pure functions; thread-safe. Cost: linear in the size of the value.
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <string>
#include <string_view>

namespace cloudlet::events {

// Appends `s` as a JSON string literal, quotes included. `s` must be UTF-8
// (every string that came out of a JSON parser is).
void append_json_string(std::string& out, std::string_view s);

// Appends `v` as compact JSON (no spaces). Infinite doubles (the parser turns
// `1e400` into one) are written `1e999` / `-1e999`, which reads back as the
// same infinity: valid JSON, where a literal `Infinity` would not be.
void append_json(std::string& out, const boost::json::value& v);
std::string to_json(const boost::json::value& v);

// `YYYY-MM-DDTHH:MM:SSZ`, the envelope's `time` format (spec §1.1). Years
// outside 0000-9999 are written with as many digits as they need.
std::string format_event_time(std::chrono::sys_seconds t);

}  // namespace cloudlet::events
