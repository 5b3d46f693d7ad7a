#include "events/entry.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <fstream>
#include <sstream>

namespace cloudlet::events {
namespace {

using std::chrono::sys_days;
using std::chrono::sys_seconds;
using namespace std::chrono_literals;

boost::json::value json(std::string_view text) { return boost::json::parse(text); }

// The body of a captured request (testdata/*.http: headers, a blank line, the body).
std::string captured_body(const std::string& name) {
  std::ifstream in(std::string(CLOUDLET_EVENTS_TESTDATA) + "/" + name, std::ios::binary);
  std::stringstream raw;
  raw << in.rdbuf();
  const std::string text = raw.str();
  const std::size_t blank = text.find("\r\n\r\n");
  EXPECT_NE(blank, std::string::npos) << name;
  return blank == std::string::npos ? std::string() : text.substr(blank + 4);
}

std::string request_error(std::string_view body) {
  auto parsed = parse_put_events_request(json(body));
  EXPECT_FALSE(parsed.ok()) << body;
  if (parsed.ok()) return {};
  EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument);
  return parsed.error().message;
}

std::vector<PutEventsEntry> entries_of(std::string_view body) {
  EXPECT_TRUE(check_put_events_shape(json(body)).ok()) << body;
  auto parsed = parse_put_events_request(json(body));
  EXPECT_TRUE(parsed.ok()) << body << ": " << (parsed.ok() ? "" : parsed.error().message);
  return parsed.ok() ? *parsed : std::vector<PutEventsEntry>{};
}

PutEventsEntry valid_entry() {
  PutEventsEntry e;
  e.source = "com.srcecde.app";
  e.detail_type = "sampledata";
  e.detail = R"({"name":"trigger_usermgmt_op4_db_postgres"})";
  return e;
}

std::string entries_json(std::size_t n) {
  std::string body = R"({"Entries":[)";
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) body += ',';
    body += R"({"Source":"s","DetailType":"t","Detail":"{}"})";
  }
  return body + "]}";
}

// --- the request -------------------------------------------------------------

TEST(PutEventsRequest, ReadsWhatTheAwsCliSends) {
  for (const char* capture :
       {"awscli-2.9.19_events-put-events.http", "awscli-1.45.11_events-put-events.http"}) {
    const auto entries = entries_of(captured_body(capture));
    ASSERT_EQ(entries.size(), 1u) << capture;
    const PutEventsEntry& e = entries[0];
    EXPECT_EQ(e.source, "com.srcecde.app");
    EXPECT_EQ(e.detail_type, "sampledata");
    EXPECT_EQ(e.detail, R"({"name":"trigger_usermgmt_op4_db_postgres"})");
    EXPECT_TRUE(e.resources.empty());
    EXPECT_FALSE(e.time.has_value());
    EXPECT_FALSE(e.trace_header.has_value());
    EXPECT_FALSE(validate_entry(e).has_value()) << capture;
  }
  EXPECT_EQ(entries_of(captured_body("awscli-2.9.19_events-put-events.http"))[0].event_bus_name,
            "default");
  EXPECT_FALSE(
      entries_of(captured_body("awscli-1.45.11_events-put-events.http"))[0].event_bus_name);
}

TEST(PutEventsRequest, ReadsEveryMember) {
  const auto entries = entries_of(
      R"({"Entries":[{"Source":"a","DetailType":"b","Detail":"{}","Resources":["r1","r2"],)"
      R"("Time":1700000000,"EventBusName":"bus","TraceHeader":"Root=1"}],"EndpointId":"x"})");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0].resources, (std::vector<std::string>{"r1", "r2"}));
  EXPECT_EQ(entries[0].time, sys_seconds{1700000000s});
  EXPECT_EQ(entries[0].event_bus_name, "bus");
  EXPECT_EQ(entries[0].trace_header, "Root=1");
}

TEST(PutEventsRequest, ReadsJsonNullAsAbsentAndIgnoresUnknownMembers) {
  const auto entries = entries_of(
      R"({"Entries":[{"Source":null,"DetailType":null,"Detail":null,"Resources":null,)"
      R"("Time":null,"EventBusName":null,"TraceHeader":null,"Unknown":{"x":1}}],"Other":1})");
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_FALSE(entries[0].source || entries[0].detail_type || entries[0].detail ||
               entries[0].time || entries[0].event_bus_name || entries[0].trace_header);
  EXPECT_TRUE(entries[0].resources.empty());
}

