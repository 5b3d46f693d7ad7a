#include "core/uuid.hpp"

#include <cstdint>
#include <functional>
#include <random>
#include <thread>

namespace cloudlet {

std::string random_uuid() {
  thread_local std::mt19937_64 rng{(static_cast<std::uint64_t>(std::random_device{}()) << 32) ^
                                   std::random_device{}() ^
                                   std::hash<std::thread::id>{}(std::this_thread::get_id())};
  std::uint64_t hi = rng();
  std::uint64_t lo = rng();
  hi = (hi & ~0xf000ull) | 0x4000ull;            // version 4
  lo = (lo & ~(0xcull << 60)) | (0x8ull << 60);  // variant 10xx
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 15; i >= 0; --i) {
    out += kHex[(hi >> (i * 4)) & 15];
    if (i == 8 || i == 4) out += '-';
  }
  out += '-';
  for (int i = 15; i >= 0; --i) {
    out += kHex[(lo >> (i * 4)) & 15];
    if (i == 12) out += '-';
  }
  return out;
}

}  // namespace cloudlet
