#include "auth/principals.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

namespace cloudlet::auth {
namespace {

Decision invoke(const Principals& c, std::string_view key, std::string_view method,
                std::string_view path) {
  std::string arn =
      execute_api_arn("us-east-1", "123456789012", "cloudlet", "$default", method, path);
  return evaluate(c.policies_for(key), {"execute-api:Invoke", arn, nullptr});
}

constexpr std::string_view kDoc = R"({"principals":[
  {"user_name":"alice","access_key_id":"AKIDALICE","secret_access_key":"s1",
   "policies":[{"Version":"2012-10-17","Statement":[
     {"Effect":"Allow","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:us-east-1:123456789012:cloudlet/$default/*/*"},
     {"Effect":"Deny","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:*:*:*/*/*/contacts_delete_by_contact_id"}]}]},
  {"user_name":"bob","access_key_id":"AKIDBOB","secret_access_key":"s2"}]})";

TEST(CredentialsFile, PoliciesAreAttachedPerAccessKey) {
  PrincipalsBuilder b("123456789012");
  ASSERT_TRUE(b.add_document(kDoc).ok());
  auto c = b.build();
  EXPECT_EQ(invoke(*c, "AKIDALICE", "POST", "contacts_insert"), Decision::kAllow);
  EXPECT_EQ(invoke(*c, "AKIDALICE", "POST", "contacts_delete_by_contact_id"),
            Decision::kExplicitDeny);
  // No policy at all: default deny.
  EXPECT_EQ(invoke(*c, "AKIDBOB", "POST", "contacts_insert"), Decision::kImplicitDeny);
  auto alice = c->store->find("AKIDALICE");
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->principal_arn, "arn:aws:iam::123456789012:user/alice");
  EXPECT_TRUE(alice->user_id.starts_with("AIDA"));
  EXPECT_EQ(c->store->find("AKIDNOBODY"), nullptr);
}

TEST(CredentialsFile, ErrorsNameTheKeyButNeverTheSecret) {
  PrincipalsBuilder b("123456789012");
  Status s = b.add_document(
      R"({"principals":[{"access_key_id":"AKIDX","secret_access_key":"TOPSECRET","policies":[{"Statement":[{"Effect":"Maybe"}]}]}]})");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("AKIDX"), std::string::npos);
  EXPECT_EQ(s.error().message.find("TOPSECRET"), std::string::npos);
  EXPECT_FALSE(
      b.add_document(R"({"principals":[{"access_key_id":"A","secret_access_key":"B","extra":1}]})")
          .ok());
  EXPECT_FALSE(b.add_document(R"({"users":[]})").ok());
}

TEST(CredentialsEnvironment, DefinesAFullAccessPrincipal) {
  ::setenv("CLOUDLET_ACCESS_KEY_ID", "AKIDENV", 1);
  ::setenv("CLOUDLET_SECRET_ACCESS_KEY", "envsecret", 1);
  auto c = load_principals({.file = {}, .account_id = "123456789012"}, false);
  ::unsetenv("CLOUDLET_ACCESS_KEY_ID");
  ::unsetenv("CLOUDLET_SECRET_ACCESS_KEY");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(invoke(**c, "AKIDENV", "DELETE", "contacts/1"), Decision::kAllow);
  EXPECT_EQ((*c)->store->find("AKIDENV")->secret_access_key, "envsecret");
}

TEST(CredentialsEnvironment, HalfSetIsAnError) {
  ::setenv("CLOUDLET_ACCESS_KEY_ID", "AKIDENV", 1);
  auto c = load_principals({.file = {}, .account_id = "1"}, false);
  ::unsetenv("CLOUDLET_ACCESS_KEY_ID");
  EXPECT_FALSE(c.ok());
}

TEST(DevCredentials, GeneratedOncePrivateAndFullAccess) {
  auto dir =
      std::filesystem::temp_directory_path() / ("cloudlet-cred-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto file = dir / "credentials.json";
  auto first = ensure_dev_credentials(file);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->created);
  EXPECT_TRUE(first->access_key_id.starts_with("AKIA"));
  EXPECT_EQ(first->access_key_id.size(), 20u);
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto second = ensure_dev_credentials(file);
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->created);
  auto c =
      load_principals({.file = file, .account_id = "123456789012", .use_environment = false}, true);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(invoke(**c, first->access_key_id, "GET", "contacts/1"), Decision::kAllow);
  std::filesystem::remove_all(dir);
}

TEST(CredentialsFile, MissingRequiredFileIsAnError) {
  auto c = load_principals(
      {.file = "/nonexistent/creds.json", .account_id = "1", .use_environment = false}, true);
  EXPECT_FALSE(c.ok());
}

}  // namespace
}  // namespace cloudlet::auth
