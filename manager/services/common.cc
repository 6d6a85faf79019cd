#include "manager/services/common.h"

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace berth::manager {

absl::Status ValidateNamespace(const std::string& ns) {
  bool ok = !ns.empty() && ns.size() <= 76 && isalnum(static_cast<unsigned char>(ns[0]));
  for (char c : ns) {
    ok = ok && (isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-');
  }
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat("namespace \"", ns, "\": must match [A-Za-z0-9][A-Za-z0-9._-]*"));
}

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
