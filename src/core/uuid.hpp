// Random (version 4) UUIDs, lower-case with dashes: event ids and the
// AWS-style request ids. Unique, not secret: a per-thread generator seeded
// once from std::random_device. Thread-safe.
#pragma once

#include <string>

namespace cloudlet {

std::string random_uuid();

}  // namespace cloudlet
