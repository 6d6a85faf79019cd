// A non-blocking stream socket (or pipe) on the event loop: bytes read are
// handed to on_data, bytes sent are buffered until the peer takes them. On
// EOF, an error, or an overflowing send buffer the connection closes itself
// and calls on_close last (the owner may destroy it there).
#pragma once

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/unique_fd.h"
#include "shim/event_loop.h"

namespace berth::shim {

class Connection {
 public:
  struct Callbacks {
    std::function<void(absl::string_view)> on_data;
    std::function<void()> on_close;
  };
  // A peer that leaves more than this unread is dropped.
  static constexpr size_t kMaxSendBuffer = 8 << 20;

  Connection(EventLoop* loop, UniqueFd fd, Callbacks callbacks);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  absl::Status Register();
  void Send(absl::string_view data);
  void Close();
  // Closes once everything sent so far has gone out.
  void CloseAfterFlush();
  bool closed() const { return !fd_; }
  int fd() const { return fd_.get(); }

 private:
  void OnEvents(uint32_t events);
  void Flush();
  void UpdateInterest();

  EventLoop* loop_;
  UniqueFd fd_;
  Callbacks callbacks_;
  std::string out_;
  bool want_out_ = false;
  bool close_when_flushed_ = false;
};

// Reads a listening socket's pending connections (non-blocking, CLOEXEC).
absl::StatusOr<UniqueFd> ListenUnix(const std::string& path);
absl::StatusOr<UniqueFd> ConnectUnix(const std::string& path);
// Receives one fd sent with SCM_RIGHTS (the runtime's console socket).
absl::StatusOr<UniqueFd> ReceiveFd(int socket);
absl::Status SetNonBlocking(int fd);

}  // namespace berth::shim
