#include "manager/content/digest.h"

#include "absl/strings/str_cat.h"

namespace berth::manager {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  // Only allocation can fail here; a failed allocation is not recoverable.
  if (!ctx_ || EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) std::abort();
}

void Sha256::Update(const void* data, size_t size) {
  EVP_DigestUpdate(ctx_.get(), data, size);
  size_ += static_cast<int64_t>(size);
}

void Sha256::Update(absl::string_view data) { Update(data.data(), data.size()); }

std::string Sha256::Digest() const {
  // Finalise a copy so that the stream can continue.
  std::unique_ptr<EVP_MD_CTX, CtxFree> copy(EVP_MD_CTX_new());
  if (!copy || EVP_MD_CTX_copy_ex(copy.get(), ctx_.get()) != 1) std::abort();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(copy.get(), md, &len);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(kSha256Prefix);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0xf]);
  }
  return out;
}

std::string Sha256Digest(absl::string_view data) {
  Sha256 h;
  h.Update(data);
  return h.Digest();
}

absl::Status ValidateDigest(absl::string_view digest) {
  if (digest.substr(0, kSha256Prefix.size()) != kSha256Prefix) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid digest \"", digest, "\": only sha256 is supported"));
  }
  absl::string_view hex = DigestHex(digest);
  bool ok = hex.size() == 64;
  for (char c : hex) ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  if (!ok) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid digest \"", digest, "\": want sha256:<64 lowercase hex>"));
  }
  return absl::OkStatus();
}

}  // namespace berth::manager