TEST(PutEventsRequest, MissingEntriesMustNotBeNull) {
  const std::string expected =
      "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member "
      "must not be null";
  EXPECT_EQ(request_error("{}"), expected);
  EXPECT_EQ(request_error(R"({"Entries":null})"), expected);
}

TEST(PutEventsRequest, EmptyEntriesAreTooShort) {
  EXPECT_EQ(request_error(R"({"Entries":[]})"),
            "1 validation error detected: Value '[]' at 'entries' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1");
}

TEST(PutEventsRequest, TenEntriesPassAndElevenFail) {
  EXPECT_EQ(entries_of(entries_json(10)).size(), 10u);
  const std::string message = request_error(entries_json(11));
  // AWS echoes its own rendering of the entries: compare prefix and suffix (spec §4.1).
  EXPECT_TRUE(message.starts_with("1 validation error detected: Value '[")) << message;
  EXPECT_TRUE(
      message.ends_with("]' at 'entries' failed to satisfy constraint: Member must have "
                        "length less than or equal to 10"))
      << message;
}

TEST(PutEventsRequest, TraceHeaderIsOneTo500Characters) {
  const auto body = [](std::string_view trace) {
    return R"({"Entries":[{"Source":"s","DetailType":"t","Detail":"{}"},)"
           R"({"Source":"s","TraceHeader":")" +
           std::string(trace) + R"("}]})";
  };
  EXPECT_EQ(entries_of(body(std::string(500, 'x'))).size(), 2u);
  EXPECT_EQ(request_error(body(std::string(501, 'x'))),
            "1 validation error detected: Value '" + std::string(501, 'x') +
                "' at 'entries.2.member.traceHeader' failed to satisfy constraint: Member must "
                "have length less than or equal to 500");
  EXPECT_EQ(request_error(body("")),
            "1 validation error detected: Value '' at 'entries.2.member.traceHeader' failed to "
            "satisfy constraint: Member must have length greater than or equal to 1");
  // Java counts UTF-16 units: 250 emoji are 500 units (1000 bytes) and pass.
  std::string emoji;
  for (int i = 0; i < 250; ++i) emoji += "\xF0\x9F\x98\x80";
  EXPECT_EQ(entries_of(body(emoji)).size(), 2u);
  EXPECT_FALSE(parse_put_events_request(json(body(emoji + "x"))).ok());
}

TEST(PutEventsRequest, SeveralViolationsAreReportedTogether) {
  std::string body = R"({"Entries":[)";
  for (int i = 0; i < 11; ++i) body += R"({"TraceHeader":""},)";
  body.back() = ']';
  body += '}';
  const std::string message = request_error(body);
  EXPECT_TRUE(message.starts_with("12 validation errors detected: Value '[")) << message;
  EXPECT_NE(message.find("length less than or equal to 10; Value '' at "
                         "'entries.1.member.traceHeader'"),
            std::string::npos)
      << message;
  EXPECT_TRUE(
      message.ends_with("'entries.11.member.traceHeader' failed to satisfy constraint: "
                        "Member must have length greater than or equal to 1"));
}

TEST(PutEventsRequest, WrongJsonTypesAreShapeErrors) {
  for (const char* body : {
           R"([])",
           R"("Entries")",
           R"({"Entries":"x"})",
           R"({"Entries":{}})",
           R"({"Entries":[1]})",
           R"({"Entries":[null]})",
           R"({"Entries":[{"Source":1}]})",
           R"({"Entries":[{"DetailType":true}]})",
           R"({"Entries":[{"Detail":{"a":1}}]})",
           R"({"Entries":[{"EventBusName":[]}]})",
           R"({"Entries":[{"TraceHeader":2}]})",
           R"({"Entries":[{"Resources":"r"}]})",
           R"({"Entries":[{"Resources":["r",null]}]})",
           R"({"Entries":[{"Time":true}]})",
           R"({"Entries":[{"Time":"yesterday"}]})",
           R"({"Entries":[{"Time":1e20}]})",
       }) {
    const Status shape = check_put_events_shape(json(body));
    ASSERT_FALSE(shape.ok()) << body;
    EXPECT_EQ(shape.error().code, ErrorCode::kInvalidArgument);
    // parse_put_events_request refuses it as well, with the same text.
    auto parsed = parse_put_events_request(json(body));
    ASSERT_FALSE(parsed.ok()) << body;
    EXPECT_EQ(parsed.error().message, shape.error().message);
  }
}

