// berthctl's connection to berth-manager: one gRPC channel to unix://ADDRESS
// (made on first use, so a command can set its signal mask before gRPC starts
// threads), and a ClientContext per call that carries the namespace (metadata
// "berth-namespace") and the --timeout deadline.
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <typeindex>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Each command file includes the generated stubs it uses
// ("proto/manager/v1/tasks.grpc.pb.h", ...); this header needs none.
namespace berth::manager::v1 {}

namespace berth::berthctl {

namespace v1 = ::berth::manager::v1;

struct GlobalOptions {
  std::string address = "/run/berth/manager.sock";
  std::string ns = "default";
  std::chrono::milliseconds timeout{0};  // 0: no deadline
};

// "10s", "500ms", "2m", or plain seconds.
absl::StatusOr<std::chrono::milliseconds> ParseTimeout(const std::string& text);

// The gRPC status as an absl::Status: same code, message as is.
absl::Status FromGrpc(const grpc::Status& status);

class Client {
 public:
  explicit Client(GlobalOptions opts) : opts_(std::move(opts)) {}

  const std::string& ns() const { return opts_.ns; }
  // A context for one call: namespace metadata and the deadline, if any.
  std::unique_ptr<grpc::ClientContext> NewContext() const;

  // The stub S (e.g. v1::Tasks::Stub) on the channel, made once; thread-safe.
  template <typename S>
  S& Stub() {
    std::lock_guard<std::mutex> lock(mu_);
    auto& slot = stubs_[std::type_index(typeid(S))];
    if (!slot) slot = std::make_shared<S>(channel());
    return *static_cast<S*>(slot.get());
  }

  // One unary call with a fresh context:
  //   RETURN_IF_ERROR(c.Call(&v1::Images::Stub::List, req, &resp));
  template <typename S, typename Req, typename Resp>
  absl::Status Call(grpc::Status (S::*method)(grpc::ClientContext*, const Req&, Resp*),
                    const Req& req, Resp* resp) {
    auto ctx = NewContext();
    return FromGrpc((Stub<S>().*method)(ctx.get(), req, resp));
  }

 private:
  std::shared_ptr<grpc::Channel> channel();  // callers hold mu_

  GlobalOptions opts_;
  std::mutex mu_;
  std::shared_ptr<grpc::Channel> channel_;
  std::map<std::type_index, std::shared_ptr<void>> stubs_;
};

}  // namespace berth::berthctl
