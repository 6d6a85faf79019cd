
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/file_util.h"
#include "runtime/cli/cli.h"
#include "runtime/container/container.h"

namespace berth::runtime::cli {

// The name of uid in the host's /etc/passwd, or the number. (Read directly:
// the static binary has no NSS.)
static std::string UserName(uid_t uid) {
  auto passwd = ReadFile("/etc/passwd");
  if (passwd.ok()) {
    for (absl::string_view line : absl::StrSplit(*passwd, '\n')) {
      std::vector<absl::string_view> f = absl::StrSplit(line, ':');
      uid_t u;
      if (f.size() > 2 && absl::SimpleAtoi(f[2], &u) && u == uid) return std::string(f[0]);
    }
  }
  return std::to_string(uid);
}

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
  j["owner"] = UserName(store.Owner(s.id));
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