TEST(PutEventsRequest, ShapeErrorsNameTheMember) {
  EXPECT_EQ(check_put_events_shape(json(R"({"Entries":[{},{"Source":1}]})")).error().message,
            "Entries[1].Source must be a string");
}

std::optional<sys_seconds> time_of(std::string_view time_json) {
  auto parsed =
      parse_put_events_request(json(R"({"Entries":[{"Time":)" + std::string(time_json) + "}]}"));
  if (!parsed.ok()) return std::nullopt;
  EXPECT_TRUE((*parsed)[0].time.has_value());
  return (*parsed)[0].time;
}

TEST(PutEventsRequest, TimeIsEpochSecondsWithTheFractionDropped) {
  EXPECT_EQ(time_of("1700000000"), sys_seconds{1700000000s});
  EXPECT_EQ(time_of("1700000000.999"), sys_seconds{1700000000s});
  EXPECT_EQ(time_of("0"), sys_seconds{0s});
  EXPECT_EQ(time_of("-0.5"), sys_seconds{-1s});  // floor, as the seconds before it
  EXPECT_EQ(time_of("253402300799"), sys_seconds{253402300799s});  // 9999-12-31T23:59:59Z
  EXPECT_FALSE(time_of("253402300800"));
  EXPECT_FALSE(time_of("18446744073709551615"));
}

TEST(PutEventsRequest, TimeAcceptsIso8601Leniently) {
  const sys_seconds noon = sys_days{std::chrono::year{2024} / 1 / 1} + 12h;
  EXPECT_EQ(time_of(R"("2024-01-01T12:00:00Z")"), noon);
  EXPECT_EQ(time_of(R"("2024-01-01t12:00:00z")"), noon);
  EXPECT_EQ(time_of(R"("2024-01-01 12:00:00")"), noon);
  EXPECT_EQ(time_of(R"("2024-01-01T12:00:00.123456Z")"), noon);
  EXPECT_EQ(time_of(R"("2024-01-01T14:30:00+02:30")"), noon);
  EXPECT_EQ(time_of(R"("2024-01-01T07:00:00-0500")"), noon);
  EXPECT_EQ(time_of(R"("2024-02-29T00:00:00Z")"), sys_days{std::chrono::year{2024} / 2 / 29});
  for (const char* bad :
       {R"("2023-02-29T00:00:00Z")", R"("2024-13-01T00:00:00Z")", R"("2024-01-01T24:00:00Z")",
        R"("2024-01-01T00:60:00Z")", R"("2024-01-01T00:00:60Z")", R"("0000-01-01T00:00:00Z")",
        R"("2024-01-01")", R"("2024-01-01T00:00:00.Z")", R"("2024-01-01T00:00:00+2")",
        R"("2024-01-01T00:00:00Zjunk")", R"("2024-01-01X00:00:00Z")", R"("")"}) {
    EXPECT_FALSE(time_of(bad)) << bad;
  }
}

// --- size --------------------------------------------------------------------

TEST(EntrySize, CountsTheSpecsMembersInUtf8Bytes) {
  PutEventsEntry e;
  EXPECT_EQ(entry_size(e), 0u);
  e.source = "com.srcecde.app";                                 // 15
  e.detail_type = "sampledata";                                 // 10
  e.detail = R"({"name":"trigger_usermgmt_op4_db_postgres"})";  // 43
  EXPECT_EQ(entry_size(e), 15u + 10u + 43u);
  e.time = sys_seconds{0s};
  EXPECT_EQ(entry_size(e), 14u + 15u + 10u + 43u);
  e.resources = {"arn:aws:s3:::b", "\xC3\xA9"};  // 14 + 2 (é is two bytes)
  EXPECT_EQ(entry_size(e), 14u + 15u + 10u + 43u + 14u + 2u);
  e.event_bus_name = "a-long-bus-name";  // not counted
  e.trace_header = "Root=1-abc";         // not counted
  EXPECT_EQ(entry_size(e), 14u + 15u + 10u + 43u + 14u + 2u);
}

