#include "events/target_input.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <fstream>

#include "events/entry.hpp"

namespace cloudlet::events {
namespace {

using namespace std::chrono_literals;

// A refused value as the message repeats it: its first 1000 bytes and
// "..." when longer (aws_validation.hpp).
std::string echoed(const std::string& value) {
  return value.size() > 1000 ? value.substr(0, 1000) + "..." : value;
}

const TargetRef kTarget{"t1", 1};

// An event as the bus builds it (entry.hpp), with the values the spec's §5.2
// table and AWS's documentation examples use.
std::string test_event() {
  PutEventsEntry e;
  e.source = "com.srcecde.app";
  e.detail_type = "sampledata";
  e.resources = {"arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789"};
  e.detail = R"({"s":"text","q":"say \"hi\"","acc":{"acc_id":"0a78","sf_id":"baz"},)"
             R"("sev":["HIGH"],"states":["ACTIVE","INACTIVE"],"flag":true,"n":5,"nul":null,)"
             R"("instance":"i-0123456789","status":"RUNNING","f":1.0,"big":1e5})";
  return make_event_envelope(e, "7bf73129-1428-4cd3-a780-95db273d1602", "123456789012", "us-east-1",
                             std::chrono::sys_days{std::chrono::year{2026} / 11 / 28} + 5h);
}

const DeliveryContext kContext{"arn:aws:events:us-east-1:123456789012:rule/every-minute",
                               "every-minute",
                               std::chrono::sys_days{std::chrono::year{2026} / 11 / 28} + 5h + 1s};

std::string error_of(std::optional<std::string_view> input,
                     std::optional<std::string_view> input_path,
                     const InputTransformer* transformer) {
  auto parsed = parse_target_input(kTarget, input, input_path, transformer);
  EXPECT_FALSE(parsed.ok());
  if (parsed.ok()) return {};
  EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
  return parsed.error().message;
}

std::string template_error(InputTransformer t) { return error_of({}, {}, &t); }

std::string render(const InputTransformer& t, const std::string& event = test_event()) {
  auto parsed = parse_target_input(kTarget, {}, {}, &t);
  EXPECT_TRUE(parsed.ok()) << t.input_template << ": "
                           << (parsed.ok() ? "" : parsed.error().message);
  if (!parsed.ok()) return "<invalid>";
  auto out = render_target_input(*parsed, event, kContext);
  EXPECT_TRUE(out.ok());
  return out.ok() ? *out : "<render failed>";
}

InputTransformer with(std::string tmpl, std::vector<std::pair<std::string, std::string>> map = {}) {
  return InputTransformer{std::move(map), std::move(tmpl)};
}

bool accepts(const InputTransformer& t) { return parse_target_input(kTarget, {}, {}, &t).ok(); }

// --- which input --------------------------------------------------------------

TEST(TargetInput, NothingConfiguredSendsTheWholeEvent) {
  auto parsed = parse_target_input(kTarget, {}, {}, nullptr);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(std::holds_alternative<WholeEvent>(*parsed));
  const std::string event = test_event();
  EXPECT_EQ(*render_target_input(*parsed, event), event);
}

TEST(TargetInput, OnlyOneOfTheThreeMayBeGiven) {
  const InputTransformer t = with("\"x\"");
  const std::string expected =
      "Only one of Input, InputPath, or InputTransformer must be provided for target t1.";
  EXPECT_EQ(error_of("{}", "$", nullptr), expected);
  EXPECT_EQ(error_of("{}", {}, &t), expected);
  EXPECT_EQ(error_of({}, "$", &t), expected);
  EXPECT_EQ(error_of("{}", "$", &t), expected);
}

TEST(TargetInput, ConstraintViolationsComeFirstAndTogether) {
  const std::string long_input(8193, ' ');
  const std::string long_path = "$." + std::string(255, 'a');
  EXPECT_EQ(error_of(long_input, long_path, nullptr),
            "2 validation errors detected: Value '" + echoed(long_input) +
                "' at 'targets.1.member.input' failed to satisfy constraint: Member must have "
                "length less than or equal to 8192; Value '" +
                long_path +
                "' at 'targets.1.member.inputPath' failed to satisfy constraint: Member must have "
                "length less than or equal to 256");
  auto parsed = parse_target_input(TargetRef{"t9", 3}, long_input, {}, nullptr);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message.find("'targets.3.member.input'"), std::string::npos);
}

