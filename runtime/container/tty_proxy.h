// `run` and `exec` in the foreground with process.terminal and no
// --console-socket: the runtime is its own console socket receiver and
// copies between its stdio and the pty master until the process exits (as
// runc does), with the caller's terminal in raw mode and SIGWINCH passed on.
#pragma once

#include <sys/types.h>

#include "absl/status/statusor.h"
#include "common/unique_fd.h"

namespace berth::runtime {

class TtyProxy {
 public:
  static absl::StatusOr<TtyProxy> Create();

  // The end handed to the container as its console socket.
  int container_end() const { return container_end_.get(); }
  void CloseContainerEnd() { container_end_.reset(); }

  // Receives the pty master the container sent.
  absl::Status ReceiveMaster();

  // Copies stdin -> master and master -> stdout until pid (our child) exits;
  // forwards signals. Returns the exit code (128+signal).
  int Run(pid_t pid);

 private:
  UniqueFd our_end_, container_end_, master_;
};

}  // namespace berth::runtime