TEST(EntrySize, ExactlyTheLimitPassesAndOneByteMoreFails) {
  // Ten entries of 2 + 104,855 bytes make 1,048,570; a 6-byte resource makes
  // 1,048,576, the default limit itself.
  std::vector<PutEventsEntry> entries(10);
  for (auto& e : entries) {
    e.source = "s";
    e.detail_type = "t";
    e.detail = "{\"k\":\"" + std::string(104847, 'x') + "\"}";
  }
  EXPECT_EQ(entry_size(entries[0]), 104857u);
  entries[0].resources = {"123456"};
  ASSERT_EQ(request_size(entries), 1048576u);
  EXPECT_TRUE(check_request_size(entries).ok());
  EXPECT_TRUE(check_request_size(entries, kDefaultMaxPutEventsBytes).ok());
  entries[0].resources[0] += "7";
  ASSERT_EQ(request_size(entries), 1048577u);
  const Status over = check_request_size(entries);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(over.error().message, "Total size of the entries in the request is over the limit.");
}

TEST(EntrySize, TheLimitIsASetting) {
  // AWS's limit before January 2026: 262,144 bytes.
  std::vector<PutEventsEntry> entries(1);
  entries[0].detail = std::string(262144 - 14, 'x');
  entries[0].time = sys_seconds{0s};
  EXPECT_TRUE(check_request_size(entries, 262144).ok());
  entries[0].source = "s";
  EXPECT_FALSE(check_request_size(entries, 262144).ok());
  EXPECT_TRUE(check_request_size(entries).ok());
}

// --- per-entry checks --------------------------------------------------------

void expect_entry_error(const PutEventsEntry& e, std::string_view code, std::string_view message) {
  const auto error = validate_entry(e);
  ASSERT_TRUE(error.has_value()) << message;
  EXPECT_EQ(error->code, code);
  EXPECT_EQ(error->message, message);
}

TEST(ValidateEntry, AValidEntryPasses) { EXPECT_FALSE(validate_entry(valid_entry())); }

TEST(ValidateEntry, RequiredMembersHaveAwsTexts) {
  PutEventsEntry e = valid_entry();
  e.source.reset();
  expect_entry_error(e, "InvalidArgument",
                     "Parameter Source is not valid. Reason: Source is a required argument.");
  e = valid_entry();
  e.detail_type.reset();
  expect_entry_error(
      e, "InvalidArgument",
      "Parameter DetailType is not valid. Reason: DetailType is a required argument.");
  e = valid_entry();
  e.detail.reset();
  expect_entry_error(e, "InvalidArgument",
                     "Parameter Detail is not valid. Reason: Detail is a required argument.");
  e = valid_entry();
  e.source = "";
  expect_entry_error(e, "InvalidArgument",
                     "Parameter Source is not valid. Reason: Source is a required argument.");
}

TEST(ValidateEntry, ChecksComeInTheSpecsOrder) {
  PutEventsEntry e;
  e.detail = "NotJSON";
  expect_entry_error(e, "InvalidArgument",
                     "Parameter Source is not valid. Reason: Source is a required argument.");
  e.source = "aws.events";  // a reserved source, but DetailType is missing first
  expect_entry_error(
      e, "InvalidArgument",
      "Parameter DetailType is not valid. Reason: DetailType is a required argument.");
  e.detail_type = "t";
  expect_entry_error(e, "MalformedDetail", "Detail is malformed.");
}

TEST(ValidateEntry, DetailMustBeAJsonObject) {
  // The four AWS-observed rejections (spec §1.2), and a few more.
  for (const char* detail : {"[]", "NotJSON", "{{}", R"("{}")", "1", "null", "{} {}", R"({"a":1,})",
                             "{\"a\":\"\x01\"}", "{\"a\":\"\xFF\"}", " "}) {
    PutEventsEntry e = valid_entry();
    e.detail = detail;
    expect_entry_error(e, "MalformedDetail", "Detail is malformed.");
  }
  for (const char* detail : {"{}", " {\"a\": [1, {\"b\": null}]}\n", R"({"n":300.0,"m":1e400})"}) {
    PutEventsEntry e = valid_entry();
    e.detail = detail;
    EXPECT_FALSE(validate_entry(e)) << detail;
  }
}

TEST(ValidateEntry, DetailMayNestUpTo1100Levels) {
  const auto nested = [](int levels) {
    std::string d;
    for (int i = 0; i < levels; ++i) d += i == 0 ? "{\"a\":" : "[";
    d += "0";
    for (int i = levels - 1; i >= 0; --i) d += i == 0 ? "}" : "]";
    return d;
  };
  PutEventsEntry e = valid_entry();
  e.detail = nested(1100);
  EXPECT_FALSE(validate_entry(e));
  e.detail = nested(1101);
  expect_entry_error(e, "MalformedDetail", "Detail is malformed.");
}