// --- Input ---------------------------------------------------------------------

TEST(TargetInput, ConstantInputIsSentVerbatim) {
  for (const char* input : {R"({"env": "dev"})", "[1, 2]", "\"text\"", "42", "null", " {} "}) {
    auto parsed = parse_target_input(kTarget, input, {}, nullptr);
    ASSERT_TRUE(parsed.ok()) << input;
    EXPECT_EQ(*render_target_input(*parsed, test_event()), input);
    EXPECT_EQ(*render_target_input(*parsed, "not even json"), input);
  }
}

TEST(TargetInput, InputMustBeValidJson) {
  for (const char* input : {"", "{", "{'a':1}", "NotJSON", "{} {}", "\"\xFF\""}) {
    EXPECT_EQ(error_of(input, {}, nullptr), "Input for target t1 is not a valid JSON text.")
        << input;
  }
}

TEST(TargetInput, InputIsAtMost8192Characters) {
  const std::string at_limit = "\"" + std::string(8190, 'x') + "\"";
  EXPECT_TRUE(parse_target_input(kTarget, at_limit, {}, nullptr).ok());
  const std::string over = "\"" + std::string(8191, 'x') + "\"";
  EXPECT_EQ(error_of(over, {}, nullptr),
            "1 validation error detected: Value '" + echoed(over) +
                "' at 'targets.1.member.input' failed to satisfy constraint: Member must have "
                "length less than or equal to 8192");
}

// --- InputPath -----------------------------------------------------------------

std::string render_path(std::string_view path) {
  auto parsed = parse_target_input(kTarget, {}, path, nullptr);
  EXPECT_TRUE(parsed.ok()) << path;
  if (!parsed.ok()) return "<invalid>";
  return *render_target_input(*parsed, test_event());
}

TEST(TargetInput, InputPathSendsThatPartOfTheEvent) {
  EXPECT_EQ(render_path("$.detail.acc"), R"({"acc_id":"0a78","sf_id":"baz"})");
  EXPECT_EQ(render_path("$.detail.s"), R"("text")");
  EXPECT_EQ(render_path("$.resources[0]"),
            R"("arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789")");
  EXPECT_EQ(render_path("$.detail-type"), R"("sampledata")");
  EXPECT_EQ(boost::json::parse(render_path("$")), boost::json::parse(test_event()));
}

TEST(TargetInput, InputPathWritesNumbersTheUsualWay) {
  EXPECT_EQ(render_path("$.detail.f"), "1.0");
  EXPECT_EQ(render_path("$.detail.big"), "100000.0");
  EXPECT_EQ(render_path("$.detail.n"), "5");
}

TEST(TargetInput, InputPathToNothingSendsAnEmptyBody) {
  EXPECT_EQ(render_path("$.detail.nope"), "");
  EXPECT_EQ(render_path("$.resources[5]"), "");
}

TEST(TargetInput, InputPathMustBeInTheSubset) {
  for (const char* path : {"detail", "$..a", "$['detail']", "$.detail.*", ""}) {
    EXPECT_EQ(error_of({}, path, nullptr), "InputPath for target t1 is not a valid JSONPath.")
        << path;
  }
  EXPECT_EQ(error_of({}, "$." + std::string(255, 'a'), nullptr),
            "1 validation error detected: Value '$." + std::string(255, 'a') +
                "' at 'targets.1.member.inputPath' failed to satisfy constraint: Member must have "
                "length less than or equal to 256");
}

TEST(TargetInput, RenderingAPathNeedsAJsonObjectEvent) {
  auto parsed = parse_target_input(kTarget, {}, "$", nullptr);
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(render_target_input(*parsed, "[1]").ok());
  EXPECT_FALSE(render_target_input(*parsed, "{").ok());
}

// --- InputTransformer: validation ----------------------------------------------

