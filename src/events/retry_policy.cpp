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

std::optional<AttemptFailure> failure_for_http_status(int status, std::string_view who,
                                                      std::string_view body) {
  if (status >= 200 && status <= 299) return std::nullopt;
  AttemptFailure f;
  f.retryable = status == 408 || status == 429 || status >= 500;
  if (status == 408) {
    f.error_code = "TIMEOUT";
  } else if (status == 429) {
    f.error_code = "THROTTLING";
  } else if (status == 401 || status == 403) {
    f.error_code = "NO_PERMISSIONS";
  } else if (status == 404 || status == 410) {
    f.error_code = "NO_RESOURCE";
  } else {
    f.error_code = "TARGET_ERROR";
  }
  constexpr std::size_t kBodyShown = 256;  // enough to say why, not a whole page
  f.message = std::string(who) + " answered HTTP " + std::to_string(status);
  if (!body.empty()) {
    f.message += ": ";
    f.message += body.substr(0, kBodyShown);
    if (body.size() > kBodyShown) f.message += "...";
  }
  return f;
}

}  // namespace cloudlet::events
