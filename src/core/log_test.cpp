#include "core/log.hpp"

#include <gtest/gtest.h>

namespace cloudlet::log {
namespace {

TEST(Redact, MasksPasswordInUrl) {
  EXPECT_EQ(redact("connecting to postgresql://cloudlet:s3cr3t@127.0.0.1:5432/db"),
            "connecting to postgresql://cloudlet:***@127.0.0.1:5432/db");
}

TEST(Redact, LeavesUrlWithoutPasswordAlone) {
  EXPECT_EQ(redact("see http://127.0.0.1:8080/contacts"), "see http://127.0.0.1:8080/contacts");
  EXPECT_EQ(redact("postgresql://cloudlet@host/db"), "postgresql://cloudlet@host/db");
}

TEST(Redact, MasksConninfoAndSignatures) {
  EXPECT_EQ(redact("host=x password=hunter2 dbname=y"), "host=x password=*** dbname=y");
  EXPECT_EQ(
      redact("Credential=AKID/20150830/us-east-1/service/aws4_request, SignedHeaders=host, "
             "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
      "Credential=AKID/20150830/us-east-1/service/aws4_request, SignedHeaders=host, Signature=***");
  EXPECT_EQ(redact("/p?X-Amz-Signature=abcdef&X-Amz-Date=1"),
            "/p?X-Amz-Signature=***&X-Amz-Date=1");
}

TEST(Redact, MasksQuotedConninfoValues) {
  EXPECT_EQ(redact("host=x password='hunter 2' dbname=y"), "host=x password=*** dbname=y");
  EXPECT_EQ(redact("password='it\\'s' user=u"), "password=*** user=u");
}

TEST(Redact, MasksSessionTokens) {
  EXPECT_EQ(redact(R"({"session_token":"FQoGZXIvYXdzE"})"), R"({"session_token":"***"})");
  EXPECT_EQ(redact("X-Amz-Security-Token=FQoG&x=1"), "X-Amz-Security-Token=***&x=1");
}

TEST(Redact, MasksJsonSecrets) {
  EXPECT_EQ(redact(R"({"secret_access_key":"wJalr\"XUt","user":"a"})"),
            R"({"secret_access_key":"***","user":"a"})");
  EXPECT_EQ(redact(R"({"password":"pw"})"), R"({"password":"***"})");
}

TEST(Level, Parses) {
  Level l = Level::kInfo;
  EXPECT_TRUE(parse_level("debug", l));
  EXPECT_EQ(l, Level::kDebug);
  EXPECT_FALSE(parse_level("verbose", l));
}

}  // namespace
}  // namespace cloudlet::log
