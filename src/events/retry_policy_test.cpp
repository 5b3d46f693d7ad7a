#include "events/retry_policy.hpp"

#include <gtest/gtest.h>

namespace cloudlet::events {
namespace {

using namespace std::chrono_literals;

const Clock::time_point kT0 = Clock::time_point(std::chrono::seconds(1'800'000'000));
const BackoffSettings kNoJitter{1000ms, 60000ms, 0.0};

TEST(RetryPolicy, BackoffDoublesUpToTheCap) {
  AttemptFailure f{true, "TIMEOUT", "slow"};
  std::chrono::milliseconds expected[] = {1000ms,  2000ms,  4000ms,  8000ms,
                                          16000ms, 32000ms, 60000ms, 60000ms};
  for (int retries = 0; retries < 8; ++retries) {
    auto d = decide_after_failure(f, retries, 185, 86400, kT0, kT0, kNoJitter, 0.5);
    ASSERT_FALSE(d.dead_letter) << retries;
    EXPECT_EQ(d.next_attempt_at - kT0, expected[retries]) << retries;
  }
}

TEST(RetryPolicy, JitterStaysWithinItsFraction) {
  AttemptFailure f{true, "THROTTLING", ""};
  BackoffSettings b{1000ms, 60000ms, 0.2};
  auto low = decide_after_failure(f, 0, 185, 86400, kT0, kT0, b, 0.0);
  auto high = decide_after_failure(f, 0, 185, 86400, kT0, kT0, b, 0.999999);
  EXPECT_EQ(low.next_attempt_at - kT0, 800ms);
  EXPECT_GE(high.next_attempt_at - kT0, 1199ms);
  EXPECT_LE(high.next_attempt_at - kT0, 1200ms);
}

TEST(RetryPolicy, MaximumRetryAttemptsSpentGoesToTheDeadLetterStore) {
  AttemptFailure f{true, "TIMEOUT", ""};
  auto last_retry = decide_after_failure(f, 2, 3, 86400, kT0, kT0, kNoJitter, 0.5);
  EXPECT_FALSE(last_retry.dead_letter);
  auto spent = decide_after_failure(f, 3, 3, 86400, kT0, kT0, kNoJitter, 0.5);
  EXPECT_TRUE(spent.dead_letter);
  EXPECT_EQ(spent.exhausted_retry_condition, "MaximumRetryAttempts");
  auto none = decide_after_failure(f, 0, 0, 86400, kT0, kT0, kNoJitter, 0.5);
  EXPECT_TRUE(none.dead_letter) << "MaximumRetryAttempts 0 means no retry";
}

TEST(RetryPolicy, AnEventTooOldForTheNextAttemptIsGivenUp) {
  AttemptFailure f{true, "TIMEOUT", ""};
  auto d = decide_after_failure(f, 0, 185, 60, kT0, kT0 + 59500ms, kNoJitter, 0.5);
  EXPECT_TRUE(d.dead_letter);
  EXPECT_EQ(d.exhausted_retry_condition, "MaximumEventAgeInSeconds");
  auto young = decide_after_failure(f, 0, 185, 60, kT0, kT0 + 58000ms, kNoJitter, 0.5);
  EXPECT_FALSE(young.dead_letter);
}

TEST(RetryPolicy, AFailureThatCannotSucceedSkipsRetries) {
  AttemptFailure f{false, "NO_RESOURCE", "no such function"};
  auto d = decide_after_failure(f, 0, 185, 86400, kT0, kT0, kNoJitter, 0.5);
  EXPECT_TRUE(d.dead_letter);
  EXPECT_FALSE(d.exhausted_retry_condition.has_value());
}

TEST(HttpStatusOutcome, TwoHundredsAreDelivered) {
  EXPECT_FALSE(failure_for_http_status(200, "t", "").has_value());
  EXPECT_FALSE(failure_for_http_status(204, "t", "").has_value());
}

TEST(HttpStatusOutcome, WhatCanPassIsRetriedAndRefusalsAreNot) {
  struct Case {
    int status;
    bool retryable;
    const char* code;
  } cases[] = {{408, true, "TIMEOUT"},         {429, true, "THROTTLING"},
               {500, true, "TARGET_ERROR"},    {503, true, "TARGET_ERROR"},
               {401, false, "NO_PERMISSIONS"}, {403, false, "NO_PERMISSIONS"},
               {404, false, "NO_RESOURCE"},    {410, false, "NO_RESOURCE"},
               {400, false, "TARGET_ERROR"},   {302, false, "TARGET_ERROR"}};
  for (const auto& c : cases) {
    auto f = failure_for_http_status(c.status, "http://h/", "");
    ASSERT_TRUE(f.has_value()) << c.status;
    EXPECT_EQ(f->retryable, c.retryable) << c.status;
    EXPECT_EQ(f->error_code, c.code) << c.status;
  }
}

TEST(HttpStatusOutcome, TheMessageNamesTheTargetAndShowsOnlyTheStartOfTheBody) {
  auto f = failure_for_http_status(400, "function contacts_insert", std::string(10000, 'x'));
  ASSERT_TRUE(f.has_value());
  EXPECT_TRUE(f->message.starts_with("function contacts_insert answered HTTP 400: xxx"));
  EXPECT_LT(f->message.size(), 400u);
}

}  // namespace
}  // namespace cloudlet::events
