#include "shim/client.h"

#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

#include "shim/connection.h"
#include "shim/framing.h"

namespace berth::shim {
namespace {

// A listening socket in a temp dir, and the server end of one connection.
struct Server {
  Server() {
    char tmpl[] = "/tmp/berth-client-test.XXXXXX";
    dir = ::mkdtemp(tmpl);
    path = dir + "/shim.sock";
    auto l = ListenUnix(path);
    REQUIRE(l.ok());
    listener = *std::move(l);
  }
  ~Server() {
    ::unlink(path.c_str());
    ::rmdir(dir.c_str());
  }
  void Accept() {
    for (int i = 0; i < 100 && !conn; ++i) {
      conn = UniqueFd(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!conn) ::usleep(10 * 1000);
    }
    REQUIRE(conn);
  }
  void Answer(uint32_t id, int code, const std::string& message) {
    v1::Response r;
    r.set_code(code);
    r.set_message(message);
    std::string out;
    REQUIRE(EncodeFrame(Frame{id, FrameType::kResponse, 0, r.SerializeAsString()}, &out).ok());
    REQUIRE(::write(conn.get(), out.data(), out.size()) == static_cast<ssize_t>(out.size()));
  }
  std::string dir, path;
  UniqueFd listener, conn;
};

TEST_CASE("shim client: an error answer leaves the connection usable, a closed one is broken") {
  Server server;
  auto client = ShimClient::Connect(server.path);
  REQUIRE(client.ok());
  server.Accept();
  // The first call's id is 1: its answer can be queued before the call.
  server.Answer(1, static_cast<int>(absl::StatusCode::kNotFound), "no such exec");
  v1::StateRequest req;
  v1::StateResponse resp;
  absl::Status s = client->Call("State", req, &resp);
  CHECK(absl::IsNotFound(s));
  CHECK(s.message() == "no such exec");
  CHECK_FALSE(client->broken());

  server.conn.reset();  // the shim goes away
  s = client->Call("State", req, &resp);
  CHECK_FALSE(s.ok());
  CHECK(client->broken());
}

TEST_CASE("shim client: a malformed frame breaks the connection") {
  Server server;
  auto client = ShimClient::Connect(server.path);
  REQUIRE(client.ok());
  server.Accept();
  const std::string junk(64, '\xff');  // a header announcing an impossible length
  REQUIRE(::write(server.conn.get(), junk.data(), junk.size()) == 64);
  v1::StateRequest req;
  v1::StateResponse resp;
  CHECK_FALSE(client->Call("State", req, &resp).ok());
  CHECK(client->broken());
}

}  // namespace
}  // namespace berth::shim