TEST(InputTransformerValidation, UnknownPlaceholdersAreRefused) {
  EXPECT_EQ(template_error(with("{\"k\": <nope>}", {{"v", "$.detail"}})),
            "InputTemplate for target t1 contains invalid placeholder nope.");
  EXPECT_EQ(template_error(with("\"<aws.events.rule>\"")),
            "InputTemplate for target t1 contains invalid placeholder aws.events.rule.");
  // Key names are case-sensitive.
  EXPECT_EQ(template_error(with("\"<V>\"", {{"v", "$.detail"}})),
            "InputTemplate for target t1 contains invalid placeholder V.");
}

TEST(InputTransformerValidation, WholeEventVariablesOnlyAsJsonValues) {
  for (const char* name : {"aws.events.event", "aws.events.event.json"}) {
    const std::string n = name;
    EXPECT_TRUE(accepts(with("{\"e\": <" + n + ">}")));
    const std::string expected =
        "InputTemplate for target t1 contains invalid placeholder " + n + ".";
    EXPECT_EQ(template_error(with("{\"e\": \"<" + n + ">\"}")), expected);
    EXPECT_EQ(template_error(with("\"<" + n + ">\"")), expected);
    EXPECT_EQ(template_error(with("<" + n + ">")), expected);
  }
}

TEST(InputTransformerValidation, JsonTemplatesMustBeJson) {
  const std::string expected = "InputTemplate for target t1 is not a valid JSON text.";
  const std::vector<std::pair<std::string, std::string>> map = {{"k", "$.detail.s"},
                                                                {"v", "$.detail.n"}};
  EXPECT_EQ(template_error(with("{<k>: 1}", map)), expected);  // a placeholder as a key
  EXPECT_EQ(template_error(with("{\"a\": <k> <v>}", map)), expected);
  EXPECT_EQ(template_error(with("{\"a\": 1<v>}", map)), expected);
  EXPECT_EQ(template_error(with("{\"a\": }", map)), expected);
  EXPECT_EQ(template_error(with("{\"a\": 1} trailing", map)), expected);
  EXPECT_EQ(template_error(with("{\"a\": \"<k>}", map)), expected);  // unclosed string
  // A quoted key may hold a placeholder; blanks may lead.
  EXPECT_TRUE(accepts(with("\n {\"<k>\": <v>}", map)));
  // Other templates are text and are not checked.
  EXPECT_TRUE(accepts(with("[<k>, \"<v>", map)));
}

TEST(InputTransformerValidation, PathsMapKeysAreWordCharactersAndDashes) {
  for (const char* key : {"aws.events.rule-arn", "a b", "", "k.x", "é"}) {
    const InputTransformer t = with("\"x\"", {{"ok", "$.a"}, {key, "$.b"}});
    EXPECT_EQ(template_error(t),
              "1 validation error detected: Value '{ok=$.a, " + std::string(key) +
                  "=$.b}' at 'targets.1.member.inputTransformer.inputPathsMap' failed to satisfy "
                  "constraint: Map keys must satisfy constraint: [Member must satisfy regular "
                  "expression pattern: [A-Za-z0-9\\_\\-]+]")
        << key;
  }
  EXPECT_EQ(render(with("\"<Az09_->\"", {{"Az09_-", "$.detail.s"}})), "\"text\"");
}

TEST(InputTransformerValidation, AtMost100PathsAndPathsAtMost256Characters) {
  std::vector<std::pair<std::string, std::string>> map;
  for (int i = 0; i < 100; ++i) map.emplace_back("k" + std::to_string(i), "$.detail");
  EXPECT_TRUE(accepts(with("\"x\"", map)));
  map.emplace_back("k100", "$.detail");
  const std::string message = template_error(with("\"x\"", map));
  EXPECT_TRUE(message.starts_with("1 validation error detected: Value '{k0=$.detail, k1=$.detail"));
  EXPECT_TRUE(
      message.ends_with("...' at 'targets.1.member.inputTransformer."
                        "inputPathsMap' failed to satisfy constraint: Member must have "
                        "length less than or equal to 100"));
  const std::string long_path = "$." + std::string(255, 'a');
  EXPECT_EQ(template_error(with("\"x\"", {{"k", long_path}})),
            "1 validation error detected: Value '{k=" + long_path +
                "}' at 'targets.1.member.inputTransformer.inputPathsMap' failed to satisfy "
                "constraint: Map value must satisfy constraint: [Member must have length less than "
                "or equal to 256]");
}

