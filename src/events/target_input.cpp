#include "events/target_input.hpp"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>
#include <map>

#include "events/aws_validation.hpp"
#include "events/json_text.hpp"

namespace cloudlet::events {

namespace {

using Variable = CompiledTemplate::Variable;

// Deep enough for any event make_event_envelope writes (Detail's 1100
// levels inside the envelope) and for any 8192-character Input or template.
constexpr int kMaxParseDepth = 8192;

constexpr std::string_view kPathKeyRegex = R"([A-Za-z0-9\_\-]+)";

struct Predefined {
  std::string_view name;
  Variable variable;
};
constexpr Predefined kPredefined[] = {
    {"aws.events.rule-arn", Variable::kRuleArn},
    {"aws.events.rule-name", Variable::kRuleName},
    {"aws.events.event.ingestion-time", Variable::kIngestionTime},
    {"aws.events.event", Variable::kEventMetadata},
    {"aws.events.event.json", Variable::kEventJson},
};

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

bool is_placeholder_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

bool is_path_key(std::string_view key) {
  if (key.empty()) return false;
  for (const char c : key) {
    if (!is_placeholder_char(c) || c == '.') return false;
  }
  return true;
}

bool is_json(std::string_view text) {
  boost::json::parse_options options;
  options.max_depth = kMaxParseDepth;
  boost::system::error_code ec;
  (void)boost::json::parse(text, ec, {}, options);
  return !ec;
}

// Java's Map.toString, which AWS echoes for a map member: {k=v, k2=v2}.
std::string java_map(const std::vector<std::pair<std::string, std::string>>& map) {
  std::string out = "{";
  for (std::size_t i = 0; i < map.size(); ++i) {
    if (i > 0) out += ", ";
    out += map[i].first;
    out += '=';
    out += map[i].second;
  }
  out += '}';
  return out;
}

std::string for_target(std::string_view what, const TargetRef& target, std::string_view rest) {
  return std::string(what) + " for target " + std::string(target.id) + std::string(rest);
}

Error invalid_placeholder(const TargetRef& target, std::string_view name) {
  return Error::invalid_argument(for_target(
      "InputTemplate", target, " contains invalid placeholder " + std::string(name) + "."));
}

Result<CompiledTemplate> compile_template(const TargetRef& target,
                                          const InputTransformer& transformer) {
  CompiledTemplate compiled;
  std::map<std::string, std::size_t, std::less<>> path_of;  // key → index into compiled.paths
  for (const auto& [key, path_text] : transformer.paths_map) {
    auto path = JsonPath::parse(path_text);
    if (!path.ok()) {
      return Error::invalid_argument(
          for_target("InputPathsMap", target, " contains an invalid JSONPath " + path_text + "."));
    }
    path_of[key] = compiled.paths.size();  // a repeated key: the last one wins, as in JSON
    compiled.paths.push_back(std::move(*path));
  }

  const std::string_view tmpl = transformer.input_template;
  std::size_t first = 0;
  while (first < tmpl.size() && is_blank(tmpl[first])) ++first;
  const bool json_template = first < tmpl.size() && tmpl[first] == '{';

  std::string probe;  // the template with placeholders read as JSON, for the validity check
  std::string literal;
  bool in_string = false, escaped = false;
  for (std::size_t i = 0; i < tmpl.size();) {
    const char c = tmpl[i];
    if (c == '<' && !escaped) {
      std::size_t end = i + 1;
      while (end < tmpl.size() && is_placeholder_char(tmpl[end])) ++end;
      if (end > i + 1 && end < tmpl.size() && tmpl[end] == '>') {
        const std::string_view name = tmpl.substr(i + 1, end - i - 1);
        CompiledTemplate::Placeholder p;
        p.as_text = !json_template || in_string;
        if (const auto found = path_of.find(name); found != path_of.end()) {
          p.variable = Variable::kPath;
          p.path_index = found->second;
        } else {
          bool predefined = false;
          for (const Predefined& d : kPredefined) {
            if (d.name == name) {
              p.variable = d.variable;
              predefined = true;
            }
          }
          if (!predefined) return invalid_placeholder(target, name);
          const bool object_valued =
              p.variable == Variable::kEventMetadata || p.variable == Variable::kEventJson;
          if (object_valued && p.as_text) return invalid_placeholder(target, name);
        }
        compiled.text.push_back(std::move(literal));
        literal.clear();
        compiled.placeholders.push_back(p);
        if (!p.as_text) probe += "null";
        i = end + 1;
        continue;
      }
    }
    if (json_template) {
      if (in_string) {
        if (escaped) {
          escaped = false;
        } else if (c == '\\') {
          escaped = true;
        } else if (c == '"') {
          in_string = false;
        }
      } else if (c == '"') {
        in_string = true;
      }
    }
    literal += c;
    probe += c;
    ++i;
  }
  compiled.text.push_back(std::move(literal));

  if (json_template && !is_json(probe)) {
    return Error::invalid_argument(
        for_target("InputTemplate", target, " is not a valid JSON text."));
  }
  return compiled;
}

// A value spliced into text: strings as they are, everything else as JSON
// without its quotes (spec §5.2's table).
void append_as_text(std::string& out, const boost::json::value* v) {
  if (v == nullptr) return;
  if (const auto* s = v->if_string()) {
    out.append(s->data(), s->size());
    return;
  }
  for (const char c : to_json(*v)) {
    if (c != '"') out += c;
  }
}

void append_as_value(std::string& out, const boost::json::value* v) {
  if (v == nullptr) {
    out += "\"\"";
    return;
  }
  append_json(out, *v);
}

// `<aws.events.event>`: the envelope without `detail`, `detail-type` renamed.
boost::json::value event_metadata(const boost::json::object& event) {
  boost::json::object out;
  for (const auto& member : event) {
    if (member.key() == "detail") continue;
    const boost::json::string_view key =
        member.key() == "detail-type" ? boost::json::string_view("detailType") : member.key();
    out[key] = member.value();
  }
  return out;
}

Result<boost::json::value> parse_event(std::string_view event_json) {
  boost::json::parse_options options;
  options.max_depth = kMaxParseDepth;
  boost::system::error_code ec;
  boost::json::value event = boost::json::parse(event_json, ec, {}, options);
  if (ec || !event.is_object()) return Error::invalid_argument("the event is not a JSON object");
  return event;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_blank(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_blank(s.back())) s.remove_suffix(1);
  return s;
}

Result<std::string> render_template(const CompiledTemplate& tmpl, std::string_view event_json,
                                    const DeliveryContext& context) {
  auto parsed = parse_event(event_json);
  if (!parsed.ok()) return parsed.error();
  const boost::json::value& event = *parsed;
  std::string out = tmpl.text.front();
  for (std::size_t i = 0; i < tmpl.placeholders.size(); ++i) {
    const auto& p = tmpl.placeholders[i];
    boost::json::value scratch;
    const boost::json::value* v = &scratch;
    switch (p.variable) {
      case Variable::kPath:
        v = tmpl.paths[p.path_index].find(event);
        break;
      case Variable::kRuleArn:
        scratch = boost::json::string(context.rule_arn);
        break;
      case Variable::kRuleName:
        scratch = boost::json::string(context.rule_name);
        break;
      case Variable::kIngestionTime:
        scratch = boost::json::string(format_event_time(context.ingestion_time));
        break;
      case Variable::kEventMetadata:
        scratch = event_metadata(event.get_object());
        break;
      case Variable::kEventJson:
        v = nullptr;
        out += trim(event_json);  // compiled only as a value outside strings
        break;
    }
    if (p.variable != Variable::kEventJson) {
      if (p.as_text) {
        append_as_text(out, v);
      } else {
        append_as_value(out, v);
      }
    }
    out += tmpl.text[i + 1];
  }
  return out;
}

}  // namespace

std::vector<std::string> target_input_violations(const TargetRef& target,
                                                 std::optional<std::string_view> input,
                                                 std::optional<std::string_view> input_path,
                                                 const InputTransformer* transformer) {
  std::vector<std::string> out;
  const std::string member = "targets." + std::to_string(target.index) + ".member.";
  if (input && java_length(*input) > kMaxInputLength) {
    out.push_back(
        constraint_violation(*input, member + "input", max_length_constraint(kMaxInputLength)));
  }
  if (input_path && java_length(*input_path) > kMaxInputPathLength) {
    out.push_back(constraint_violation(*input_path, member + "inputPath",
                                       max_length_constraint(kMaxInputPathLength)));
  }
  if (transformer != nullptr) {
    const auto& map = transformer->paths_map;
    const std::string map_path = member + "inputTransformer.inputPathsMap";
    bool bad_key = false, long_value = false;
    for (const auto& [key, value] : map) {
      bad_key = bad_key || !is_path_key(key);
      long_value = long_value || java_length(value) > kMaxInputPathLength;
    }
    if (map.size() > kMaxInputPathsMapEntries) {
      out.push_back(constraint_violation(java_map(map), map_path,
                                         max_length_constraint(kMaxInputPathsMapEntries)));
    }
    if (bad_key) {
      out.push_back(constraint_violation(
          java_map(map), map_path,
          "Map keys must satisfy constraint: [Member must satisfy regular expression pattern: " +
              std::string(kPathKeyRegex) + "]"));
    }
    if (long_value) {
      out.push_back(constraint_violation(java_map(map), map_path,
                                         "Map value must satisfy constraint: [" +
                                             max_length_constraint(kMaxInputPathLength) + "]"));
    }
    const std::string& tmpl = transformer->input_template;
    const std::string template_path = member + "inputTransformer.inputTemplate";
    const std::size_t length = java_length(tmpl);
    if (length < 1) {
      out.push_back(constraint_violation(tmpl, template_path, min_length_constraint(1)));
    }
    if (length > kMaxInputTemplateLength) {
      out.push_back(constraint_violation(tmpl, template_path,
                                         max_length_constraint(kMaxInputTemplateLength)));
    }
  }
  return out;
}

Result<TargetInput> parse_target_input(const TargetRef& target,
                                       std::optional<std::string_view> input,
                                       std::optional<std::string_view> input_path,
                                       const InputTransformer* transformer) {
  const auto violations = target_input_violations(target, input, input_path, transformer);
  if (!violations.empty()) return Error::invalid_argument(validation_message(violations));
  const int given = (input ? 1 : 0) + (input_path ? 1 : 0) + (transformer != nullptr ? 1 : 0);
  if (given > 1) {
    return Error::invalid_argument(
        "Only one of Input, InputPath, or InputTransformer must be "
        "provided for target " +
        std::string(target.id) + ".");
  }
  if (input) {
    if (!is_json(*input)) {
      return Error::invalid_argument(for_target("Input", target, " is not a valid JSON text."));
    }
    return TargetInput{ConstantInput{std::string(*input)}};
  }
  if (input_path) {
    auto path = JsonPath::parse(*input_path);
    if (!path.ok()) {
      return Error::invalid_argument(for_target("InputPath", target, " is not a valid JSONPath."));
    }
    return TargetInput{PathInput{std::move(*path)}};
  }
  if (transformer != nullptr) {
    auto compiled = compile_template(target, *transformer);
    if (!compiled.ok()) return compiled.error();
    return TargetInput{std::move(*compiled)};
  }
  return TargetInput{WholeEvent{}};
}

Result<std::string> render_target_input(const TargetInput& input, std::string_view event_json,
                                        const DeliveryContext& context) {
  if (std::holds_alternative<WholeEvent>(input)) return std::string(event_json);
  if (const auto* constant = std::get_if<ConstantInput>(&input)) return constant->json;
  if (const auto* path = std::get_if<PathInput>(&input)) {
    auto event = parse_event(event_json);
    if (!event.ok()) return event.error();
    const boost::json::value* found = path->path.find(*event);
    return found == nullptr ? std::string() : to_json(*found);
  }
  return render_template(std::get<CompiledTemplate>(input), event_json, context);
}

}  // namespace cloudlet::events
