// Target input (src/events/target_input.hpp) and PutEvents entries
// (src/events/entry.hpp): PutTargets-time compilation of InputPath /
// Input / InputTransformer, rendering at delivery, and the PutEvents request
// reader, per-entry checks and envelope.
//
// Input: three parts separated by the byte 0x1e (record separator):
// InputPathsMap as a JSON object (non-string values are skipped; anything
// else is an empty map), InputTemplate, and an event as JSON. The template
// is also tried as Input and as InputPath; the event part is also read as a
// PutEvents request body, and so is the whole input.
//
// Invariants: compiling never fails with anything but kInvalidArgument; a
// compiled target renders an event that is a JSON object and refuses one
// that is not (WholeEvent and Input never look at it); Input renders
// verbatim; a JSON template (first non-blank `{`) that compiled renders to
// valid JSON whenever no string in the event or the context holds a quote,
// backslash or control character (the only way AWS's unescaped splicing can
// break JSON). PutEvents: a body that fails the shape check fails parsing
// with the same text; request_size is the sum of entry_size; every entry
// that passes validate_entry becomes an envelope that parses to an object
// with AWS's nine members in order, `detail` an object — and that envelope
// renders through every compiled target.
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "events/entry.hpp"
#include "events/target_input.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace cloudlet;
using namespace cloudlet::events;

constexpr char kSeparator = '\x1e';

const DeliveryContext kContext{"arn:aws:events:us-east-1:123456789012:rule/r", "r",
                               std::chrono::sys_seconds{std::chrono::seconds{1795843560}}};

// `max_depth`: the library's own limit for what it reads (8192); rendered
// bodies nest a template's levels plus a value's, so they are read deeper.
std::optional<boost::json::value> parse_json(std::string_view text, std::size_t max_depth = 8192) {
  boost::json::parse_options options;
  options.max_depth = max_depth;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec, {}, options);
  if (ec) return std::nullopt;
  return v;
}

bool safe_text(std::string_view s) {
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || ch == '"' || ch == '\\') return false;
  }
  return true;
}

// No string (or key) anywhere in `root` that unescaped splicing could turn
// into broken JSON. Iterative: events may nest thousands of levels.
bool safe_strings(const boost::json::value& root) {
  std::vector<const boost::json::value*> todo{&root};
  while (!todo.empty()) {
    const boost::json::value* v = todo.back();
    todo.pop_back();
    if (const auto* s = v->if_string()) {
      if (!safe_text(*s)) return false;
    } else if (const auto* a = v->if_array()) {
      for (const auto& e : *a) todo.push_back(&e);
    } else if (const auto* o = v->if_object()) {
      for (const auto& m : *o) {
        if (!safe_text(m.key())) return false;
        todo.push_back(&m.value());
      }
    }
  }
  return true;
}

bool is_json_template(std::string_view tmpl) {
  const std::size_t first = tmpl.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && tmpl[first] == '{';
}

void check_render(const TargetInput& input, std::string_view event_json, bool json_template) {
  const auto event = parse_json(event_json);
  const bool object_event = event && event->is_object();
  auto rendered = render_target_input(input, event_json, kContext);
  if (std::holds_alternative<WholeEvent>(input)) {
    FUZZ_CHECK(rendered.ok() && *rendered == event_json);
    return;
  }
  if (const auto* constant = std::get_if<ConstantInput>(&input)) {
    FUZZ_CHECK(rendered.ok() && *rendered == constant->json);
    return;
  }
  FUZZ_CHECK(rendered.ok() == object_event);
  if (!rendered.ok()) {
    FUZZ_CHECK(rendered.error().code == ErrorCode::kInvalidArgument);
    return;
  }
  if (std::holds_alternative<PathInput>(input)) {
    FUZZ_CHECK(rendered->empty() || parse_json(*rendered).has_value());
    return;
  }
  if (json_template && safe_strings(*event)) {
    FUZZ_CHECK(parse_json(*rendered, 1 << 16).has_value());
  }
}

