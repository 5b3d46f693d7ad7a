// SHA-256 and HMAC-SHA-256 on top of OpenSSL, shaped for SigV4.
//
// Why not OpenSSL's one-shot HMAC()? In OpenSSL 3 every one-shot call fetches
// the algorithm again from the provider, which costs more than hashing a
// typical canonical request. Here the SHA-256 implementation is fetched once
// per process and each thread reuses one digest context, and HMAC is built
// from it (RFC 2104), so verification does no heap allocation for hashing.
//
// Thread safety: every function may be called concurrently.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace cloudlet::auth {

using Sha256Digest = std::array<unsigned char, 32>;

// Lowercase hex of a digest: exactly 64 characters.
using HexDigest = std::array<char, 64>;

Sha256Digest sha256(std::string_view data);
Sha256Digest hmac_sha256(std::span<const unsigned char> key, std::string_view data);

HexDigest to_hex(const Sha256Digest& digest);
inline std::string_view view(const HexDigest& hex) { return {hex.data(), hex.size()}; }

// Lowercase hex of SHA-256 of `data`, e.g. the payload hash of a body held in memory.
std::string sha256_hex(std::string_view data);

// Incremental SHA-256 for bodies that arrive in pieces (the gateway hashes the
// body while reading it, never trusting Content-Length). Not copyable; one
// instance per request. Cost: one EVP context allocation per instance.
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;

  void update(std::string_view chunk);
  // Ends the stream; further update() calls start nothing new and are a bug.
  Sha256Digest finish();

 private:
  void* ctx_;  // EVP_MD_CTX*, kept opaque so this header does not pull in OpenSSL
};

// Constant-time equality of two equally long buffers (CRYPTO_memcmp); false
// when the lengths differ (the length of a signature is not secret).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace cloudlet::auth
