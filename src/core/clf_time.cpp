#include "core/clf_time.hpp"

#include <ctime>

namespace cloudlet {

std::string clf_time(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  // The gateway calls it twice per request (event and access log): format
  // once per second per thread.
  thread_local std::time_t cached_secs = -1;
  thread_local std::string cached;
  if (secs == cached_secs) return cached;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%d/%b/%Y:%H:%M:%S +0000", &tm);
  cached_secs = secs;
  cached = buf;
  return cached;
}

}  // namespace cloudlet
