// A process's cgroup, read from /proc/<pid>/cgroup, and what the shim reports
// from it (Pids, Stats). Works for v1, hybrid and v2 hierarchies.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "common/unique_fd.h"

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

// OOM kills in pid's memory cgroup, without polling: fd() (for the event
// loop) turns readable on a possible OOM: on v1 an eventfd registered through
// cgroup.event_control with memory.oom_control, on v2 inotify (IN_MODIFY) on
// memory.events. Fired() drains fd() and says whether the cgroup's "oom_kill"
// count has grown since the last call (v1 kernels without that count: whether
// the eventfd fired). Null, not an error, if the cgroup has no memory
// controller.
class OomWatch {
 public:
  static absl::StatusOr<std::unique_ptr<OomWatch>> Open(pid_t pid);
  int fd() const { return fd_.get(); }
  bool Fired();

 private:
  int64_t Kills() const;  // -1: no count

  UniqueFd fd_;
  UniqueFd counts_;  // memory.oom_control (v1) or memory.events (v2)
  int64_t kills_ = -1;
};

}  // namespace berth::shim
