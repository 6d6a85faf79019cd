#include "shim/framing.h"

#include "absl/strings/str_format.h"

namespace berth::shim {
namespace {

void PutU32(std::string* out, uint32_t v) {
  char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
               static_cast<char>(v)};
  out->append(b, 4);
}

uint32_t GetU32(const char* p) {
  auto u = [&](int i) { return static_cast<uint32_t>(static_cast<unsigned char>(p[i])); };
  return u(0) << 24 | u(1) << 16 | u(2) << 8 | u(3);
}

bool KnownType(uint8_t t) { return t >= 1 && t <= 3; }

}  // namespace

absl::Status EncodeFrame(const Frame& frame, std::string* out) {
  if (frame.payload.size() > kMaxFramePayload) {
    return absl::InvalidArgumentError(absl::StrFormat("frame of %d bytes exceeds the %d-byte limit",
                                                      frame.payload.size(), kMaxFramePayload));
  }
  PutU32(out, static_cast<uint32_t>(frame.payload.size()));
  PutU32(out, frame.id);
  out->push_back(static_cast<char>(frame.type));
  out->push_back(static_cast<char>(frame.flags));
  out->append(frame.payload);
  return absl::OkStatus();
}

void FrameDecoder::Feed(absl::string_view data) {
  if (skip_ > 0) {
    size_t n = std::min<uint64_t>(skip_, data.size());
    skip_ -= n;
    data.remove_prefix(n);
  }
  if (pos_ > 0 && pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > 64 * 1024) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  buf_.append(data.data(), data.size());
}

std::optional<FrameDecoder::Result> FrameDecoder::Next() {
  if (skip_ > 0 || buffered() < kFrameHeaderSize) return std::nullopt;
  const char* h = buf_.data() + pos_;
  uint32_t length = GetU32(h);
  uint32_t id = GetU32(h + 4);
  uint8_t type = static_cast<uint8_t>(h[8]);
  if (length > max_payload_ || !KnownType(type)) {
    pos_ += kFrameHeaderSize;
    uint64_t here = std::min<uint64_t>(length, buffered());
    pos_ += here;
    skip_ = length - here;
    absl::Status status =
        length > max_payload_
            ? absl::ResourceExhaustedError(absl::StrFormat(
                  "frame of %d bytes exceeds the %d-byte limit", length, max_payload_))
            : absl::InvalidArgumentError(absl::StrFormat("unknown frame type %d", type));
    return Result{std::nullopt, FrameError{id, status}};
  }
  if (buffered() < kFrameHeaderSize + length) return std::nullopt;
  Frame frame;
  frame.id = id;
  frame.type = static_cast<FrameType>(type);
  frame.flags = static_cast<uint8_t>(h[9]);
  frame.payload.assign(h + kFrameHeaderSize, length);
  pos_ += kFrameHeaderSize + length;
  return Result{std::move(frame), std::nullopt};
}

}  // namespace berth::shim
