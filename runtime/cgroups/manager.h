// One interface over cgroup v1 and v2 (crun's cgroup manager table): create
// the container's cgroup, put a process in it, list and remove. The cgroup
// filesystem root is a parameter, so v2 is unit-tested on a plain directory.
#pragma once

#include <sys/types.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/log.h"
#include "nlohmann/json.hpp"
#include "runtime/cgroups/resources.h"

namespace berth::runtime {

enum class CgroupMode { kV1, kHybrid, kV2 };

class CgroupManager {
 public:
  virtual ~CgroupManager() = default;
  virtual CgroupMode mode() const = 0;
  // Creates the cgroup directories (idempotent).
  virtual absl::Status Create() = 0;
  // Moves pid into the cgroup (every hierarchy).
  virtual absl::Status Join(pid_t pid) = 0;
  // Moves the calling process, which must be single-threaded, into every v1
  // hierarchy through the `tasks` file. Writing "0" there moves one thread
  // without the global threadgroup lock, whose write side waits for an RCU
  // grace period (5-20 ms here); cgroup.procs always takes it.
  virtual absl::Status JoinSelfV1() = 0;
  // The cgroup v2 directory (v2 hosts, and the unified tree of hybrid ones),
  // "" if none: new processes enter it with clone3(CLONE_INTO_CGROUP).
  virtual std::string V2Path() const = 0;
  // Pids in the cgroup (cgroup.procs).
  virtual absl::StatusOr<std::vector<pid_t>> Pids() const = 0;
  // Removes the cgroup directories; missing ones are fine.
  virtual absl::Status Destroy() = 0;
  // Hierarchy name ("memory", "unified", "" for v2) -> directory.
  virtual std::map<std::string, std::string> Paths() const = 0;
  // Writes the resources (create and `update`). On v2, enables the needed
  // controllers in every ancestor first. Missing files are warnings.
  virtual absl::Status Set(const Resources& resources, Logger* log) = 0;
  // Whether the cgroup is frozen (or freezing); false if it does not exist.
  virtual absl::StatusOr<bool> Frozen() const = 0;
  // Freezes (pause) or thaws (resume), and waits until the kernel says so.
  virtual absl::Status Freeze(bool frozen) = 0;
  // Usage figures shaped like runc's `events --stats` data.
  virtual nlohmann::json Stats() const = 0;
};

struct CgroupLayout {
  CgroupMode mode = CgroupMode::kV2;
  std::string unified_root;  // "/sys/fs/cgroup" (v2) or "/sys/fs/cgroup/unified" (hybrid)
  // v1: hierarchy ("cpu,cpuacct", "name=systemd") -> mount point.
  std::map<std::string, std::string> v1_mounts;
  // This process's cgroup per hierarchy ("" for v2), from /proc/self/cgroup.
  std::map<std::string, std::string> self;
};

// Reads the host's layout from /proc/self/mountinfo and /proc/self/cgroup.
absl::StatusOr<CgroupLayout> DetectCgroupLayout();

// The container's cgroup path inside each hierarchy, by runc's rule: an
// absolute cgroupsPath is used as it is, a relative one goes under the
// runtime's own cgroup, an empty one is "<own cgroup>/<id>".
std::string ResolveCgroupPath(const std::string& cgroups_path, const std::string& own,
                              const std::string& id);

std::unique_ptr<CgroupManager> NewCgroupManager(const CgroupLayout& layout,
                                                const std::string& cgroups_path,
                                                const std::string& id);

// exec --cgroup: each spec is "sub" (every hierarchy) or "ctrl[,ctrl]:sub"
// (the v1 hierarchies holding those controllers; on a v2 host, the one
// cgroup). Returns paths with sub appended, each an existing directory.
// Errors, as runc words them: "<sub> is not a sub cgroup path",
// "unknown controller <ctrl>", "adding pid to cgroups: <dir>/cgroup.procs:
// no such file or directory".
absl::StatusOr<std::map<std::string, std::string>> SubCgroupPaths(
    const std::map<std::string, std::string>& paths, const std::vector<std::string>& specs);

// Rebuilds a manager from paths recorded in the state file.
std::unique_ptr<CgroupManager> CgroupManagerFromPaths(
    CgroupMode mode, const std::map<std::string, std::string>& paths);

}  // namespace berth::runtime
