#include "gateway/routes.hpp"

#include <gtest/gtest.h>

namespace cloudlet::gateway {
namespace {

std::shared_ptr<const RouteTable> table(std::string_view routes_json) {
  std::string doc = R"({"integrations":{"f":{"integration_type":"AWS_PROXY","integration_uri":"f",)"
                    R"("payload_format_version":"2.0"}},"routes":)" +
                    std::string(routes_json) + "}";
  auto t = RouteTable::compile(doc);
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
  return t.ok() ? *t : nullptr;
}

std::string route(std::string_view key) {
  return R"({"route_key":")" + std::string(key) + R"(","target":"integrations/f"})";
}

std::string matched(const RouteTable& t, std::string_view method, std::string_view path) {
  auto m = t.match(method, path);
  return m ? m->route->route_key : "404";
}

// The example of AWS's "Routing API requests" page for HTTP APIs.
TEST(RouteMatching, MostSpecificRouteWinsAsInAwsExample) {
  auto t = table("[" + route("GET /pets/dog/1") + "," + route("GET /pets/dog/{id}") + "," +
                 route("GET /pets/{proxy+}") + "," + route("ANY /{proxy+}") + "," +
                 route("$default") + "]");
  EXPECT_EQ(matched(*t, "GET", "/pets/dog/1"), "GET /pets/dog/1");
  EXPECT_EQ(matched(*t, "GET", "/pets/dog/2"), "GET /pets/dog/{id}");
  EXPECT_EQ(matched(*t, "GET", "/pets/cat/1"), "GET /pets/{proxy+}");
  EXPECT_EQ(matched(*t, "POST", "/pets/dog/1"), "ANY /{proxy+}");
  EXPECT_EQ(matched(*t, "GET", "/"), "$default");
}

TEST(RouteMatching, ConcreteMethodBeatsAnyOnTheSamePath) {
  auto t = table("[" + route("ANY /contacts") + "," + route("POST /contacts") + "]");
  EXPECT_EQ(matched(*t, "POST", "/contacts"), "POST /contacts");
  EXPECT_EQ(matched(*t, "DELETE", "/contacts"), "ANY /contacts");
}

TEST(RouteMatching, LiteralBeatsParameterWhateverTheOrderInTheFile) {
  auto t = table("[" + route("GET /contacts/{id}") + "," + route("GET /contacts/search") + "]");
  EXPECT_EQ(matched(*t, "GET", "/contacts/search"), "GET /contacts/search");
  EXPECT_EQ(matched(*t, "GET", "/contacts/7"), "GET /contacts/{id}");
}

TEST(RouteMatching, PathParametersAreDecoded) {
  auto t = table("[" + route("GET /companies/{id}/contacts") + "]");
  auto m = t->match("GET", "/companies/a%20b/contacts");
  ASSERT_TRUE(m);
  ASSERT_EQ(m->parameters.size(), 1u);
  EXPECT_EQ(m->parameters[0].first, "id");
  EXPECT_EQ(m->parameters[0].second, "a b");
}

TEST(RouteMatching, GreedyVariableTakesTheRestButNeedsOneSegment) {
  auto t = table("[" + route("GET /files/{path+}") + "]");
  auto m = t->match("GET", "/files/a/b/c.txt");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->parameters[0].second, "a/b/c.txt");
  EXPECT_EQ(matched(*t, "GET", "/files"), "404");
}

TEST(RouteMatching, UnknownPathOrMethodIsNotFoundWithoutDefault) {
  auto t = table("[" + route("ANY /contacts_insert") + "," + route("GET /contacts/{id}") + "]");
  EXPECT_EQ(matched(*t, "GET", "/nope"), "404");
  EXPECT_EQ(matched(*t, "POST", "/contacts/1"), "404");
  EXPECT_EQ(matched(*t, "GET", "/contacts/1/extra"), "404");
  EXPECT_EQ(matched(*t, "GET", "/contacts/"), "404");
  EXPECT_EQ(matched(*t, "PATCH", "/contacts_insert"), "ANY /contacts_insert");
}

TEST(RouteTableCompile, RejectsBadDocumentsWithTheReason) {
  auto compile = [](std::string_view doc) {
    auto t = RouteTable::compile(doc);
    return t.ok() ? std::string("ok") : t.error().message;
  };
  std::string ints =
      R"({"integrations":{"f":{"integration_type":"AWS_PROXY","integration_uri":"f","payload_format_version":"2.0"}},)";
  EXPECT_NE(compile(ints + R"("routes":[{"route_key":"GET /a/{p+}/b","target":"integrations/f"}]})")
                .find("greedy"),
            std::string::npos);
  EXPECT_NE(compile(ints + R"("routes":[{"route_key":"FETCH /a","target":"integrations/f"}]})")
                .find("method"),
            std::string::npos);
  EXPECT_NE(compile(ints + R"("routes":[{"route_key":"GET /a","target":"integrations/g"}]})")
                .find("unknown target"),
            std::string::npos);
  EXPECT_NE(
      compile(
          ints +
          R"("routes":[{"route_key":"GET /a","target":"integrations/f"},{"route_key":"GET /a","target":"integrations/f"}]})")
          .find("duplicate"),
      std::string::npos);
  EXPECT_NE(
      compile(
          ints +
          R"("routes":[{"route_key":"GET /a","target":"integrations/f","authorization_type":"JWT"}]})")
          .find("authorization_type"),
      std::string::npos);
  EXPECT_NE(
      compile(
          R"({"integrations":{"f":{"integration_type":"AWS_PROXY","integration_uri":"f"}},"routes":[]})")
          .find("payload_format_version"),
      std::string::npos);
  EXPECT_NE(compile("{").find("JSON"), std::string::npos);
}

TEST(RouteTableCompile, AcceptsLambdaArnAsFunction) {
  auto t = RouteTable::compile(
      R"({"integrations":{"f":{"integration_type":"AWS_PROXY","payload_format_version":"2.0",)"
      R"("integration_uri":"arn:aws:lambda:us-east-1:123456789012:function:contacts_insert"}},"routes":[]})");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ((*t)->integrations()[0]->function_name, "contacts_insert");
}

TEST(DefaultRoutes, ShipSeedAndResourceRoutes) {
  auto t = RouteTable::compile(default_routes_json());
  ASSERT_TRUE(t.ok()) << t.error().message;
  for (const char* f :
       {"contacts_insert", "contacts_get_by_contact_id", "contacts_get_by_company_id",
        "contacts_update_by_contact_id", "contacts_delete_by_contact_id",
        "contacts_get_by_dynamic_filter", "contacts_get_by_pagination"}) {
    auto m = (*t)->match("POST", std::string("/") + f);
    ASSERT_TRUE(m) << f;
    EXPECT_EQ(m->route->route_key, std::string("ANY /") + f);
    EXPECT_EQ(m->route->authorization, AuthorizationType::kAwsIam);
  }
  EXPECT_EQ(matched(**t, "GET", "/contacts/3"), "GET /contacts/{id}");
  EXPECT_EQ(matched(**t, "POST", "/contacts"), "POST /contacts");
  EXPECT_EQ(matched(**t, "GET", "/companies/1/contacts"), "GET /companies/{id}/contacts");
}

}  // namespace
}  // namespace cloudlet::gateway
