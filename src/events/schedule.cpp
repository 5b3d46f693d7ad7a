// Parsing and evaluation of schedule expressions (spec/eventbridge.md §6).
//
// The day fields carry the tricky items, resolved per month at evaluation:
// - `L` / `L-n` in day-of-month: the month's last day, or n days before it.
// - `nW`: the weekday nearest day n inside the same month. A Saturday moves to
//   Friday, except on the 1st (Monday the 3rd); a Sunday moves to Monday,
//   except on the month's last day (Friday before). A month without day n has
//   no fire. `LW` is the last weekday of the month.
// - `xL` in day-of-week: the last weekday x of the month; `L` alone is
//   Saturday. `x#n`: the n-th weekday x; months without one are skipped.
// Days a month lacks (31 in April) are skipped, never carried over.
//
// next_fire_after walks day by day only inside a month whose year and month
// match; other months and years are skipped whole, so the worst case (a
// schedule firing once in 2199) is a few thousand cheap steps.
#include "events/schedule.hpp"

#include <array>
#include <charconv>
#include <vector>

namespace cloudlet::events {
namespace {

using namespace std::chrono;

constexpr std::string_view kInvalid = "Parameter ScheduleExpression is not valid.";
constexpr std::size_t kMaxExpressionLength = 256;
constexpr int kFirstYear = 1970;
constexpr int kLastYear = 2199;

Error invalid() { return Error::invalid_argument(std::string(kInvalid)); }

// A decimal number of 1-9 digits (no sign), or nullopt.
std::optional<int> parse_number(std::string_view text) {
  if (text.empty() || text.size() > 9) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t at = text.find(separator, start);
    if (at == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, at - start));
    start = at + 1;
  }
}

Result<Schedule> parse_rate(std::string_view body, std::string_view expression) {
  auto space = body.find(' ');
  if (space == std::string_view::npos) return invalid();
  auto value = parse_number(body.substr(0, space));
  std::string_view unit = body.substr(space + 1);
  if (!value || *value <= 0) return invalid();
  struct Unit {
    std::string_view singular, plural;
    std::int64_t seconds;
  };
  constexpr std::array<Unit, 3> kUnits{
      {{"minute", "minutes", 60}, {"hour", "hours", 3600}, {"day", "days", 86400}}};
  for (const auto& u : kUnits) {
    if (unit == (*value == 1 ? u.singular : u.plural)) {
      return Schedule{RateSchedule{seconds(*value * u.seconds)}, std::string(expression)};
    }
  }
  return invalid();
}

enum class Field { kMinutes, kHours, kDayOfMonth, kMonth, kDayOfWeek, kYear };

struct Bounds {
  int min, max;
};

Bounds bounds_of(Field field) {
  switch (field) {
    case Field::kMinutes:
      return {0, 59};
    case Field::kHours:
      return {0, 23};
    case Field::kDayOfMonth:
      return {1, 31};
    case Field::kMonth:
      return {1, 12};
    case Field::kDayOfWeek:
      return {1, 7};
    case Field::kYear:
      return {kFirstYear, kLastYear};
  }
  return {0, 0};
}

