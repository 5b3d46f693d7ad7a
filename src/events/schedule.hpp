// EventBridge schedule expressions: rate(N unit) and AWS's six-field cron
// (spec/eventbridge.md §6), parsed once into a Schedule that can only hold a
// valid expression, then asked for fire times.
//
// Pure: no I/O, no clock (the caller passes every instant), no state.
// Thread safety: a Schedule is immutable; share it freely.
#pragma once

#include <bitset>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/result.hpp"

namespace cloudlet::events {

struct RateSchedule {
  std::chrono::seconds interval{};
};

// One bit per allowed value; day fields keep their special items apart.
struct CronSchedule {
  std::uint64_t minutes = 0;  // bit m, 0-59
  std::uint32_t hours = 0;    // bit h, 0-23
  std::uint16_t months = 0;   // bit m, 1-12
  std::bitset<230> years;     // bit y - 1970, 1970-2199

  bool day_of_month_active = false;  // else day-of-week is the active day field
  // Day-of-month items.
  std::uint32_t days = 0;              // bit d, 1-31
  std::uint32_t last_day_offsets = 0;  // bit n: L-n (L is n = 0)
  std::uint32_t nearest_weekday = 0;   // bit d: dW
  bool last_weekday = false;           // LW
  // Day-of-week items (AWS numbering, 1 = SUN .. 7 = SAT).
  std::uint8_t weekdays = 0;         // bit w
  std::uint8_t last_of_weekday = 0;  // bit w: wL
  int nth_weekday = 0;               // x#n: weekday x ...
  int nth = 0;                       // ... n-th of the month (0 = none)
};

struct Schedule {
  std::variant<RateSchedule, CronSchedule> kind;
  std::string expression;  // as given, for logs
};

// Invalid → kInvalidArgument "Parameter ScheduleExpression is not valid."
// (AWS's ValidationException text). Cost: linear in the expression.
Result<Schedule> parse_schedule(std::string_view expression);

// The first fire instant strictly after `after`, whole minutes, UTC; nullopt
// when there is none (a cron whose Year field has run out).
// rate: fires at floor_to_minute(anchor) + k × interval, k ≥ 1 — counted from
// when the rule was created or last changed (`anchor`), as spec §6.1 says;
// the phase is cloudlet's choice since AWS does not document it.
// cron: `anchor` is ignored. Cost: at most a few days' work per month between
// `after` and the answer (months/years that cannot match are skipped whole).
std::optional<std::chrono::sys_seconds> next_fire_after(const Schedule& schedule,
                                                        std::chrono::sys_seconds after,
                                                        std::chrono::sys_seconds anchor);

std::string describe(const Schedule& schedule);

}  // namespace cloudlet::events
