// A process's cgroup, read from /proc/<pid>/cgroup, and what the shim reports
// from it (Pids, Stats). Works for v1, hybrid and v2 hierarchies.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"

namespace berth::shim {

struct CgroupStats {
  uint64_t cpu_usage_ns = 0;
  uint64_t memory_usage_bytes = 0;
  uint64_t memory_limit_bytes = 0;  // 0: unlimited
  uint64_t pids_current = 0;
};

// Every pid in pid's cgroup (cgroup.procs of its pids, memory or v2 cgroup).
absl::StatusOr<std::vector<pid_t>> CgroupPids(pid_t pid);
absl::StatusOr<CgroupStats> ReadCgroupStats(pid_t pid);

}  // namespace berth::shim
