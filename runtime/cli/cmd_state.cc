#include <pwd.h>

#include "runtime/cli/cli.h"
#include "runtime/container/container.h"

namespace berth::runtime::cli {

// The document `state` and `list --format json` print (runc's field order).
nlohmann::ordered_json StateDocument(const StateStore& store, const ContainerState& s) {
  ContainerStatus status = ComputeStatus(store, s);
  nlohmann::ordered_json j;
  j["ociVersion"] = s.config.value("ociVersion", "1.0.2");
  j["id"] = s.id;
  j["pid"] = status == ContainerStatus::kStopped ? 0 : s.pid;
  j["status"] = StatusName(status);
  j["bundle"] = s.bundle;
  j["rootfs"] = s.rootfs;
  j["created"] = s.created;
  auto ann = s.config.find("annotations");
  if (ann != s.config.end() && ann->is_object() && !ann->empty()) j["annotations"] = *ann;
  uid_t uid = store.Owner(s.id);
  struct passwd* pw = getpwuid(uid);
  j["owner"] = pw != nullptr ? pw->pw_name : std::to_string(uid);
  return j;
}

static absl::StatusOr<int> RunState(Context& ctx, const ParsedFlags& f) {
  RETURN_IF_ERROR(ExpectArgs(f, "state", 1));
  ASSIGN_OR_RETURN(ContainerState s, ctx.store.Load(f.positional()[0]));
  printf("%s\n", StateDocument(ctx.store, s).dump(2).c_str());
  return 0;
}

const Command kState = {
    "state", "state <container-id>", "output the state of a container", {}, RunState};

}  // namespace berth::runtime::cli
