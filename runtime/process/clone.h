// Forking the container's processes: clone3 with CLONE_PARENT (the runtime
// stays their parent, so `run` and `exec` can wait for them) and, when a
// cgroup v2 directory is given, CLONE_INTO_CGROUP (the child is born in its
// cgroup, no migration). Where clone3 or CLONE_INTO_CGROUP is missing
// (ENOSYS, E2BIG, EINVAL), it falls back to moving the caller through
// cgroup.procs and clone(2).
#pragma once

#include <sys/types.h>

#include "absl/status/statusor.h"

namespace berth::runtime {

// Returns 0 in the child, the child's pid in the caller. cgroup_fd: an open
// cgroup v2 directory, or -1.
absl::StatusOr<pid_t> CloneSibling(int cgroup_fd);

// Moves the calling process into the cgroup v2 directory cgroup_fd through
// cgroup.procs (takes the global threadgroup lock: an RCU grace period).
absl::Status JoinCgroupV2(int cgroup_fd);

}  // namespace berth::runtime
