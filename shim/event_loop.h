// One epoll loop: every source of the shim (signalfd, the API and attach
// sockets and their connections, stdio pipes or the pty master, timerfds) is
// an fd with a handler. Handlers run on the loop's only thread and must not
// block. A handler may remove any fd, including its own; a later event of the
// same batch for a removed fd is dropped.
#pragma once

#include <sys/epoll.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>

#include "absl/status/status.h"
#include "common/unique_fd.h"

namespace berth::shim {

class EventLoop {
 public:
  using Handler = std::function<void(uint32_t events)>;

  absl::Status Init();

  // Watches fd (not owned) for events (EPOLLIN, EPOLLOUT, ...).
  absl::Status Add(int fd, uint32_t events, Handler handler);
  absl::Status Modify(int fd, uint32_t events);
  void Remove(int fd);

  // Runs fn once after ms milliseconds (a timerfd owned by the loop).
  absl::Status After(int ms, std::function<void()> fn);

  // Dispatches events until Stop().
  absl::Status Run();
  void Stop() { stopped_ = true; }

 private:
  UniqueFd epoll_;
  std::map<int, std::shared_ptr<Handler>> handlers_;
  std::map<int, UniqueFd> timers_;
  bool stopped_ = false;
};

}  // namespace berth::shim
