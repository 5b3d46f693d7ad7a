#include "auth/principals.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "auth/crypto.hpp"

namespace cloudlet::auth {

namespace json = boost::json;

std::span<const Policy> Principals::policies_for(std::string_view access_key_id) const {
  auto it = policies_.find(std::string(access_key_id));
  if (it == policies_.end()) return {};
  return it->second;
}

std::string_view full_access_policy_json() {
  return R"({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]})";
}

PrincipalsBuilder::PrincipalsBuilder(std::string account_id)
    : account_id_(std::move(account_id)), store_(std::make_shared<InMemoryCredentialStore>()) {}

namespace {

// A stable IAM-style unique id for a user ("AIDA" + 16 characters), derived
// from the name so proxy events and logs show the same id across restarts.
std::string user_id_for(std::string_view account, std::string_view user) {
  auto digest = sha256(std::string(account) + "/" + std::string(user));
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string id = "AIDA";
  for (std::size_t i = 0; i < 16; ++i) id.push_back(kAlphabet[digest[i] % 32]);
  return id;
}

Credential make_credential(std::string_view account, std::string_view user, std::string secret) {
  Credential c;
  c.secret_access_key = std::move(secret);
  c.account_id = std::string(account);
  c.principal_arn = "arn:aws:iam::" + std::string(account) + ":user/" + std::string(user);
  c.user_id = user_id_for(account, user);
  return c;
}

}  // namespace

void PrincipalsBuilder::add_full_access(std::string user_name, std::string access_key_id,
                                        std::string secret) {
  auto policy = parse_policy(full_access_policy_json());
  store_->add(access_key_id, make_credential(account_id_, user_name, std::move(secret)));
  policies_[access_key_id] = {std::move(*policy)};
}

Status PrincipalsBuilder::add_document(std::string_view text) {
  boost::system::error_code ec;
  json::value doc = json::parse(text, ec);
  if (ec) return Error::invalid_argument("credentials: not valid JSON: " + ec.message());
  const json::object* root = doc.if_object();
  const json::value* list = root != nullptr ? root->if_contains("principals") : nullptr;
  if (list == nullptr || !list->is_array()) {
    return Error::invalid_argument("credentials: expected {\"principals\": [...]}");
  }
  for (const auto& kv : *root) {
    if (kv.key() != "principals" && kv.key() != "description") {
      return Error::invalid_argument("credentials: unknown top-level key '" +
                                     std::string(kv.key()) + "'");
    }
  }
  std::size_t index = 0;
  for (const auto& pv : list->get_array()) {
    std::string where = "credentials: principal #" + std::to_string(index++);
    const json::object* p = pv.if_object();
    if (p == nullptr) return Error::invalid_argument(where + " must be an object");
    auto str = [&](std::string_view key) -> const json::string* {
      const json::value* v = p->if_contains(key);
      return v == nullptr ? nullptr : v->if_string();
    };
    for (const auto& kv : *p) {
      static constexpr std::string_view kKeys[] = {"user_name",         "access_key_id",
                                                   "secret_access_key", "session_token",
                                                   "policies",          "description"};
      if (std::find(std::begin(kKeys), std::end(kKeys), std::string_view(kv.key())) ==
          std::end(kKeys)) {
        return Error::invalid_argument(where + ": unknown key '" + std::string(kv.key()) + "'");
      }
    }
    const json::string* key = str("access_key_id");
    const json::string* secret = str("secret_access_key");
    if (key == nullptr || key->empty() || key->size() > 128) {
      return Error::invalid_argument(where + ": access_key_id (a string) is required");
    }
    where = "credentials: principal " + std::string(*key);
    if (secret == nullptr || secret->empty()) {
      return Error::invalid_argument(where + ": secret_access_key (a string) is required");
    }
    const json::string* user = str("user_name");
    std::string user_name =
        user != nullptr && !user->empty() ? std::string(*user) : std::string(*key);
    Credential credential = make_credential(account_id_, user_name, std::string(*secret));
    if (const json::string* token = str("session_token"))
      credential.session_token = std::string(*token);
    std::vector<Policy> policies;
    if (const json::value* pol = p->if_contains("policies")) {
      if (!pol->is_array()) return Error::invalid_argument(where + ": policies must be an array");
      for (const auto& doc_v : pol->get_array()) {
        // A policy may be given inline (object) or as a JSON string, as IAM's API takes it.
        std::string text_doc =
            doc_v.is_string() ? std::string(doc_v.get_string()) : json::serialize(doc_v);
        auto policy = parse_policy(text_doc);
        if (!policy.ok()) return Error::invalid_argument(where + ": " + policy.error().message);
        policies.push_back(std::move(*policy));
      }
    }
    store_->add(std::string(*key), std::move(credential));
    policies_[std::string(*key)] = std::move(policies);
  }
  return {};
}

Status PrincipalsBuilder::add_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::unavailable("credentials: cannot read " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  if (Status s = add_document(ss.str()); !s.ok()) {
    return Error::invalid_argument(path.string() + ": " + s.error().message);
  }
  return {};
}

std::shared_ptr<const Principals> PrincipalsBuilder::build() {
  auto out = std::make_shared<Principals>();
  out->store = std::move(store_);
  out->policies_ = std::move(policies_);
  store_ = std::make_shared<InMemoryCredentialStore>();
  policies_.clear();
  return out;
}

Result<std::shared_ptr<const Principals>> load_principals(const PrincipalSettings& settings,
                                                          bool required) {
  PrincipalsBuilder builder(settings.account_id);
  if (!settings.file.empty()) {
    std::error_code ec;
    if (std::filesystem::exists(settings.file, ec)) {
      if (Status s = builder.add_file(settings.file); !s.ok()) return s.error();
    } else if (required) {
      return Error::not_found("credentials file " + settings.file.string() + " does not exist");
    }
  }
  if (settings.use_environment) {
    const char* key = std::getenv("CLOUDLET_ACCESS_KEY_ID");
    const char* secret = std::getenv("CLOUDLET_SECRET_ACCESS_KEY");
    if ((key != nullptr) != (secret != nullptr)) {
      return Error::invalid_argument(
          "set both CLOUDLET_ACCESS_KEY_ID and CLOUDLET_SECRET_ACCESS_KEY, or neither");
    }
    if (key != nullptr && *key != '\0' && *secret != '\0')
      builder.add_full_access("env", key, secret);
  }
  return builder.build();
}

namespace {

std::string random_chars(std::size_t n, std::string_view alphabet) {
  std::vector<unsigned char> bytes(n);
  RAND_bytes(bytes.data(), static_cast<int>(bytes.size()));
  std::string out;
  out.reserve(n);
  // 256 is not a multiple of every alphabet size; the slight bias is
  // irrelevant for a development key but cheap to avoid by rejection.
  for (std::size_t i = 0; out.size() < n; ++i) {
    if (i == bytes.size()) {
      RAND_bytes(bytes.data(), static_cast<int>(bytes.size()));
      i = 0;
    }
    std::size_t limit = 256 - (256 % alphabet.size());
    if (bytes[i] < limit) out.push_back(alphabet[bytes[i] % alphabet.size()]);
  }
  return out;
}

}  // namespace

Result<GeneratedKey> ensure_dev_credentials(const std::filesystem::path& file) {
  GeneratedKey out;
  out.file = file;
  std::error_code ec;
  if (std::filesystem::exists(file, ec)) return out;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  out.access_key_id = "AKIA" + random_chars(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
  std::string secret =
      random_chars(40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
  json::object principal;
  principal["description"] = "development key generated by the first `cloudlet up`; full access";
  principal["user_name"] = "dev";
  principal["access_key_id"] = out.access_key_id;
  principal["secret_access_key"] = secret;
  principal["policies"] = json::array{json::parse(full_access_policy_json())};
  json::object root;
  root["principals"] = json::array{principal};
  std::string text = json::serialize(root) + "\n";
  // O_EXCL: two processes starting at once cannot both write a key.
  int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return out;
    return Error::unavailable("cannot create " + file.string());
  }
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  if (!ok) return Error::unavailable("cannot write " + file.string());
  out.created = true;
  return out;
}

}  // namespace cloudlet::auth
