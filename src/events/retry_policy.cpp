#include "events/retry_policy.hpp"

#include <algorithm>
#include <cmath>

namespace cloudlet::events {

RetryDecision decide_after_failure(const AttemptFailure& failure, int retries_made,
                                   int max_retry_attempts, int max_event_age_s,
                                   Clock::time_point ingested_at, Clock::time_point now,
                                   const BackoffSettings& backoff, double draw) {
  RetryDecision out;
  if (!failure.retryable) {
    out.dead_letter = true;
    return out;
  }
  // This failure was attempt retries_made + 1; a retry would be retry
  // number retries_made + 1.
  if (retries_made >= max_retry_attempts) {
    out.dead_letter = true;
    out.exhausted_retry_condition = "MaximumRetryAttempts";
    return out;
  }
  const double base = static_cast<double>(backoff.initial.count()) *
                      std::pow(2.0, static_cast<double>(std::min(retries_made, 30)));
  const double capped = std::min(base, static_cast<double>(backoff.max.count()));
  const double jittered = capped * (1.0 + backoff.jitter * (2.0 * draw - 1.0));
  out.next_attempt_at =
      now + std::chrono::milliseconds(static_cast<long long>(std::max(jittered, 1.0)));
  if (out.next_attempt_at - ingested_at > std::chrono::seconds(max_event_age_s)) {
    out.dead_letter = true;
    out.exhausted_retry_condition = "MaximumEventAgeInSeconds";
  }
  return out;
}

}  // namespace cloudlet::events
