#include "shim/client.h"

#include <sys/socket.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "shim/connection.h"

namespace berth::shim {

absl::StatusOr<ShimClient> ShimClient::Connect(const std::string& socket) {
  ASSIGN_OR_RETURN(UniqueFd fd, ConnectUnix(socket));
  return ShimClient(std::move(fd));
}

absl::Status ShimClient::SendRaw(absl::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n =
        RetryEintr([&] { return ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL); });
    if (n < 0) {
      broken_ = true;
      return ErrnoStatus("send", "shim socket");
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::StatusOr<Frame> ShimClient::ReadFrame() {
  for (;;) {
    if (auto next = decoder_.Next()) {
      if (next->error) {
        broken_ = true;  // the stream is out of step from here on
        return next->error->status;
      }
      return std::move(*next->frame);
    }
    char buf[65536];
    ssize_t n = RetryEintr([&] { return ::read(fd_.get(), buf, sizeof buf); });
    if (n <= 0) broken_ = true;
    if (n < 0) return ErrnoStatus("read", "shim socket");
    if (n == 0) return absl::UnavailableError("the shim closed the connection");
    decoder_.Feed(absl::string_view(buf, static_cast<size_t>(n)));
  }
}

absl::Status ShimClient::Call(absl::string_view method, const google::protobuf::MessageLite& req,
                              google::protobuf::MessageLite* resp) {
  v1::Request r;
  r.set_service(std::string(kServiceName));
  r.set_method(std::string(method));
  r.set_payload(req.SerializeAsString());
  uint32_t id = next_id_;
  next_id_ += 2;
  std::string out;
  RETURN_IF_ERROR(EncodeFrame(Frame{id, FrameType::kRequest, 0, r.SerializeAsString()}, &out));
  RETURN_IF_ERROR(SendRaw(out));
  for (;;) {
    ASSIGN_OR_RETURN(Frame frame, ReadFrame());
    if (frame.type == FrameType::kEvent) {
      v1::Event ev;
      if (ev.ParseFromString(frame.payload)) events_.push_back(std::move(ev));
      continue;
    }
    if (frame.id != id) continue;
    v1::Response response;
    if (!response.ParseFromString(frame.payload)) {
      return absl::DataLossError(absl::StrCat(method, ": malformed response from the shim"));
    }
    if (response.code() != 0) {
      return absl::Status(static_cast<absl::StatusCode>(response.code()), response.message());
    }
    if (resp != nullptr && !resp->ParseFromString(response.payload())) {
      return absl::DataLossError(absl::StrCat(method, ": malformed ", resp->GetTypeName()));
    }
    return absl::OkStatus();
  }
}

absl::StatusOr<v1::Event> ShimClient::NextEvent() {
  while (events_.empty()) {
    ASSIGN_OR_RETURN(Frame frame, ReadFrame());
    v1::Event ev;
    if (frame.type == FrameType::kEvent && ev.ParseFromString(frame.payload)) {
      events_.push_back(std::move(ev));
    }
  }
  v1::Event ev = std::move(events_.front());
  events_.pop_front();
  return ev;
}

}  // namespace berth::shim