std::vector<TargetInput> compile_all(std::string_view paths_json, std::string_view tmpl) {
  std::vector<TargetInput> out;
  const TargetRef target{"t", 1};
  InputTransformer transformer;
  transformer.input_template = std::string(tmpl);
  if (const auto map = parse_json(paths_json); map && map->is_object()) {
    for (const auto& member : map->get_object()) {
      if (const auto* path = member.value().if_string()) {
        transformer.paths_map.emplace_back(std::string(member.key()), std::string(*path));
      }
    }
  }
  const auto keep = [&out](Result<TargetInput> compiled) {
    if (compiled.ok()) {
      out.push_back(std::move(*compiled));
    } else {
      FUZZ_CHECK(compiled.error().code == ErrorCode::kInvalidArgument);
      FUZZ_CHECK(!compiled.error().message.empty());
    }
  };
  keep(parse_target_input(target, {}, {}, &transformer));
  const bool template_compiled = !out.empty();
  keep(parse_target_input(target, tmpl, {}, nullptr));
  keep(parse_target_input(target, {}, tmpl, nullptr));
  keep(parse_target_input(target, {}, {}, nullptr));
  // Two members at once are always refused.
  FUZZ_CHECK(!parse_target_input(target, tmpl, tmpl, nullptr).ok());
  FUZZ_CHECK(!parse_target_input(target, {}, tmpl, &transformer).ok());
  if (!template_compiled) out.insert(out.begin(), TargetInput{WholeEvent{}});  // keep index 0
  return out;
}

void check_targets(const std::vector<TargetInput>& targets, std::string_view tmpl,
                   std::string_view event_json) {
  for (std::size_t i = 0; i < targets.size(); ++i) {
    check_render(targets[i], event_json, i == 0 && is_json_template(tmpl));
  }
}

void check_put_events(std::string_view body_text, const std::vector<TargetInput>& targets,
                      std::string_view tmpl) {
  const auto body = parse_json(body_text);
  if (!body) return;
  const Status shape = check_put_events_shape(*body);
  auto parsed = parse_put_events_request(*body);
  if (!shape.ok()) {
    FUZZ_CHECK(!parsed.ok() && parsed.error().message == shape.error().message);
    return;
  }
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.error().code == ErrorCode::kInvalidArgument);
    FUZZ_CHECK(parsed.error().message.find("validation error") != std::string::npos);
    return;
  }
  const auto& entries = *parsed;
  FUZZ_CHECK(!entries.empty() && entries.size() <= kMaxEntriesPerRequest);
  std::size_t total = 0;
  for (const auto& e : entries) total += entry_size(e);
  FUZZ_CHECK(total == request_size(entries));
  FUZZ_CHECK(check_request_size(entries, total).ok());
  if (total > 0) FUZZ_CHECK(!check_request_size(entries, total - 1).ok());
  for (const auto& e : entries) {
    const std::string envelope =
        make_event_envelope(e, "7bf73129-1428-4cd3-a780-95db273d1602", "123456789012", "us-east-1",
                            kContext.ingestion_time);
    const auto event = parse_json(envelope);
    FUZZ_CHECK(event && event->is_object());
    if (const auto error = validate_entry(e)) {
      FUZZ_CHECK(!error->code.empty() && !error->message.empty());
      continue;
    }
    const auto& object = event->get_object();
    static constexpr std::string_view kKeys[] = {"version", "id",        "detail-type",
                                                 "source",  "account",   "time",
                                                 "region",  "resources", "detail"};
    FUZZ_CHECK(object.size() == std::size(kKeys));
    std::size_t k = 0;
    for (const auto& member : object) FUZZ_CHECK(member.key() == kKeys[k++]);
    FUZZ_CHECK(object.at("detail").is_object());
    FUZZ_CHECK(object.at("source").as_string() == *e.source);
    check_targets(targets, tmpl, envelope);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = fuzz::bytes(data, size);
  std::string_view rest = input;
  const std::string_view paths_json = fuzz::cut(rest, kSeparator);
  const std::string_view tmpl = fuzz::cut(rest, kSeparator);
  const std::string_view event_json = rest;

  const std::vector<TargetInput> targets = compile_all(paths_json, tmpl);
  check_targets(targets, tmpl, event_json);
  check_put_events(event_json, targets, tmpl);
  check_put_events(input, targets, tmpl);
  return 0;
}
