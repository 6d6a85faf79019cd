#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "runtime/container/container.h"

namespace berth::runtime {

bool WaitForExit(pid_t pid, int timeout_ms) {
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) return errno == ESRCH;
  struct pollfd p {
    pidfd, POLLIN, 0
  };
  int r = RetryEintr([&] { return poll(&p, 1, timeout_ms); });
  close(pidfd);
  return r > 0;
}

absl::Status KillContainer(const StateStore& store, const std::string& id, int sig, bool all) {
  ASSIGN_OR_RETURN(ContainerState state, store.Load(id));
  ContainerStatus status = ComputeStatus(store, state);
  if (status == ContainerStatus::kStopped && !all) {
    return absl::FailedPreconditionError("container not running");
  }
  if (all) {
    auto cg = CgroupManagerFromPaths(state.cgroup_mode, state.cgroup_paths);
    auto pids = cg->Pids();
    if (!pids.ok()) return pids.status();
    for (pid_t p : *pids) kill(p, sig);
    return absl::OkStatus();
  }
  if (kill(state.pid, sig) != 0)
    return ErrnoStatus(absl::StrCat("kill ", sig, " pid"), std::to_string(state.pid));
  return absl::OkStatus();
}

}  // namespace berth::runtime