// A single value of a field: a number in range, or (month, day-of-week) a
// three-letter upper-case English name.
std::optional<int> parse_value(std::string_view text, Field field) {
  static constexpr std::array<std::string_view, 12> kMonths{
      "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
  static constexpr std::array<std::string_view, 7> kDays{"SUN", "MON", "TUE", "WED",
                                                         "THU", "FRI", "SAT"};
  if (field == Field::kMonth) {
    for (std::size_t i = 0; i < kMonths.size(); ++i)
      if (text == kMonths[i]) return static_cast<int>(i) + 1;
  }
  if (field == Field::kDayOfWeek) {
    for (std::size_t i = 0; i < kDays.size(); ++i)
      if (text == kDays[i]) return static_cast<int>(i) + 1;
  }
  auto value = parse_number(text);
  Bounds b = bounds_of(field);
  if (!value || *value < b.min || *value > b.max) return std::nullopt;
  return value;
}

// `*`, `a`, `a-b` (wrapping when a > b), each optionally followed by `/n`
// (`a/n` runs to the field's maximum). Calls set(v) for every value.
template <class Set>
bool parse_plain_item(std::string_view item, Field field, Set set) {
  Bounds b = bounds_of(field);
  int step = 1;
  bool has_step = false;
  if (auto slash = item.find('/'); slash != std::string_view::npos) {
    if (field == Field::kDayOfWeek) return false;  // `/` is not in the table for it
    auto n = parse_number(item.substr(slash + 1));
    if (!n || *n <= 0) return false;
    step = *n;
    has_step = true;
    item = item.substr(0, slash);
  }
  int first = 0;
  int last = 0;
  if (item == "*") {
    first = b.min;
    last = b.max;
  } else if (auto dash = item.find('-'); dash != std::string_view::npos) {
    auto a = parse_value(item.substr(0, dash), field);
    auto z = parse_value(item.substr(dash + 1), field);
    if (!a || !z) return false;
    first = *a;
    last = *z;
  } else {
    auto a = parse_value(item, field);
    if (!a) return false;
    first = *a;
    last = has_step ? b.max : *a;
  }
  // A wrapped range walks first..max then min..last, stepping across the seam.
  int span = b.max - b.min + 1;
  int count = (last - first + span) % span;
  for (int i = 0; i <= count; i += step) set(b.min + (first - b.min + i) % span);
  return true;
}

template <class Bits>
bool parse_simple_field(std::string_view text, Field field, Bits& bits, int offset = 0) {
  for (auto item : split(text, ',')) {
    if (!parse_plain_item(item, field,
                          [&](int v) { bits[static_cast<std::size_t>(v - offset)] = true; }))
      return false;
  }
  return true;
}

bool parse_day_of_month(std::string_view text, CronSchedule& cron) {
  for (auto item : split(text, ',')) {
    if (item == "L") {
      cron.last_day_offsets |= 1u;
    } else if (item == "LW") {
      cron.last_weekday = true;
    } else if (item.starts_with("L-")) {
      auto n = parse_number(item.substr(2));
      if (!n || *n > 30) return false;
      cron.last_day_offsets |= 1u << *n;
    } else if (item.size() >= 2 && item.back() == 'W') {
      auto d = parse_number(item.substr(0, item.size() - 1));
      if (!d || *d < 1 || *d > 31) return false;
      cron.nearest_weekday |= 1u << *d;
    } else if (!parse_plain_item(item, Field::kDayOfMonth, [&](int v) { cron.days |= 1u << v; })) {
      return false;
    }
  }
  return true;
}

bool parse_day_of_week(std::string_view text, CronSchedule& cron) {
  if (auto hash = text.find('#'); hash != std::string_view::npos) {
    // With `#` the field holds that one expression only.
    auto x = parse_value(text.substr(0, hash), Field::kDayOfWeek);
    auto n = parse_number(text.substr(hash + 1));
    if (!x || !n || *n < 1 || *n > 5) return false;
    cron.nth_weekday = *x;
    cron.nth = *n;
    return true;
  }
  for (auto item : split(text, ',')) {
    if (item == "L") {
      cron.weekdays |= 1u << 7;  // the last day of the week: Saturday
    } else if (item.size() >= 2 && item.back() == 'L') {
      auto x = parse_value(item.substr(0, item.size() - 1), Field::kDayOfWeek);
      if (!x) return false;
      cron.last_of_weekday |= static_cast<std::uint8_t>(1u << *x);
    } else if (!parse_plain_item(item, Field::kDayOfWeek, [&](int v) {
                 cron.weekdays |= static_cast<std::uint8_t>(1u << v);
               })) {
      return false;
    }
  }
  return true;
}

Result<Schedule> parse_cron(std::string_view body, std::string_view expression) {
  auto fields = split(body, ' ');
  if (fields.size() != 6) return invalid();
  const bool dom_any = fields[2] == "?";
  const bool dow_any = fields[4] == "?";
  if (dom_any == dow_any) return invalid();  // exactly one day field is `?`
  CronSchedule cron;
  std::bitset<64> minute_bits;
  std::bitset<32> hour_bits;
  std::bitset<16> month_bits;
  if (!parse_simple_field(fields[0], Field::kMinutes, minute_bits) ||
      !parse_simple_field(fields[1], Field::kHours, hour_bits) ||
      !parse_simple_field(fields[3], Field::kMonth, month_bits) ||
      !parse_simple_field(fields[5], Field::kYear, cron.years, kFirstYear)) {
    return invalid();
  }
  cron.minutes = minute_bits.to_ullong();
  cron.hours = static_cast<std::uint32_t>(hour_bits.to_ulong());
  cron.months = static_cast<std::uint16_t>(month_bits.to_ulong());
  cron.day_of_month_active = dow_any;
  if (dow_any ? !parse_day_of_month(fields[2], cron) : !parse_day_of_week(fields[4], cron)) {
    return invalid();
  }
  return Schedule{cron, std::string(expression)};
}

// AWS numbering: 1 = Sunday .. 7 = Saturday.
int aws_weekday(sys_days day) { return static_cast<int>(weekday(day).c_encoding()) + 1; }

// The weekday nearest day n of the month (spec §6.2 `nW`), or 0 when the month
// has no day n.
int nearest_weekday_in_month(year_month ym, int n, int last) {
  if (n > last) return 0;
  int wd = aws_weekday(sys_days(ym / day(static_cast<unsigned>(n))));
  if (wd == 7) return n == 1 ? 3 : n - 1;
  if (wd == 1) return n == last ? n - 2 : n + 1;
  return n;
}

bool is_fire_day(const CronSchedule& cron, year_month_day date) {
  const int d = static_cast<int>(static_cast<unsigned>(date.day()));
  const year_month ym = date.year() / date.month();
  const int last = static_cast<int>(static_cast<unsigned>((ym / std::chrono::last).day()));
  if (cron.day_of_month_active) {
    if (cron.days & (1u << d)) return true;
    if (last - d <= 30 && (cron.last_day_offsets & (1u << (last - d)))) return true;
    if (cron.last_weekday) {
      int wd = aws_weekday(sys_days(ym / std::chrono::last));
      int target = wd == 1 ? last - 2 : wd == 7 ? last - 1 : last;
      if (d == target) return true;
    }
    for (int n = 1; n <= 31 && cron.nearest_weekday >> n; ++n) {
      if ((cron.nearest_weekday & (1u << n)) && nearest_weekday_in_month(ym, n, last) == d)
        return true;
    }
    return false;
  }
  const int wd = aws_weekday(sys_days(date));
  if (cron.weekdays & (1u << wd)) return true;
  if ((cron.last_of_weekday & (1u << wd)) && d + 7 > last) return true;
  if (cron.nth != 0 && wd == cron.nth_weekday && (d - 1) / 7 + 1 == cron.nth) return true;
  return false;
}

std::optional<sys_seconds> next_cron_fire(const CronSchedule& cron, sys_seconds after) {
  // The first candidate minute strictly after `after`.
  sys_time<minutes> t = floor<minutes>(after) + minutes(1);
  sys_days day = floor<days>(t);
  int hour = static_cast<int>((t - day) / hours(1));
  int minute = static_cast<int>((t - day) / minutes(1)) % 60;
  while (true) {
    year_month_day date(day);
    const int y = static_cast<int>(date.year());
    if (y > kLastYear) return std::nullopt;
    if (y < kFirstYear || !cron.years[static_cast<std::size_t>(y - kFirstYear)]) {
      day = sys_days(year(y + 1) / January / 1);
      hour = minute = 0;
      continue;
    }
    if (!(cron.months & (1u << static_cast<unsigned>(date.month())))) {
      day = sys_days((date.year() / date.month() + months(1)) / 1);
      hour = minute = 0;
      continue;
    }
    if (is_fire_day(cron, date)) {
      for (int h = hour; h < 24; ++h) {
        if (!(cron.hours & (1u << h))) continue;
        for (int m = h == hour ? minute : 0; m < 60; ++m) {
          if (cron.minutes & (std::uint64_t{1} << m))
            return sys_seconds(day + hours(h) + minutes(m));
        }
      }
    }
    day += days(1);
    hour = minute = 0;
  }
}

std::optional<sys_seconds> next_rate_fire(const RateSchedule& rate, sys_seconds after,
                                          sys_seconds anchor) {
  const sys_seconds base = floor<minutes>(anchor);
  const seconds first = rate.interval;
  if (after < base + first) return base + first;
  const auto k = (after - base) / rate.interval + 1;
  return base + k * rate.interval;
}

}  // namespace

Result<Schedule> parse_schedule(std::string_view expression) {
  if (expression.size() > kMaxExpressionLength || expression.empty() || expression.back() != ')') {
    return invalid();
  }
  if (expression.starts_with("rate(")) {
    return parse_rate(expression.substr(5, expression.size() - 6), expression);
  }
  if (expression.starts_with("cron(")) {
    return parse_cron(expression.substr(5, expression.size() - 6), expression);
  }
  return invalid();
}

std::optional<sys_seconds> next_fire_after(const Schedule& schedule, sys_seconds after,
                                           sys_seconds anchor) {
  if (const auto* rate = std::get_if<RateSchedule>(&schedule.kind)) {
    return next_rate_fire(*rate, after, anchor);
  }
  return next_cron_fire(std::get<CronSchedule>(schedule.kind), after);
}

std::string describe(const Schedule& schedule) {
  if (const auto* rate = std::get_if<RateSchedule>(&schedule.kind)) {
    return "every " + std::to_string(rate->interval.count()) + "s from creation (" +
           schedule.expression + ")";
  }
  return "cron UTC (" + schedule.expression + ")";
}

}  // namespace cloudlet::events
