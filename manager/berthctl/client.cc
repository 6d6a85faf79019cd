#include "manager/berthctl/client.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace berth::berthctl {

absl::StatusOr<std::chrono::milliseconds> ParseTimeout(const std::string& text) {
  absl::string_view v = text;
  double scale = 1000;  // plain number: seconds
  if (absl::ConsumeSuffix(&v, "ms")) {
    scale = 1;
  } else if (absl::ConsumeSuffix(&v, "s")) {
    scale = 1000;
  } else if (absl::ConsumeSuffix(&v, "m")) {
    scale = 60000;
  } else if (absl::ConsumeSuffix(&v, "h")) {
    scale = 3600000;
  }
  double n = 0;
  if (!absl::SimpleAtod(v, &n) || n < 0) {
    return absl::InvalidArgumentError(absl::StrCat("invalid --timeout \"", text, "\""));
  }
  return std::chrono::milliseconds(static_cast<int64_t>(n * scale));
}

absl::Status FromGrpc(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

std::unique_ptr<grpc::ClientContext> Client::NewContext() const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("berth-namespace", opts_.ns);
  if (opts_.timeout.count() > 0)
    ctx->set_deadline(std::chrono::system_clock::now() + opts_.timeout);
  return ctx;
}

std::shared_ptr<grpc::Channel> Client::channel() {
  if (!channel_) {
    std::string target = opts_.address;
    if (!absl::StartsWith(target, "unix:")) target = "unix://" + target;
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(64 << 20);
    args.SetMaxSendMessageSize(64 << 20);
    channel_ = grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
  }
  return channel_;
}

}  // namespace berth::berthctl
