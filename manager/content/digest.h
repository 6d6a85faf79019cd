// Content digests: sha256 only, written "sha256:<64 lowercase hex>" as OCI
// and containerd do.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace berth::manager {

inline constexpr absl::string_view kSha256Prefix = "sha256:";

// An incremental sha256 hasher (OpenSSL EVP). Not thread-safe; movable.
class Sha256 {
 public:
  Sha256();
  void Update(absl::string_view data);
  void Update(const void* data, size_t size);
  // "sha256:<hex>" of everything fed so far. The hasher stays usable: more
  // Update calls continue the same stream.
  std::string Digest() const;
  int64_t Size() const { return size_; }

 private:
  struct CtxFree {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  std::unique_ptr<EVP_MD_CTX, CtxFree> ctx_;
  int64_t size_ = 0;
};

// "sha256:<hex>" of data.
std::string Sha256Digest(absl::string_view data);

// OK for "sha256:" followed by 64 lowercase hex digits; otherwise
// InvalidArgument naming the value.
absl::Status ValidateDigest(absl::string_view digest);

// The hex part of a valid digest ("sha256:abc" -> "abc").
inline absl::string_view DigestHex(absl::string_view digest) {
  return digest.substr(kSha256Prefix.size());
}

}  // namespace berth::manager
