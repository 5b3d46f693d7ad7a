// Schedule expressions: the conformance file, a differential test against a
// brute-force reference built from the field semantics, rate anchoring, and
// one invalid expression per validation rule.
#include "events/schedule.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace cloudlet::events {
namespace {

using namespace std::chrono;

sys_seconds parse_instant(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  EXPECT_EQ(std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%dZ", &y, &mo, &d, &h, &mi, &s), 6) << text;
  return sys_days(year(y) / month(static_cast<unsigned>(mo)) / day(static_cast<unsigned>(d))) +
         hours(h) + minutes(mi) + seconds(s);
}

std::string format_instant(sys_seconds t) {
  std::time_t raw = system_clock::to_time_t(t);
  std::tm parts{};
  gmtime_r(&raw, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
  return text;
}

TEST(ScheduleConformance, EveryLineOfSchedulesJsonl) {
  std::ifstream file(std::string(CLOUDLET_EVENTS_TESTDATA) + "/schedules.jsonl");
  ASSERT_TRUE(file) << "missing testdata";
  std::string line;
  int cases = 0;
  while (std::getline(file, line)) {
    if (line.empty()) continue;
    ++cases;
    auto doc = boost::json::parse(line).as_object();
    std::string name(doc.at("name").as_string());
    std::string expression(doc.at("expression").as_string());
    auto parsed = parse_schedule(expression);
    if (doc.at("expect").as_string() == "invalid") {
      ASSERT_FALSE(parsed.ok()) << name;
      EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument) << name;
      EXPECT_EQ(parsed.error().message, "Parameter ScheduleExpression is not valid.") << name;
      continue;
    }
    ASSERT_TRUE(parsed.ok()) << name << ": " << expression;
    if (auto* interval = doc.if_contains("interval_seconds")) {
      const auto& rate = std::get<RateSchedule>(parsed.value().kind);
      EXPECT_EQ(rate.interval.count(), interval->as_int64()) << name;
      continue;
    }
    sys_seconds t = parse_instant(std::string(doc.at("start").as_string()));
    for (const auto& expected : doc.at("next").as_array()) {
      auto next = next_fire_after(parsed.value(), t, t);
      ASSERT_TRUE(next.has_value()) << name;
      EXPECT_EQ(format_instant(*next), std::string(expected.as_string())) << name;
      t = *next;
    }
    if (doc.at("next").as_array().size() < 5) {
      EXPECT_FALSE(next_fire_after(parsed.value(), t, t).has_value()) << name;
    }
  }
  EXPECT_GT(cases, 100);
}

// ---- brute-force reference ------------------------------------------------
//
// A random expression is generated together with the predicate it means,
// written straight from spec §6.2; the reference then walks minute by minute.

struct Reference {
  std::string text;
  std::function<bool(int)> contains;
};

std::mt19937 rng(12345);  // fixed seed: failures reproduce
int uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

// A random list of values, ranges (possibly wrapped) and steps over [lo, hi].
Reference random_simple_field(int lo, int hi, bool allow_step, bool allow_star) {
  if (allow_star && uniform(0, 3) == 0) return {"*", [](int) { return true; }};
  std::vector<std::function<bool(int)>> parts;
  std::string text;
  int items = uniform(1, 3);
  for (int i = 0; i < items; ++i) {
    if (!text.empty()) text += ",";
    int kind = uniform(0, allow_step ? 3 : 1);
    int a = uniform(lo, hi);
    int b = uniform(lo, hi);
    int n = uniform(1, 7);
    switch (kind) {
      case 0:
        text += std::to_string(a);
        parts.push_back([a](int v) { return v == a; });
        break;
      case 1:  // range, wrapping when a > b
        text += std::to_string(a) + "-" + std::to_string(b);
        parts.push_back([a, b](int v) { return a <= b ? (v >= a && v <= b) : (v >= a || v <= b); });
        break;
      case 2:
        text += std::to_string(a) + "/" + std::to_string(n);
        parts.push_back([a, n](int v) { return v >= a && (v - a) % n == 0; });
        break;
      default:
        if (a > b) std::swap(a, b);
        text += std::to_string(a) + "-" + std::to_string(b) + "/" + std::to_string(n);
        parts.push_back([a, b, n](int v) { return v >= a && v <= b && (v - a) % n == 0; });
        break;
    }
  }
  return {text, [parts](int v) {
            for (const auto& p : parts)
              if (p(v)) return true;
            return false;
          }};
}

struct DayReference {
  std::string dom, dow;
  std::function<bool(year_month_day)> matches;
};

int month_length(year_month_day d) {
  return static_cast<int>(static_cast<unsigned>((d.year() / d.month() / last).day()));
}
int day_of(year_month_day d) { return static_cast<int>(static_cast<unsigned>(d.day())); }
int aws_dow(year_month_day d) { return static_cast<int>(weekday(sys_days(d)).c_encoding()) + 1; }
bool is_weekday(year_month_day d) { return aws_dow(d) != 1 && aws_dow(d) != 7; }
year_month_day with_day(year_month_day d, int n) {
  return d.year() / d.month() / day(static_cast<unsigned>(n));
}

DayReference random_day_fields() {
  static const char* kNames[] = {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};
  switch (uniform(0, 7)) {
    case 0: {
      auto f = random_simple_field(1, 31, true, true);
      return {f.text, "?", [f](year_month_day d) { return f.contains(day_of(d)); }};
    }
    case 1: {
      int n = uniform(0, 5);
      return {n == 0 ? "L" : "L-" + std::to_string(n), "?",
              [n](year_month_day d) { return day_of(d) == month_length(d) - n; }};
    }
    case 2: {  // nW: the weekday closest to day n within the month
      int n = uniform(1, 31);
      return {std::to_string(n) + "W", "?", [n](year_month_day d) {
                int len = month_length(d);
                if (n > len || !is_weekday(d)) return false;
                int best = 0;
                for (int c = 1; c <= len; ++c) {
                  if (!is_weekday(with_day(d, c))) continue;
                  if (best == 0 || std::abs(c - n) < std::abs(best - n)) best = c;
                }
                return day_of(d) == best;
              }};
    }
    case 3:
      return {"LW", "?", [](year_month_day d) {
                if (!is_weekday(d)) return false;
                for (int c = day_of(d) + 1; c <= month_length(d); ++c)
                  if (is_weekday(with_day(d, c))) return false;
                return true;
              }};
    case 4: {
      auto f = random_simple_field(1, 7, false, true);
      std::string text = f.text;
      if (uniform(0, 1) == 0 && text.find_first_of(",-*") == std::string::npos) {
        text = kNames[std::stoi(text) - 1];  // a name instead of the number
      }
      return {"?", text, [f](year_month_day d) { return f.contains(aws_dow(d)); }};
    }
    case 5: {
      int x = uniform(1, 7);
      return {"?", std::to_string(x) + "L",
              [x](year_month_day d) { return aws_dow(d) == x && day_of(d) + 7 > month_length(d); }};
    }
    case 6: {
      int x = uniform(1, 7);
      int n = uniform(1, 5);
      return {"?", std::string(kNames[x - 1]) + "#" + std::to_string(n), [x, n](year_month_day d) {
                int count = 0;
                for (int c = 1; c <= day_of(d); ++c)
                  if (aws_dow(with_day(d, c)) == x) ++count;
                return aws_dow(d) == x && count == n;
              }};
    }
    default:
      return {"?", "L", [](year_month_day d) { return aws_dow(d) == 7; }};
  }
}

std::optional<sys_seconds> brute_force_next(const Reference& minute, const Reference& hour,
                                            const DayReference& days, const Reference& month,
                                            const Reference& year, sys_seconds after,
                                            sys_seconds horizon) {
  for (sys_seconds t = floor<std::chrono::minutes>(after) + std::chrono::minutes(1); t < horizon;
       t += std::chrono::minutes(1)) {
    sys_days day_start = floor<std::chrono::days>(t);
    year_month_day date(day_start);
    // Skipping a non-matching day is the same minute-by-minute answer, faster.
    if (!year.contains(static_cast<int>(date.year())) ||
        !month.contains(static_cast<int>(static_cast<unsigned>(date.month()))) ||
        !days.matches(date)) {
      t = day_start + std::chrono::days(1) - std::chrono::minutes(1);
      continue;
    }
    auto since = t - day_start;
    int h = static_cast<int>(since / std::chrono::hours(1));
    int m = static_cast<int>(since / std::chrono::minutes(1)) % 60;
    if (hour.contains(h) && minute.contains(m)) return t;
  }
  return std::nullopt;
}

TEST(ScheduleDifferential, AgreesWithBruteForceOnRandomCron) {
  const sys_seconds starts[] = {sys_days(2023y / December / 30) + 23h + 59min,
                                sys_days(2024y / February / 28) + 12h + 30s,
                                sys_days(2028y / February / 27), sys_days(2099y / December / 31),
                                sys_days(2100y / February / 27) + 5h};
  for (int round = 0; round < 300; ++round) {
    auto minute = random_simple_field(0, 59, true, true);
    auto hour = random_simple_field(0, 23, true, true);
    auto days = random_day_fields();
    auto month = random_simple_field(1, 12, true, true);
    Reference year{"*", [](int) { return true; }};
    if (uniform(0, 2) == 0) year = random_simple_field(2023, 2030, true, false);
    if (uniform(0, 5) == 0) year = {"2100-2101", [](int y) { return y == 2100 || y == 2101; }};
    std::string text = "cron(" + minute.text + " " + hour.text + " " + days.dom + " " + month.text +
                       " " + days.dow + " " + year.text + ")";
    auto parsed = parse_schedule(text);
    ASSERT_TRUE(parsed.ok()) << text;
    for (sys_seconds start : starts) {
      sys_seconds t = start;
      const sys_seconds horizon = start + std::chrono::days(366 * 3);
      for (int step = 0; step < 4; ++step) {
        auto expected = brute_force_next(minute, hour, days, month, year, t, horizon);
        auto actual = next_fire_after(parsed.value(), t, t);
        if (!expected) {
          EXPECT_TRUE(!actual || *actual >= horizon) << text << " after " << format_instant(t);
          break;
        }
        ASSERT_TRUE(actual.has_value()) << text << " after " << format_instant(t);
        ASSERT_EQ(format_instant(*actual), format_instant(*expected))
            << text << " after " << format_instant(t);
        t = *actual;
      }
    }
  }
}

TEST(ScheduleCron, OnceIn2199IsFoundAndThenNothing) {
  auto s = parse_schedule("cron(59 23 31 DEC ? 2199)");
  ASSERT_TRUE(s.ok());
  const sys_seconds from = sys_days(1970y / January / 1);
  auto next = next_fire_after(s.value(), from, from);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(format_instant(*next), "2199-12-31T23:59:00Z");
  EXPECT_FALSE(next_fire_after(s.value(), *next, from).has_value());
}

TEST(ScheduleCron, ImpossibleDayNeverFires) {
  auto s = parse_schedule("cron(0 0 30 FEB ? *)");
  ASSERT_TRUE(s.ok());
  const sys_seconds from = sys_days(2024y / January / 1);
  EXPECT_FALSE(next_fire_after(s.value(), from, from).has_value());
}

// ---- rate anchoring -------------------------------------------------------

TEST(ScheduleRate, FiresAtAnchorPlusWholeIntervals) {
  auto s = parse_schedule("rate(5 minutes)");
  ASSERT_TRUE(s.ok());
  const sys_seconds anchor = sys_days(2024y / March / 1) + 10h + 2min;
  EXPECT_EQ(next_fire_after(s.value(), anchor, anchor), anchor + 5min);
  EXPECT_EQ(next_fire_after(s.value(), anchor + 5min, anchor), anchor + 10min);
  EXPECT_EQ(next_fire_after(s.value(), anchor + 5min - 1s, anchor), anchor + 5min);
  EXPECT_EQ(next_fire_after(s.value(), anchor + 1h + 1s, anchor), anchor + 1h + 5min);
}

TEST(ScheduleRate, AnchorSecondsAreRoundedDownToTheMinute) {
  auto s = parse_schedule("rate(1 hour)");
  ASSERT_TRUE(s.ok());
  const sys_seconds anchor = sys_days(2024y / March / 1) + 10h + 2min + 45s;
  EXPECT_EQ(next_fire_after(s.value(), anchor, anchor), sys_days(2024y / March / 1) + 11h + 2min);
}

TEST(ScheduleRate, AfterBeforeTheAnchorGivesTheFirstFire) {
  auto s = parse_schedule("rate(2 days)");
  ASSERT_TRUE(s.ok());
  const sys_seconds anchor = sys_days(2024y / February / 28);
  EXPECT_EQ(next_fire_after(s.value(), anchor - 24h, anchor), sys_days(2024y / March / 1));
}

// ---- invalid expressions, one per rule --------------------------------------

TEST(ScheduleInvalid, EachValidationRuleRejects) {
  const std::string invalid[] = {
      "",                                               // empty
      "rate(5  minutes)",                               // two blanks
      "rate(1.5 hours)",                                // not an integer
      "rate(0 minutes)",                                // not positive
      "rate(1 minutes)",                                // plural with 1
      "rate(2 hour)",                                   // singular with 2
      "rate(2 weeks)",                                  // unknown unit
      "rate(5 minutes) ",                               // trailing blank
      "cron(0 12 * * ? * *)",                           // seven fields
      "cron(0  12 * * ? *)",                            // two blanks
      "cron(0 12 * * * *)",                             // no `?`
      "cron(0 12 ? * ? *)",                             // two `?`
      "cron(0 12 L * MON *)",                           // value in both day fields
      "cron(0 12 ? * 2/2 *)",                           // `/` in day-of-week
      "cron(0 12 ? * mon *)",                           // lower-case name
      "cron(0 12 ? * 1#0 *)",                           // # n below 1
      "cron(0 12 ? * 1#2,3 *)",                         // # with a list
      "cron(0 12 L-31 * ? *)",                          // L-n too far
      "cron(0 12 0W * ? *)",                            // W on day 0
      "cron(0 12 32W * ? *)",                           // W on day 32
      "cron(0 12 5L * ? *)",                            // xL in day-of-month
      "cron(0/0 12 * * ? *)",                           // step 0
      "cron(0 12 * JAN-FOO ? *)",                       // unknown name in a range
      "cron(0 12 * * ? 1969-2000)",                     // year range out of bounds
      "cron(0 12 1, * ? *)",                            // empty list item
      "cron(0 12 * * ? *)x",                            // junk after
      "cron(" + std::string(260, '1') + " * * * ? *)",  // too long
  };
  for (const std::string& text : invalid) {
    auto s = parse_schedule(text);
    EXPECT_FALSE(s.ok()) << "accepted: " << text;
    if (!s.ok()) {
      EXPECT_EQ(s.error().message, "Parameter ScheduleExpression is not valid.");
    }
  }
}

TEST(ScheduleInvalid, OverLongValidLookingExpressionRejects) {
  std::string text = "cron(0 " + std::string(245, '0') + "1 * * ? *)";
  EXPECT_GT(text.size(), 256u);
  EXPECT_FALSE(parse_schedule(text).ok());
}

}  // namespace
}  // namespace cloudlet::events
