// What every gRPC adapter shares: the request's namespace and the one
// conversion of absl::Status to grpc::Status (the codes are the same
// numbers; the message travels as is).
#pragma once

#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/status/statusor.h"

namespace berth::manager {

// The metadata key naming a call's namespace (containerd: "containerd-namespace").
inline constexpr char kNamespaceKey[] = "berth-namespace";
inline constexpr char kDefaultNamespace[] = "default";

// The call's namespace: "default" when absent; InvalidArgument when it is not
// [A-Za-z0-9][A-Za-z0-9._-]* (at most 76 characters).
absl::StatusOr<std::string> CallNamespace(const grpc::ServerContextBase* ctx);
absl::Status ValidateNamespace(const std::string& ns);
// The rule for namespaces and container ids; what names the field.
absl::Status ValidateName(absl::string_view what, const std::string& name);

grpc::Status ToGrpc(const absl::Status& s);

// A callback stream refused before it began: `return new Refused<R>(status);`
// from a handler that returns R*.
template <class Reactor>
class Refused final : public Reactor {
 public:
  explicit Refused(const grpc::Status& s) { this->Finish(s); }
  void OnDone() override { delete this; }
};

}  // namespace berth::manager

// Inside a handler: `NS_OR_RETURN(ns, context);`
#define BERTH_NS_OR_RETURN(ns, ctx)                                     \
  auto ns##_or = ::berth::manager::CallNamespace(ctx);                  \
  if (!ns##_or.ok()) return ::berth::manager::ToGrpc(ns##_or.status()); \
  const std::string& ns = *ns##_or
