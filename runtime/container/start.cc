#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "common/unique_fd.h"
#include "runtime/container/container.h"
#include "runtime/hooks.h"
#include "runtime/spec/spec.h"

namespace berth::runtime {

absl::Status StartContainer(const StateStore& store, const std::string& id, Logger& log) {
  ASSIGN_OR_RETURN(ContainerState state, store.Load(id));
  switch (ComputeStatus(store, state)) {
    case ContainerStatus::kCreated:
      break;
    case ContainerStatus::kStopped:
      return absl::FailedPreconditionError("cannot start a container that has stopped");
    default:
      return absl::FailedPreconditionError("cannot start an already running container");
  }
  // The init is blocked opening the fifo for writing: our open releases it,
  // its one byte says it got past the open (see state.h).
  std::string fifo = store.FifoPath(id);
  UniqueFd fd(open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  if (!fd) return ErrnoStatus("open exec fifo", fifo);
  for (;;) {
    struct pollfd p {
      fd.get(), POLLIN, 0
    };
    int r = poll(&p, 1, 100);
    if (r < 0 && errno != EINTR) return ErrnoStatus("poll exec fifo", fifo);
    if (r > 0) {
      char c;
      ssize_t n = read(fd.get(), &c, 1);
      if (n == 1) break;
      if (n < 0 && errno != EAGAIN) return ErrnoStatus("read exec fifo", fifo);
    }
    if (ProcessStartTime(state.pid) != state.start_time) {
      return absl::FailedPreconditionError("cannot start a container that has stopped");
    }
  }
  unlink(fifo.c_str());

  auto spec = ParseSpec(state.config.dump());
  if (spec.ok() && !spec->hooks.poststart.empty()) {
    // poststart hooks run after the user process started: the init holds
    // the fifo open (close-on-exec) until its execve, so wait for the EOF.
    int flags = fcntl(fd.get(), F_GETFL);
    fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
    char c;
    while (RetryEintr([&] { return read(fd.get(), &c, 1); }) > 0) {
    }
    nlohmann::json st = OciState(state, ContainerStatus::kRunning);
    if (absl::Status s = RunHooks(spec->hooks.poststart, "poststart", st.dump()); !s.ok()) {
      // As runc: a failed poststart hook kills the container and fails start.
      (void)DeleteContainer(store, id, true, log);
      return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace berth::runtime
