#include "manager/services/common.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace berth::manager {

absl::Status ValidateName(absl::string_view what, const std::string& name) {
  bool ok = !name.empty() && name.size() <= 76 && isalnum(static_cast<unsigned char>(name[0]));
  for (char c : name) {
    ok = ok && (isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-');
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      what, " \"", name, "\": must match [A-Za-z0-9][A-Za-z0-9._-]* (at most 76 characters)"));
}

absl::Status ValidateNamespace(const std::string& ns) { return ValidateName("namespace", ns); }

absl::StatusOr<std::string> CallNamespace(const grpc::ServerContextBase* ctx) {
  const auto& md = ctx->client_metadata();
  auto it = md.find(kNamespaceKey);
  if (it == md.end()) return std::string(kDefaultNamespace);
  std::string ns(it->second.data(), it->second.size());
  if (absl::Status s = ValidateNamespace(ns); !s.ok()) return s;
  return ns;
}

grpc::Status ToGrpc(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

}  // namespace berth::manager
