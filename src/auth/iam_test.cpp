#include <gtest/gtest.h>
TEST(Iam, Placeholder) {}