TEST(ValidateEntry, DetailTypeIsAtMost128Characters) {
  PutEventsEntry e = valid_entry();
  e.detail_type = std::string(128, 't');
  EXPECT_FALSE(validate_entry(e));
  e.detail_type = std::string(129, 't');
  expect_entry_error(
      e, "InvalidArgument",
      "Parameter DetailType is not valid. Reason: DetailType is longer than 128 characters.");
}

TEST(ValidateEntry, CustomSourcesMayNotStartWithAws) {
  PutEventsEntry e = valid_entry();
  e.source = "aws.ec2";
  expect_entry_error(e, "NotAuthorizedForSourceException", "Not authorized for the source.");
  e.source = "awsome.app";
  EXPECT_FALSE(validate_entry(e));
  e.source = "AWS.ec2";  // the reserved prefix is lower-case
  EXPECT_FALSE(validate_entry(e));
}

// --- the envelope --------------------------------------------------------------

constexpr std::string_view kId = "7bf73129-1428-4cd3-a780-95db273d1602";
const sys_seconds kNow = sys_days{std::chrono::year{2026} / 11 / 28} + 5h + 27min + 29s;

TEST(EventEnvelope, HasAwsMembersInAwsOrder) {
  const std::string text =
      make_event_envelope(valid_entry(), kId, "123456789012", "us-east-1", kNow);
  EXPECT_EQ(text,
            R"({"version":"0","id":"7bf73129-1428-4cd3-a780-95db273d1602",)"
            R"("detail-type":"sampledata","source":"com.srcecde.app","account":"123456789012",)"
            R"("time":"2026-11-28T05:27:29Z","region":"us-east-1","resources":[],)"
            R"("detail":{"name":"trigger_usermgmt_op4_db_postgres"}})");
  const auto parsed = json(text);
  ASSERT_TRUE(parsed.is_object());
  std::vector<std::string> keys;
  for (const auto& m : parsed.get_object()) keys.emplace_back(m.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"version", "id", "detail-type", "source", "account",
                                            "time", "region", "resources", "detail"}));
}

TEST(EventEnvelope, UsesTheEntrysTimeAndResources) {
  PutEventsEntry e = valid_entry();
  e.time = sys_days{std::chrono::year{2024} / 1 / 1};
  e.resources = {"arn:aws:s3:::a", "b"};
  const auto parsed = json(make_event_envelope(e, kId, "123456789012", "eu-west-1", kNow));
  EXPECT_EQ(parsed.at("time"), "2024-01-01T00:00:00Z");
  EXPECT_EQ(parsed.at("region"), "eu-west-1");
  EXPECT_EQ(parsed.at("resources"), json(R"(["arn:aws:s3:::a","b"])"));
}

TEST(EventEnvelope, KeepsDetailAsTheSenderWroteIt) {
  PutEventsEntry e = valid_entry();
  e.detail = "  {\"n\": 300.0, \"big\": 12345678901234567890123}\n";
  const std::string text = make_event_envelope(e, kId, "123456789012", "us-east-1", kNow);
  EXPECT_TRUE(text.ends_with(R"("detail":{"n": 300.0, "big": 12345678901234567890123}})")) << text;
  EXPECT_TRUE(json(text).at("detail").is_object());
}

TEST(EventEnvelope, EscapesStrings) {
  PutEventsEntry e = valid_entry();
  e.source = "a\"b\\c\n\x01";
  e.detail_type = "\xC3\xA9t\xC3\xA9";
  const auto parsed = json(make_event_envelope(e, kId, "123456789012", "us-east-1", kNow));
  EXPECT_EQ(parsed.at("source"), "a\"b\\c\n\x01");
  EXPECT_EQ(parsed.at("detail-type"), "\xC3\xA9t\xC3\xA9");
}

TEST(EventEnvelope, IsAlwaysAJsonObjectEvenForAnInvalidEntry) {
  PutEventsEntry e;
  e.detail = "[1]";
  const auto parsed = json(make_event_envelope(e, kId, "1", "r", kNow));
  EXPECT_EQ(parsed.at("source"), "");
  EXPECT_EQ(parsed.at("detail"), json("{}"));
}

}  // namespace
}  // namespace cloudlet::events
