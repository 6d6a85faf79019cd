// Listens to every shim's events on one thread: each task has one extra
// connection to its shim that only receives Event frames (/tasks/exit,
// /tasks/exec-exit, /tasks/oom), which are handed to a callback. A shim that
// closes the connection (it exited or was killed) is reported once.
//
//   TaskManager --Watch(key, socket)--> ShimMonitor (epoll thread)
//                                         <-- Event frames from each shim
//   on_event(key, event) / on_gone(key) <-- decoded on the monitor thread
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "common/unique_fd.h"
#include "proto/shim/v1/shim.pb.h"
#include "shim/framing.h"

namespace berth::manager {

class ShimMonitor {
 public:
  using OnEvent = std::function<void(const std::string& key, const shim::v1::Event& event)>;
  using OnGone = std::function<void(const std::string& key)>;

  ShimMonitor(OnEvent on_event, OnGone on_gone);
  ~ShimMonitor();  // stops the thread

  // Connects to socket and reports its events under key (replacing any
  // earlier watch of key).
  absl::Status Watch(const std::string& key, const std::string& socket);
  void Unwatch(const std::string& key);

 private:
  struct Watched {
    std::string key;
    UniqueFd fd;
    shim::FrameDecoder decoder;
  };
  void Loop();
  void Drain(int fd);

  OnEvent on_event_;
  OnGone on_gone_;
  UniqueFd epoll_;
  UniqueFd wake_;  // eventfd: stop
  std::mutex mu_;
  std::map<int, std::unique_ptr<Watched>> by_fd_;
  std::thread thread_;
};

}  // namespace berth::manager
