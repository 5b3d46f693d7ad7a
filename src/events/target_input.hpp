// What a target receives (spec §5.1, §5.2): the whole event, a constant
// `Input`, the part of the event at an `InputPath`, or an `InputTransformer`
// template filled from the event.
//
// parse_target_input() runs at PutTargets and compiles the target's three
// members into a TargetInput that can only hold a valid choice: paths parsed,
// the template cut into literal text and placeholders, each placeholder
// resolved to a map entry or a predefined variable and marked as standing
// inside a JSON string or not. render_target_input() runs per delivery and
// cannot meet a bad configuration, only an event that lacks a path.
//
// Template rules (spec §5.2; our reading where AWS's is unconfirmed):
// - A template whose first non-blank character is `{` is a JSON template.
//   At PutTargets it must be valid JSON once every placeholder outside a
//   string is read as a value and every one inside a string as text (so a
//   placeholder cannot be an object key). At delivery a placeholder outside
//   a string becomes the value as JSON (a string quoted and escaped, a
//   missing path `""`); one inside a string becomes the value as text.
// - Any other template is a string template (usually a quoted JSON string,
//   `"<instance> is in state <state>"`): every placeholder becomes the value
//   as text, and the target receives the text, its quotes included.
// - "As text": a string is spliced in as it is, NOT escaped (AWS does not:
//   a value holding `"` can break the JSON, and AWS leaves it broken); a
//   number, boolean or null is its JSON text; an object or array is its
//   compact JSON with every `"` removed (`{acc_id:0a78}`, `[HIGH,LOW]`); a
//   missing path is empty.
// - A placeholder is `<name>` with name of `[A-Za-z0-9_.-]`; any other `<`
//   is literal text. Predefined: aws.events.rule-arn, aws.events.rule-name,
//   aws.events.event.ingestion-time (strings), aws.events.event (the
//   envelope without `detail`, `detail-type` renamed `detailType`) and
//   aws.events.event.json (the whole envelope). The last two only as a value
//   outside a string in a JSON template; elsewhere they are refused at
//   PutTargets as invalid placeholders [unconfirmed: AWS's docs say "never
//   inside a string" without saying what happens].
//
// Pure; thread-safe; TargetInput is immutable once built. Cost: rendering
// parses the event once (a whole-event or constant target: not at all) and
// is linear in the template plus the values it copies.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/result.hpp"
#include "events/json_path.hpp"

namespace cloudlet::events {

// PutTargets' `InputTransformer`, as sent.
struct InputTransformer {
  std::vector<std::pair<std::string, std::string>> paths_map;  // InputPathsMap, in request order
  std::string input_template;                                  // InputTemplate
};

inline constexpr std::size_t kMaxInputLength = 8192;
inline constexpr std::size_t kMaxInputPathLength = 256;
inline constexpr std::size_t kMaxInputTemplateLength = 8192;
inline constexpr std::size_t kMaxInputPathsMapEntries = 100;

// The compiled choice. Built only by parse_target_input().
struct WholeEvent {};
struct ConstantInput {
  std::string json;  // Input, verbatim
};
struct PathInput {
  JsonPath path;  // InputPath
};
struct CompiledTemplate {
  enum class Variable { kPath, kRuleArn, kRuleName, kIngestionTime, kEventMetadata, kEventJson };
  struct Placeholder {
    Variable variable = Variable::kPath;
    std::size_t path_index = 0;  // into `paths`, for kPath
    bool as_text = false;        // inside a JSON string, or in a string template
  };
  // Literal text and placeholders alternate: text[0] p[0] text[1] … p[n-1] text[n].
  std::vector<std::string> text;
  std::vector<Placeholder> placeholders;
  std::vector<JsonPath> paths;  // one per InputPathsMap entry used
};
using TargetInput = std::variant<WholeEvent, ConstantInput, PathInput, CompiledTemplate>;

// Which target the members belong to, for AWS's messages: `id` is the
// target's Id, `index` its 1-based position in PutTargets' `Targets` (the
// constraint messages' `targets.<index>.member.…`).
struct TargetRef {
  std::string_view id;
  std::size_t index = 1;
};

// The length and map constraints of the three members (spec §3.3, §4.7):
// one §3.3 violation text per broken constraint, in AWS's member order
// (input, inputPath, inputTransformer.inputPathsMap, .inputTemplate). For a
// caller that gathers the target's other violations (Id, Arn) into one
// ValidationException; parse_target_input() runs it first on its own.
std::vector<std::string> target_input_violations(const TargetRef& target,
                                                 std::optional<std::string_view> input,
                                                 std::optional<std::string_view> input_path,
                                                 const InputTransformer* transformer);

// PutTargets-time validation and compilation. Every error is kInvalidArgument
// whose message is the whole text of AWS's ValidationException:
// - the constraint violations above (`N validation errors detected: …`);
// - `Only one of Input, InputPath, or InputTransformer must be provided for
//   target <Id>.` [aws];
// - `Input for target <Id> is not a valid JSON text.` (AWS's text, seen
//   through CloudFormation);
// - `InputPath for target <Id> is not a valid JSONPath.` and
//   `InputPathsMap for target <Id> contains an invalid JSONPath <path>.`
//   [unconfirmed texts];
// - `InputTemplate for target <Id> contains invalid placeholder <name>.` [aws];
// - `InputTemplate for target <Id> is not a valid JSON text.` [unconfirmed].
// Neither member set: WholeEvent.
Result<TargetInput> parse_target_input(const TargetRef& target,
                                       std::optional<std::string_view> input,
                                       std::optional<std::string_view> input_path,
                                       const InputTransformer* transformer);

// What the predefined variables stand for at one delivery.
struct DeliveryContext {
  std::string_view rule_arn;
  std::string_view rule_name;
  std::chrono::sys_seconds ingestion_time{};  // when PutEvents took the event
};

// The body the target receives for `event_json` (an envelope from
// make_event_envelope). WholeEvent: the event verbatim; ConstantInput: the
// Input verbatim; PathInput: the value at the path as compact JSON, or an
// empty body when the event has no such value [unconfirmed: the spec does
// not say]; CompiledTemplate: the filled template (rules above). An event
// that is not a JSON object (never one from make_event_envelope) is
// kInvalidArgument, for the two kinds that must parse it.
Result<std::string> render_target_input(const TargetInput& input, std::string_view event_json,
                                        const DeliveryContext& context = {});

}  // namespace cloudlet::events
