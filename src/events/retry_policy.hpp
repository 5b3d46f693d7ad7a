// What happens to a delivery after an attempt failed (spec §5.3): another
// attempt later, with exponential backoff and jitter, or the dead-letter
// store once the target's RetryPolicy is spent (MaximumRetryAttempts retries
// made, or the event older than MaximumEventAgeInSeconds) or the failure
// cannot succeed later (the target does not exist, permission denied).
//
// Pure: the caller passes the clock and the jitter draw.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace cloudlet::events {

using Clock = std::chrono::system_clock;

struct BackoffSettings {
  std::chrono::milliseconds initial{1000};  // events.retry_initial_backoff_ms
  std::chrono::milliseconds max{300000};    // events.retry_max_backoff_ms
  double jitter = 0.2;                      // ± this fraction of each delay
};

// A failed attempt as the target reported it.
struct AttemptFailure {
  bool retryable = true;
  std::string error_code;  // THROTTLING, TIMEOUT, NO_RESOURCE, NO_PERMISSIONS, …
  std::string message;
};

struct RetryDecision {
  bool dead_letter = false;
  Clock::time_point next_attempt_at{};  // when !dead_letter
  // For the dead letter: MaximumRetryAttempts | MaximumEventAgeInSeconds;
  // nullopt when the failure was not retryable.
  std::optional<std::string> exhausted_retry_condition;
};

// `retries_made`: failed attempts before this one. `draw` in [0, 1) picks the
// jitter.
RetryDecision decide_after_failure(const AttemptFailure& failure, int retries_made,
                                   int max_retry_attempts, int max_event_age_s,
                                   Clock::time_point ingested_at, Clock::time_point now,
                                   const BackoffSettings& backoff, double draw);

// What an HTTP status answered by a target (an HTTP target, or a function's
// response) means for its delivery: nullopt for 2xx; retryable for 408, 429
// and 5xx, which can pass; not for any other status (401/403 NO_PERMISSIONS,
// 404/410 NO_RESOURCE, other 3xx/4xx TARGET_ERROR: redirects are not
// followed, and a refusal does not change on retry). `who` names the target
// in the message, which also holds the start of `body`.
std::optional<AttemptFailure> failure_for_http_status(int status, std::string_view who,
                                                      std::string_view body);

}  // namespace cloudlet::events
