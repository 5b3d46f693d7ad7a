// Schedule expressions (events::parse_schedule, src/events/schedule.hpp) and
// their fire times.
//
// Input: an expression (arbitrary bytes).
//
// Invariants: an error is always kInvalidArgument with AWS's text; for a
// valid expression, next_fire_after from a few instants gives whole minutes
// strictly after the instant, chained calls strictly increase, and each
// result passes a direct check of the fields (minute, hour, month, year bits;
// plain day-of-month / day-of-week bits when no special item is present; a
// whole number of intervals from the anchor for rate).
#include <chrono>
#include <string_view>

#include "events/schedule.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace cloudlet;
using namespace std::chrono;

void check_fire(const events::Schedule& schedule, sys_seconds after, sys_seconds anchor,
                sys_seconds fire) {
  FUZZ_CHECK(fire > after);
  FUZZ_CHECK(fire == floor<minutes>(fire));
  if (const auto* rate = std::get_if<events::RateSchedule>(&schedule.kind)) {
    FUZZ_CHECK((fire - floor<minutes>(anchor)) % rate->interval == seconds(0));
    FUZZ_CHECK(fire - rate->interval <= after || fire - rate->interval <= floor<minutes>(anchor));
    return;
  }
  const auto& cron = std::get<events::CronSchedule>(schedule.kind);
  const sys_days day = floor<days>(fire);
  const year_month_day date(day);
  const auto since = fire - day;
  const int hour = static_cast<int>(since / hours(1));
  const int minute = static_cast<int>(since / minutes(1)) % 60;
  FUZZ_CHECK(cron.minutes & (std::uint64_t{1} << minute));
  FUZZ_CHECK(cron.hours & (1u << hour));
  FUZZ_CHECK(cron.months & (1u << static_cast<unsigned>(date.month())));
  FUZZ_CHECK(cron.years[static_cast<std::size_t>(static_cast<int>(date.year()) - 1970)]);
  if (cron.day_of_month_active) {
    if (cron.last_day_offsets == 0 && cron.nearest_weekday == 0 && !cron.last_weekday) {
      FUZZ_CHECK(cron.days & (1u << static_cast<unsigned>(date.day())));
    }
  } else if (cron.last_of_weekday == 0 && cron.nth == 0) {
    FUZZ_CHECK(cron.weekdays & (1u << (weekday(day).c_encoding() + 1)));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = fuzz::bytes(data, size);
  auto parsed = events::parse_schedule(input);
  if (!parsed.ok()) {
    FUZZ_CHECK(parsed.error().code == ErrorCode::kInvalidArgument);
    FUZZ_CHECK(parsed.error().message == "Parameter ScheduleExpression is not valid.");
    return 0;
  }
  const sys_seconds anchor = sys_days(2024y / February / 29) + 13h + 7min + 31s;
  const sys_seconds starts[] = {sys_days(1970y / January / 1), anchor,
                                sys_days(2100y / February / 28) + 23h + 59min + 59s};
  for (sys_seconds start : starts) {
    sys_seconds t = start;
    for (int step = 0; step < 3; ++step) {
      auto next = events::next_fire_after(parsed.value(), t, anchor);
      if (!next) break;
      check_fire(parsed.value(), t, anchor, *next);
      t = *next;
    }
  }
  (void)events::describe(parsed.value());
  return 0;
}
