// The principals every API trusts: access-key pairs with their IAM policies,
// loaded once into an immutable snapshot (auth's InMemoryCredentialStore plus
// the compiled policies per key).
//
// Sources, merged in this order (a later one replaces an equal key id):
//   1. the credentials file (JSON, below), if configured or present;
//   2. CLOUDLET_ACCESS_KEY_ID + CLOUDLET_SECRET_ACCESS_KEY from the
//      environment: one full-access principal, for scripts and tests.
//
// Principals file:
//   {"principals": [{
//      "user_name": "alice",                       // -> arn:aws:iam::<account>:user/alice
//      "access_key_id": "AKIA…", "secret_access_key": "…",
//      "session_token": "…",                       // optional (temporary credentials)
//      "policies": [ {"Version": "2012-10-17", "Statement": [ … ]} ]
//   }]}
//
// Errors never contain a secret: they name the principal by access key id.
// Thread safety: Principals is immutable; share it as shared_ptr<const>.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "auth/iam.hpp"
#include "auth/sigv4.hpp"
#include "core/result.hpp"

namespace cloudlet::auth {

class Principals {
 public:
  std::shared_ptr<const InMemoryCredentialStore> store;

  // The policies attached to `access_key_id`; empty (implicit deny) if none.
  std::span<const Policy> policies_for(std::string_view access_key_id) const;
  std::size_t size() const { return policies_.size(); }

 private:
  friend class PrincipalsBuilder;
  std::unordered_map<std::string, std::vector<Policy>> policies_;
};

class PrincipalsBuilder {
 public:
  explicit PrincipalsBuilder(std::string account_id);
  // Adds every principal of a credentials document.
  Status add_document(std::string_view json);
  Status add_file(const std::filesystem::path& path);
  // One principal allowed everything (`Action: *`, `Resource: *`).
  void add_full_access(std::string user_name, std::string access_key_id, std::string secret);
  std::shared_ptr<const Principals> build();

 private:
  std::string account_id_;
  std::shared_ptr<InMemoryCredentialStore> store_;
  std::unordered_map<std::string, std::vector<Policy>> policies_;
};

// The policy document that allows everything.
std::string_view full_access_policy_json();

struct PrincipalSettings {
  std::filesystem::path file;  // empty: none
  std::string account_id;
  bool use_environment = true;  // CLOUDLET_ACCESS_KEY_ID / CLOUDLET_SECRET_ACCESS_KEY
};

// Loads every source. An unreadable or invalid file is an error; a missing
// file is an error only when `required`.
Result<std::shared_ptr<const Principals>> load_principals(const PrincipalSettings& settings,
                                                          bool required);

// The development key pair written on first `cloudlet up`.
struct GeneratedKey {
  std::string access_key_id;
  std::filesystem::path file;
  bool created = false;  // false: the file already existed and was left alone
};

// Creates `file` (mode 0600, parent directories as needed) with one fresh
// full-access principal "dev", unless it exists. Random bytes come from
// OpenSSL's RAND_bytes.
Result<GeneratedKey> ensure_dev_credentials(const std::filesystem::path& file);

}  // namespace cloudlet::auth
