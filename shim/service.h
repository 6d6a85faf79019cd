// The shim API's adapter: accepts connections on the shim's socket, decodes
// frames (framing.h) into berth.shim.v1 requests, calls Shim and encodes the
// replies; pushes Shim's events to every connection. Errors become a
// Response{code, message} here and nowhere else: a malformed or oversized
// frame, an unknown method or a payload that does not parse is answered
// with an error and the connection goes on.
#pragma once

#include <list>
#include <memory>
#include <string>

#include "common/unique_fd.h"
#include "shim/connection.h"
#include "shim/event_loop.h"
#include "shim/framing.h"
#include "shim/shim.h"

namespace berth::shim {

class ShimService {
 public:
  ShimService(Shim* shim, EventLoop* loop) : shim_(shim), loop_(loop) {}
  ~ShimService();

  // Takes a listening socket (non-blocking).
  absl::Status Serve(UniqueFd listener);

 private:
  struct Client {
    std::unique_ptr<Connection> conn;
    FrameDecoder decoder;
  };
  void OnAccept();
  void OnData(const std::shared_ptr<Client>& client, absl::string_view data);
  void Handle(const std::shared_ptr<Client>& client, const Frame& frame);
  static void Reply(const std::weak_ptr<Client>& client, uint32_t id, const absl::Status& status,
                    const std::string& payload = {});
  void Broadcast(absl::string_view topic, const std::string& payload);

  Shim* shim_;
  EventLoop* loop_;
  UniqueFd listener_;
  std::list<std::shared_ptr<Client>> clients_;
};

}  // namespace berth::shim
