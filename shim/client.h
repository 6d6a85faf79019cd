// A blocking client of the shim API (berth-shimctl, tests, later the
// manager): one connection, one call at a time; events that arrive while a
// call waits for its response are kept for NextEvent().
#pragma once

#include <deque>
#include <string>

#include "absl/status/statusor.h"
#include "common/unique_fd.h"
#include "google/protobuf/message_lite.h"
#include "proto/shim/v1/shim.pb.h"
#include "shim/framing.h"

namespace berth::shim {

class ShimClient {
 public:
  static absl::StatusOr<ShimClient> Connect(const std::string& socket);

  // Sends Request{berth.shim.v1.Task, method, req} and waits for the
  // response; a non-OK Response becomes the returned status (same code).
  absl::Status Call(absl::string_view method, const google::protobuf::MessageLite& req,
                    google::protobuf::MessageLite* resp);
  // Blocks until the shim pushes an event.
  absl::StatusOr<v1::Event> NextEvent();
  // The connection itself failed (a send or read error, EOF, a malformed
  // frame), as opposed to the shim answering with an error: a new
  // connection is needed to go on.
  bool broken() const { return broken_; }

  // For tests: raw bytes out, the next frame in.
  absl::Status SendRaw(absl::string_view bytes);
  absl::StatusOr<Frame> ReadFrame();

 private:
  explicit ShimClient(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
  uint32_t next_id_ = 1;
  FrameDecoder decoder_;
  std::deque<v1::Event> events_;
  bool broken_ = false;
};

}  // namespace berth::shim