TEST(InputTransformerValidation, PathsMustBeInTheSubset) {
  EXPECT_EQ(template_error(with("\"<k>\"", {{"k", "$.detail['a']"}})),
            "InputPathsMap for target t1 contains an invalid JSONPath $.detail['a'].");
  // Even a path no placeholder uses.
  EXPECT_EQ(template_error(with("\"x\"", {{"unused", "detail"}})),
            "InputPathsMap for target t1 contains an invalid JSONPath detail.");
}

TEST(InputTransformerValidation, TemplateIsOneTo8192Characters) {
  EXPECT_EQ(template_error(with("")),
            "1 validation error detected: Value '' at 'targets.1.member.inputTransformer."
            "inputTemplate' failed to satisfy constraint: Member must have length greater than or "
            "equal to 1");
  const std::string over(8193, 'x');
  EXPECT_EQ(template_error(with(over)),
            "1 validation error detected: Value '" + echoed(over) +
                "' at 'targets.1.member.inputTransformer.inputTemplate' failed to satisfy "
                "constraint: Member must have length less than or equal to 8192");
  EXPECT_TRUE(accepts(with(std::string(8192, 'x'))));
}

// --- InputTransformer: rendering -----------------------------------------------

// Cases written from the spec's §5.2 table and AWS's documentation examples
// (testdata/README.md).
TEST(InputTransformerRendering, SpecTableCases) {
  std::ifstream in(std::string(CLOUDLET_EVENTS_TESTDATA) + "/input_transformer_cases.jsonl");
  ASSERT_TRUE(in.good());
  std::string line;
  int cases = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto c = boost::json::parse(line).as_object();
    InputTransformer t;
    for (const auto& [key, path] : c.at("paths").as_object()) {
      t.paths_map.emplace_back(key, path.as_string());
    }
    t.input_template = c.at("template").as_string();
    EXPECT_EQ(render(t), std::string(c.at("expect").as_string())) << c.at("name").as_string();
    ++cases;
  }
  EXPECT_EQ(cases, 24);
}

TEST(InputTransformerRendering, PredefinedRuleVariables) {
  EXPECT_EQ(
      render(with("{\"arn\": <aws.events.rule-arn>, \"name\": \"rule <aws.events.rule-name>\", "
                  "\"at\": <aws.events.event.ingestion-time>}")),
      "{\"arn\": \"arn:aws:events:us-east-1:123456789012:rule/every-minute\", \"name\": "
      "\"rule every-minute\", \"at\": \"2026-11-28T05:00:01Z\"}");
  EXPECT_EQ(render(with("\"<aws.events.rule-name> at <aws.events.event.ingestion-time>\"")),
            "\"every-minute at 2026-11-28T05:00:01Z\"");
}

TEST(InputTransformerRendering, EventVariableDropsDetailAndRenamesDetailType) {
  const auto out = boost::json::parse(render(with("{\"e\": <aws.events.event>}"))).as_object();
  const auto& e = out.at("e").as_object();
  std::vector<std::string> keys;
  for (const auto& m : e) keys.emplace_back(m.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"version", "id", "detailType", "source", "account",
                                            "time", "region", "resources"}));
  EXPECT_EQ(e.at("detailType"), "sampledata");
}

TEST(InputTransformerRendering, EventJsonVariableIsTheWholeEnvelope) {
  const std::string event = test_event();
  EXPECT_EQ(render(with("{\"e\": <aws.events.event.json>}")), "{\"e\": " + event + "}");
}

TEST(InputTransformerRendering, NumbersAreWrittenTheUsualWay) {
  EXPECT_EQ(
      render(with("{\"a\": <f>, \"b\": <big>}", {{"f", "$.detail.f"}, {"big", "$.detail.big"}})),
      "{\"a\": 1.0, \"b\": 100000.0}");
}

