// A container's persistent record under --root (<root>/<id>/state.json) and
// its live status, worked out from the init process and the exec fifo:
//
//   created  init alive, <root>/<id>/exec.fifo still present (waiting in open)
//   running  init alive, fifo consumed by `start`
//   paused   running and the cgroup freezer says FROZEN
//   stopped  init gone (or a zombie, or its pid reused: start time differs)
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "runtime/cgroups/manager.h"
#include "runtime/spec/spec.h"

namespace berth::runtime {

enum class ContainerStatus { kCreating, kCreated, kRunning, kPaused, kStopped };
const char* StatusName(ContainerStatus s);

struct ContainerState {
  std::string id;
  pid_t pid = 0;
  uint64_t start_time = 0;  // field 22 of /proc/PID/stat, against pid reuse
  std::string bundle;
  std::string rootfs;
  std::string created;  // RFC 3339 with nanoseconds, UTC
  CgroupMode cgroup_mode = CgroupMode::kV2;
  std::map<std::string, std::string> cgroup_paths;
  nlohmann::json config;  // config.json as given, for hooks and exec
};

// The directory of containers (--root). Ids are checked as runc does.
class StateStore {
 public:
  explicit StateStore(std::string root) : root_(std::move(root)) {}

  const std::string& root() const { return root_; }
  std::string Dir(const std::string& id) const { return root_ + "/" + id; }
  std::string FifoPath(const std::string& id) const { return Dir(id) + "/exec.fifo"; }

  // mkdir <root>/<id>: AlreadyExists "container with id exists: ID".
  absl::Status Reserve(const std::string& id) const;
  absl::Status Save(const ContainerState& state) const;
  // NotFound "container does not exist" for an unknown id.
  absl::StatusOr<ContainerState> Load(const std::string& id) const;
  absl::Status Remove(const std::string& id) const;
  std::vector<std::string> List() const;
  // uid owning <root>/<id> (list's OWNER column).
  uid_t Owner(const std::string& id) const;

 private:
  std::string root_;
};

// runc's rule: ^[\w+-\.]+$, and not "." or "..".
absl::Status ValidateContainerId(const std::string& id);

// Start time of a process (field 22 of /proc/PID/stat); 0 if gone or a zombie.
uint64_t ProcessStartTime(pid_t pid);

ContainerStatus ComputeStatus(const StateStore& store, const ContainerState& state);

// The OCI state document (what `state` prints and hooks read on stdin).
nlohmann::json OciState(const ContainerState& state, ContainerStatus status);

// Now, as runc prints it: 2006-01-02T15:04:05.999999999Z.
std::string NowRfc3339Nano();

}  // namespace berth::runtime
