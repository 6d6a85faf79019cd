// The shim's wire framing, ttrpc's design (docs/shim-protocol.md):
//
//   0        4        8    9    10
//   +--------+--------+----+----+---------------------------+
//   | length | id     |type|flag| payload (length bytes)    |
//   +--------+--------+----+----+---------------------------+
//   u32 big-endian     u8   u8   a serialized Request, Response or Event
//
// `id` pairs a response with its request (odd numbers from clients, as
// ttrpc's streams); events carry id 0. A frame longer than kMaxFramePayload
// is refused: the decoder skips its payload and reports it, so the connection
// stays usable and the peer gets an error response for that id.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth::shim {

// The service of every shim API method (Request.service).
inline constexpr absl::string_view kServiceName = "berth.shim.v1.Task";

inline constexpr size_t kFrameHeaderSize = 10;
inline constexpr uint32_t kMaxFramePayload = 4 << 20;  // 4 MiB

enum class FrameType : uint8_t { kRequest = 1, kResponse = 2, kEvent = 3 };

struct Frame {
  uint32_t id = 0;
  FrameType type = FrameType::kRequest;
  uint8_t flags = 0;
  std::string payload;
};

// Appends the encoded frame to out. Fails (InvalidArgument) if the payload
// exceeds kMaxFramePayload.
absl::Status EncodeFrame(const Frame& frame, std::string* out);

// A frame the decoder refused; the connection can go on.
struct FrameError {
  uint32_t id = 0;
  absl::Status status;
};

// Incremental decoder: feed it whatever read() returned, then call Next()
// until it returns nullopt (needs more bytes).
class FrameDecoder {
 public:
  explicit FrameDecoder(uint32_t max_payload = kMaxFramePayload) : max_payload_(max_payload) {}

  void Feed(absl::string_view data);

  // The next complete frame, or a FrameError for an oversized frame or an
  // unknown type (reported once, when its header arrives; its payload is then
  // skipped), or nullopt if more bytes are needed.
  struct Result {
    std::optional<Frame> frame;
    std::optional<FrameError> error;
  };
  std::optional<Result> Next();

  // Bytes buffered, not yet returned as frames (for limits and tests).
  size_t buffered() const { return buf_.size() - pos_; }

 private:
  uint32_t max_payload_;
  std::string buf_;
  size_t pos_ = 0;
  uint64_t skip_ = 0;  // payload bytes of a refused frame still to drop
};

}  // namespace berth::shim