TEST(InputTransformerRendering, TheSamePlaceholderMayRepeat) {
  EXPECT_EQ(render(with("\"<v><v> <v>\"", {{"v", "$.detail.n"}})), "\"55 5\"");
}

TEST(InputTransformerRendering, EscapedQuotesDoNotEndATemplateString) {
  // `\"` inside a string keeps the placeholder inside it: spliced as text.
  EXPECT_EQ(render(with(R"({"k": "x\"<v>\"", "m": <v>})", {{"v", "$.detail.s"}})),
            R"({"k": "x\"text\"", "m": "text"})");
  EXPECT_EQ(render(with(R"({"k": "x\\", "m": <v>})", {{"v", "$.detail.s"}})),
            R"({"k": "x\\", "m": "text"})");
}

TEST(InputTransformerRendering, AngleBracketsThatAreNotPlaceholdersAreText) {
  EXPECT_EQ(render(with("\"a < b, <> and </b> and <a b> stay; <v>\"", {{"v", "$.detail.s"}})),
            "\"a < b, <> and </b> and <a b> stay; text\"");
}

TEST(InputTransformerRendering, ALaterDuplicateKeyWins) {
  EXPECT_EQ(render(with("\"<v>\"", {{"v", "$.detail.s"}, {"v", "$.detail.n"}})), "\"5\"");
}

TEST(InputTransformerRendering, StringsSplicedAsTextAreNotEscaped) {
  // Control characters and backslashes come through raw, as AWS leaves them.
  PutEventsEntry e;
  e.source = "s";
  e.detail_type = "t";
  e.detail = R"({"v":"a\\b\nc","o":{"k":"q\"x"}})";
  const std::string event = make_event_envelope(e, "id", "1", "r", std::chrono::sys_seconds{});
  EXPECT_EQ(render(with("\"<v>\"", {{"v", "$.detail.v"}}), event), "\"a\\b\nc\"");
  EXPECT_EQ(render(with("{\"k\": <v>}", {{"v", "$.detail.v"}}), event), R"({"k": "a\\b\nc"})");
  // Quotes go from an object's text, the escaping backslash stays.
  EXPECT_EQ(render(with("\"<o>\"", {{"o", "$.detail.o"}}), event), R"("{k:q\x}")");
}

TEST(InputTransformerRendering, ValidJsonTemplateWithPlainValuesGivesJson) {
  // Whatever the values, a JSON template that passed validation gives JSON as
  // long as no string spliced as text holds a quote, backslash or control.
  const std::vector<std::pair<std::string, std::string>> map = {
      {"s", "$.detail.s"},     {"acc", "$.detail.acc"}, {"sev", "$.detail.sev"},
      {"n", "$.detail.n"},     {"no", "$.detail.nope"}, {"flag", "$.detail.flag"},
      {"nul", "$.detail.nul"}, {"r", "$.resources"}};
  for (const char* tmpl : {
           R"({"a": <s>, "b": "<s>", "c": [<acc>, <sev>, <n>, <no>, <flag>, <nul>, <r>]})",
           R"({"x": "<acc> <sev> <n> <no> <flag> <nul> <r>", "y": {"z": <aws.events.event>}})",
           R"({"w": <aws.events.event.json>, "v": "<aws.events.rule-arn>"})",
       }) {
    const std::string out = render(with(tmpl, map));
    boost::system::error_code ec;
    (void)boost::json::parse(out, ec);
    EXPECT_FALSE(ec) << tmpl << " gave " << out;
  }
}

TEST(InputTransformerRendering, NeedsAJsonObjectEvent) {
  const InputTransformer owned = with("\"x\"");
  auto parsed = parse_target_input(kTarget, {}, {}, &owned);
  ASSERT_TRUE(parsed.ok());
  EXPECT_FALSE(render_target_input(*parsed, "[]").ok());
  EXPECT_FALSE(render_target_input(*parsed, "").ok());
}

}  // namespace
}  // namespace cloudlet::events
