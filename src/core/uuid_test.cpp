#include "core/uuid.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>

namespace cloudlet {
namespace {

TEST(Uuid, IsVersion4LowerCaseWithDashes) {
  const std::regex form("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  for (int i = 0; i < 1000; ++i) {
    std::string id = random_uuid();
    EXPECT_TRUE(std::regex_match(id, form)) << id;
  }
}

TEST(Uuid, DoesNotRepeat) {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) EXPECT_TRUE(seen.insert(random_uuid()).second);
}

}  // namespace
}  // namespace cloudlet
