// update, pause, resume, ps, events: the verbs that act on a running
// container's cgroup.
#include <signal.h>
#include <unistd.h>

#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/file_util.h"
#include "common/status.h"
#include "runtime/container/container.h"

namespace berth::runtime {

absl::StatusOr<ContainerState> LoadLive(const StateStore& store, const std::string& id,
                                        ContainerStatus* status) {
  ASSIGN_OR_RETURN(ContainerState state, store.Load(id));
  *status = ComputeStatus(store, state);
  if (*status == ContainerStatus::kStopped) {
    return absl::FailedPreconditionError(absl::StrCat("container ", id, " is not running"));
  }
  return state;
}

absl::Status UpdateContainer(const StateStore& store, const std::string& id, const Resources& r,
                             Logger& log) {
  ContainerStatus status;
  ASSIGN_OR_RETURN(ContainerState state, LoadLive(store, id, &status));
  auto cg = CgroupManagerFromPaths(state.cgroup_mode, state.cgroup_paths);
  RETURN_IF_ERROR(cg->Set(r, &log));
  // Keep config.json's view current, so a later `state`/`events` agrees.
  nlohmann::json& res = state.config["linux"]["resources"];
  if (!res.is_object()) res = nlohmann::json::object();
  if (r.memory.limit) res["memory"]["limit"] = *r.memory.limit;
  if (r.cpu.shares) res["cpu"]["shares"] = *r.cpu.shares;
  if (r.cpu.quota) res["cpu"]["quota"] = *r.cpu.quota;
  if (r.pids_limit) res["pids"]["limit"] = *r.pids_limit;
  return store.Save(state);
}

absl::Status PauseContainer(const StateStore& store, const std::string& id, bool pause) {
  ContainerStatus status;
  ASSIGN_OR_RETURN(ContainerState state, LoadLive(store, id, &status));
  if (pause && status != ContainerStatus::kRunning) {
    return absl::FailedPreconditionError(absl::StrCat("container not running"));
  }
  if (!pause && status != ContainerStatus::kPaused) {
    return absl::FailedPreconditionError(absl::StrCat("container not paused"));
  }
  auto cg = CgroupManagerFromPaths(state.cgroup_mode, state.cgroup_paths);
  return cg->Freeze(pause);
}

absl::StatusOr<std::vector<pid_t>> ContainerPids(const StateStore& store, const std::string& id) {
  ASSIGN_OR_RETURN(ContainerState state, store.Load(id));
  auto pids = CgroupManagerFromPaths(state.cgroup_mode, state.cgroup_paths)->Pids();
  // A stopped container has no processes (its cgroup may be gone): as runc,
  // that is an empty list, not an error.
  if (!pids.ok() && ComputeStatus(store, state) == ContainerStatus::kStopped) {
    return std::vector<pid_t>{};
  }
  return pids;
}

absl::StatusOr<uint64_t> ContainerOomKills(const StateStore& store, const std::string& id) {
  ContainerStatus status;
  ASSIGN_OR_RETURN(ContainerState state, LoadLive(store, id, &status));
  // v1: memory.oom_control, v2: memory.events; both say "oom_kill N".
  std::string file;
  if (std::string d = ControllerDir(state.cgroup_paths, "memory"); !d.empty()) {
    file = d + "/memory.oom_control";
  } else if (auto it = state.cgroup_paths.find(""); it != state.cgroup_paths.end()) {
    file = it->second + "/memory.events";
  }
  auto text = file.empty() ? absl::StatusOr<std::string>("") : ReadFile(file);
  if (!text.ok()) return uint64_t{0};  // no memory controller: never an OOM
  for (absl::string_view line : absl::StrSplit(*text, '\n')) {
    uint64_t n;
    if (absl::ConsumePrefix(&line, "oom_kill ") && absl::SimpleAtoi(line, &n)) return n;
  }
  return uint64_t{0};
}

absl::StatusOr<nlohmann::ordered_json> ContainerStats(const StateStore& store,
                                                      const std::string& id) {
  ContainerStatus status;
  ASSIGN_OR_RETURN(ContainerState state, LoadLive(store, id, &status));
  nlohmann::json data = CgroupManagerFromPaths(state.cgroup_mode, state.cgroup_paths)->Stats();
  // runc's field order: type, id, data (tests match the line's prefix).
  nlohmann::ordered_json out;
  out["type"] = "stats";
  out["id"] = id;
  out["data"] = nlohmann::ordered_json::parse(data.dump());
  return out;
}

}  // namespace berth::runtime
