#include "shim/framing.h"

#include <catch2/catch.hpp>

namespace berth::shim {
namespace {

std::string Encode(uint32_t id, FrameType type, const std::string& payload) {
  std::string out;
  REQUIRE(EncodeFrame(Frame{id, type, 0, payload}, &out).ok());
  return out;
}

TEST_CASE("a frame is a 10-byte big-endian header and the payload") {
  std::string f = Encode(0x01020304, FrameType::kResponse, "abc");
  REQUIRE(f.size() == kFrameHeaderSize + 3);
  CHECK(f.substr(0, 4) == std::string("\0\0\0\3", 4));
  CHECK(f.substr(4, 4) == "\x01\x02\x03\x04");
  CHECK(f[8] == 2);
  CHECK(f.substr(10) == "abc");
}

TEST_CASE("frames arrive byte by byte") {
  std::string f = Encode(7, FrameType::kRequest, "hello");
  FrameDecoder d;
  for (size_t i = 0; i + 1 < f.size(); ++i) {
    d.Feed(f.substr(i, 1));
    CHECK_FALSE(d.Next().has_value());
  }
  d.Feed(f.substr(f.size() - 1));
  auto r = d.Next();
  REQUIRE(r.has_value());
  REQUIRE(r->frame.has_value());
  CHECK(r->frame->id == 7);
  CHECK(r->frame->type == FrameType::kRequest);
  CHECK(r->frame->payload == "hello");
  CHECK_FALSE(d.Next().has_value());
  CHECK(d.buffered() == 0);
}

TEST_CASE("several frames in one read, and an empty payload") {
  FrameDecoder d;
  d.Feed(Encode(1, FrameType::kRequest, "a") + Encode(3, FrameType::kEvent, "") +
         Encode(5, FrameType::kRequest, "ccc").substr(0, 12));
  CHECK(d.Next()->frame->payload == "a");
  auto second = d.Next();
  CHECK(second->frame->id == 3);
  CHECK(second->frame->payload.empty());
  CHECK_FALSE(d.Next().has_value());
  d.Feed("c");
  CHECK(d.Next()->frame->payload == "ccc");
}

TEST_CASE("an oversized frame is refused with its id, skipped, and the stream goes on") {
  FrameDecoder d(16);
  std::string big = Encode(9, FrameType::kRequest, std::string(40, 'x'));
  d.Feed(big.substr(0, 20));
  auto r = d.Next();
  REQUIRE(r.has_value());
  REQUIRE(r->error.has_value());
  CHECK(r->error->id == 9);
  CHECK(r->error->status.code() == absl::StatusCode::kResourceExhausted);
  CHECK(r->error->status.message() == "frame of 40 bytes exceeds the 16-byte limit");
  CHECK_FALSE(d.Next().has_value());
  d.Feed(big.substr(20) + Encode(11, FrameType::kRequest, "ok"));
  auto after = d.Next();
  REQUIRE(after->frame.has_value());
  CHECK(after->frame->id == 11);
  CHECK(after->frame->payload == "ok");
}

TEST_CASE("the encoder refuses payloads over 4 MiB") {
  std::string out;
  auto s =
      EncodeFrame(Frame{1, FrameType::kRequest, 0, std::string(kMaxFramePayload + 1, 'x')}, &out);
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK(out.empty());
}

TEST_CASE("an unknown frame type is reported and skipped") {
  std::string f = Encode(5, FrameType::kRequest, "zz");
  f[8] = 42;
  FrameDecoder d;
  d.Feed(f + Encode(7, FrameType::kRequest, "y"));
  auto r = d.Next();
  REQUIRE(r->error.has_value());
  CHECK(r->error->id == 5);
  CHECK(r->error->status.message() == "unknown frame type 42");
  CHECK(d.Next()->frame->id == 7);
}

}  // namespace
}  // namespace berth::shim
