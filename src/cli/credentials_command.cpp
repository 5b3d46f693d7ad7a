// `cloudlet openapi` prints the contacts API's OpenAPI document.
// `cloudlet credentials`: prints a principal's keys from the gateway's
// credentials file in the form a client wants, so that the secret never has
// to appear in the `up` banner or in a log:
//   curl --aws-sigv4 "aws:amz:us-east-1:execute-api" --user "$(cloudlet credentials)" ...
//   eval "$(cloudlet credentials --format env)"; aws ... / boto3
#include <boost/json.hpp>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/app.hpp"
#include "functions/contacts_handlers.hpp"

namespace cloudlet::cli {

void add_credentials_command(CLI::App& app, GlobalOptions& options) {
  static std::string user;
  static std::string format = "curl";
  auto* cmd = app.add_subcommand(
      "credentials", "print an access key pair of the gateway's credentials file for a client");
  cmd->add_option("--user", user, "the principal's user_name (default: the first)");
  cmd->add_option("--format", format, "curl (KEY:SECRET), env (export AWS_...), or json")
      ->check(CLI::IsMember({"curl", "env", "json"}));
  cmd->callback([&options] {
    Settings settings = load_settings_or_exit(options);
    std::filesystem::path file = credentials_path(settings);
    std::ifstream in(file);
    if (!in)
      die("no credentials file at " + file.string() + ": run `cloudlet up` once to create it");
    std::stringstream text;
    text << in.rdbuf();
    boost::system::error_code ec;
    boost::json::value doc = boost::json::parse(text.str(), ec);
    const boost::json::array* principals = nullptr;
    if (!ec && doc.is_object()) {
      if (const auto* p = doc.as_object().if_contains("principals");
          p != nullptr && p->is_array()) {
        principals = &p->as_array();
      }
    }
    if (principals == nullptr)
      die(file.string() + " is not a credentials file ({\"principals\": [...]})");
    for (const auto& entry : *principals) {
      if (!entry.is_object()) continue;
      const auto& o = entry.as_object();
      auto field = [&o](const char* key) -> std::string {
        const auto* v = o.if_contains(key);
        return (v != nullptr && v->is_string()) ? std::string(v->as_string()) : std::string();
      };
      if (!user.empty() && field("user_name") != user) continue;
      std::string key = field("access_key_id");
      std::string secret = field("secret_access_key");
      if (key.empty() || secret.empty()) continue;
      if (format == "curl") {
        std::cout << key << ":" << secret << "\n";
      } else if (format == "env") {
        std::cout << "export AWS_ACCESS_KEY_ID=" << key << "\n"
                  << "export AWS_SECRET_ACCESS_KEY=" << secret << "\n"
                  << "export AWS_DEFAULT_REGION=" << settings.region << "\n";
      } else {
        boost::json::object out{
            {"access_key_id", key}, {"secret_access_key", secret}, {"region", settings.region}};
        std::cout << boost::json::serialize(out) << "\n";
      }
      return;
    }
    die(user.empty() ? "no principal with keys in " + file.string()
                     : "no principal named '" + user + "' in " + file.string());
  });
}

void add_openapi_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "openapi",
      "print the OpenAPI 3.1 document of the contacts API (as GET /openapi.json serves it)");
  cmd->callback([] { std::cout << functions::openapi_document() << "\n"; });
}

}  // namespace cloudlet::cli
