#include <signal.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "runtime/container/container.h"
#include "runtime/hooks.h"

namespace berth::runtime {
namespace {

// Kills whatever is left in the cgroup and waits for it to empty.
absl::Status KillCgroup(CgroupManager& cg) {
  for (int round = 0; round < 100; ++round) {
    auto pids = cg.Pids();
    if (!pids.ok() || pids->empty()) return absl::OkStatus();
    for (pid_t p : *pids) kill(p, SIGKILL);
    for (pid_t p : *pids) WaitForExit(p, 100);
  }
  return absl::DeadlineExceededError("processes of the container survive SIGKILL");
}

}  // namespace

absl::Status DeleteContainer(const StateStore& store, const std::string& id, bool force,
                             Logger& log) {
  ASSIGN_OR_RETURN(ContainerState state, store.Load(id));
  ContainerStatus status = ComputeStatus(store, state);
  if ((status == ContainerStatus::kRunning || status == ContainerStatus::kPaused) && !force) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot delete container ", id, " that is not stopped: ", StatusName(status)));
  }
  auto cg = CgroupManagerFromPaths(state.cgroup_mode, state.cgroup_paths);
  if (status != ContainerStatus::kStopped) {
    // A frozen task cannot die: thaw first.
    if (status == ContainerStatus::kPaused) (void)cg->Freeze(false);
    kill(state.pid, SIGKILL);
    if (!WaitForExit(state.pid, 10000)) {
      return absl::DeadlineExceededError(
          absl::StrCat("container ", id, " init ", state.pid, " did not die"));
    }
  }
  RETURN_IF_ERROR(KillCgroup(*cg));
  if (absl::Status st = cg->Destroy(); !st.ok()) log.Warn(st.message());

  auto spec = ParseSpec(state.config.dump());
  if (spec.ok() && !spec->hooks.poststop.empty()) {
    nlohmann::json st = OciState(state, ContainerStatus::kStopped);
    if (absl::Status s = RunHooks(spec->hooks.poststop, "poststop", st.dump()); !s.ok()) {
      log.Warn(s.message());  // as runc: poststop failures don't stop the delete
    }
  }
  return store.Remove(id);
}

}  // namespace berth::runtime
