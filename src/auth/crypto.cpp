#include "auth/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace cloudlet::auth {
namespace {

constexpr std::size_t kBlockSize = 64;  // SHA-256 block size, needed by HMAC

// Failures here mean OpenSSL is broken or out of memory: not something a
// request can cause, so they end the process instead of becoming a 403.
[[noreturn]] void openssl_failed(const char* what) {
  std::fprintf(stderr, "cloudlet: OpenSSL failure: %s\n", what);
  std::abort();
}

const EVP_MD* sha256_md() {
  // Fetched once: an explicit fetch avoids the per-call implicit lookup.
  static EVP_MD* const md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (fetched == nullptr) openssl_failed("EVP_MD_fetch(SHA256)");
    return fetched;
  }();
  return md;
}

struct CtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

EVP_MD_CTX* thread_ctx() {
  thread_local std::unique_ptr<EVP_MD_CTX, CtxDeleter> ctx{EVP_MD_CTX_new()};
  if (!ctx) openssl_failed("EVP_MD_CTX_new");
  return ctx.get();
}

void digest_parts(std::initializer_list<std::string_view> parts, Sha256Digest& out) {
  EVP_MD_CTX* ctx = thread_ctx();
  if (EVP_DigestInit_ex(ctx, sha256_md(), nullptr) != 1) openssl_failed("EVP_DigestInit_ex");
  for (std::string_view part : parts) {
    if (EVP_DigestUpdate(ctx, part.data(), part.size()) != 1) openssl_failed("EVP_DigestUpdate");
  }
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx, out.data(), &len) != 1 || len != out.size()) {
    openssl_failed("EVP_DigestFinal_ex");
  }
}

std::string_view as_chars(std::span<const unsigned char> bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace

Sha256Digest sha256(std::string_view data) {
  Sha256Digest out{};
  digest_parts({data}, out);
  return out;
}

Sha256Digest hmac_sha256(std::span<const unsigned char> key, std::string_view data) {
  // RFC 2104: H((K ^ opad) || H((K ^ ipad) || data)), K padded to one block.
  std::array<unsigned char, kBlockSize> block{};
  if (key.size() > kBlockSize) {
    const Sha256Digest hashed = sha256(as_chars(key));
    std::memcpy(block.data(), hashed.data(), hashed.size());
  } else if (!key.empty()) {
    std::memcpy(block.data(), key.data(), key.size());
  }
  std::array<unsigned char, kBlockSize> pad{};
  for (std::size_t i = 0; i < kBlockSize; ++i) pad[i] = static_cast<unsigned char>(block[i] ^ 0x36);
  Sha256Digest inner{};
  digest_parts({as_chars(pad), data}, inner);
  for (std::size_t i = 0; i < kBlockSize; ++i) pad[i] = static_cast<unsigned char>(block[i] ^ 0x5c);
  Sha256Digest out{};
  digest_parts({as_chars(pad), as_chars(inner)}, out);
  OPENSSL_cleanse(block.data(), block.size());
  OPENSSL_cleanse(pad.data(), pad.size());
  return out;
}

HexDigest to_hex(const Sha256Digest& digest) {
  static constexpr char kHex[] = "0123456789abcdef";
  HexDigest out{};
  for (std::size_t i = 0; i < digest.size(); ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0x0f];
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  const HexDigest hex = to_hex(sha256(data));
  return std::string(view(hex));
}

Sha256Stream::Sha256Stream() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr) openssl_failed("EVP_MD_CTX_new");
  if (EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), sha256_md(), nullptr) != 1) {
    openssl_failed("EVP_DigestInit_ex");
  }
}

Sha256Stream::~Sha256Stream() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256Stream::update(std::string_view chunk) {
  if (EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), chunk.data(), chunk.size()) != 1) {
    openssl_failed("EVP_DigestUpdate");
  }
}

Sha256Digest Sha256Stream::finish() {
  Sha256Digest out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), out.data(), &len) != 1 ||
      len != out.size()) {
    openssl_failed("EVP_DigestFinal_ex");
  }
  return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace cloudlet::auth
