#include "runtime/process/clone.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "common/status.h"

namespace berth::runtime {
namespace {

// BERTH_TEST_NO_CLONE3=1 makes clone3 "missing", so tests cover the fallback.
bool Clone3Disabled() {
  static const bool disabled = getenv("BERTH_TEST_NO_CLONE3") != nullptr;
  return disabled;
}

long Clone3(int cgroup_fd) {
  if (Clone3Disabled()) {
    errno = ENOSYS;
    return -1;
  }
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = CLONE_PARENT | (cgroup_fd >= 0 ? CLONE_INTO_CGROUP : 0);
  // With CLONE_PARENT the kernel wants exit_signal 0: the child signals
  // our parent as we would (SIGCHLD).
  args.exit_signal = 0;
  args.cgroup = cgroup_fd >= 0 ? static_cast<__u64>(cgroup_fd) : 0;
  return syscall(SYS_clone3, &args, sizeof args);
}

}  // namespace

absl::StatusOr<pid_t> CloneSibling(int cgroup_fd) {
  long pid = Clone3(cgroup_fd);
  if (pid >= 0) return static_cast<pid_t>(pid);
  if (errno != ENOSYS && errno != E2BIG && errno != EINVAL)
    return ErrnoStatus("clone3", "container process");
  // No CLONE_INTO_CGROUP: move ourselves, the child follows.
  if (cgroup_fd >= 0) RETURN_IF_ERROR(JoinCgroupV2(cgroup_fd));
  // fork semantics (no new stack); the child's SIGCHLD goes to our parent.
  pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, nullptr, nullptr, nullptr, 0);
  if (pid < 0) return ErrnoStatus("clone", "container process");
  return static_cast<pid_t>(pid);
}

absl::Status JoinCgroupV2(int cgroup_fd) {
  int fd = openat(cgroup_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("open", "cgroup.procs");
  ssize_t n = write(fd, "0", 1);
  int err = errno;
  close(fd);
  if (n != 1) return ErrnoStatus(err, "join cgroup", "cgroup.procs");
  return absl::OkStatus();
}

}  // namespace berth::runtime
