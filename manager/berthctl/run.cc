// berthctl run: a container from an image (containers.cc), its task started
// and attached (ctr run).
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "manager/berthctl/attach.h"
#include "manager/berthctl/commands.h"
#include "proto/manager/v1/containers.grpc.pb.h"
#include "proto/manager/v1/tasks.grpc.pb.h"

namespace berth::berthctl {

namespace {

absl::Status DeleteContainer(Client& c, const std::string& id) {
  v1::DeleteContainerRequest req;
  req.set_id(id);
  v1::DeleteContainerResponse resp;
  return c.Call(&v1::Containers::Stub::Delete, req, &resp);
}

// After an attached run (ctr's order): the task, and with --rm the container.
void DeleteTaskAndContainer(Client& c, const std::string& id, bool container) {
  v1::DeleteTaskRequest req;
  req.set_container_id(id);
  req.set_force(true);
  v1::DeleteResponse resp;
  absl::Status s = c.Call(&v1::Tasks::Stub::Delete, req, &resp);
  if (!s.ok() && !absl::IsNotFound(s)) {
    fprintf(stderr, "berthctl: %s\n", std::string(s.message()).c_str());
  }
  if (!container) return;
  s = DeleteContainer(c, id);
  if (!s.ok()) fprintf(stderr, "berthctl: %s\n", std::string(s.message()).c_str());
}

}  // namespace

absl::StatusOr<int> RunMain(Client& c, const Args& args) {
  static const char kUsage[] =
      "run [--rm] [-d] [-t] [--runtime PATH] [--env K=V]... [--cwd DIR] [--user UID[:GID]] "
      "[--label K=V]... IMAGE ID [CMD ARGS...]";
  std::vector<FlagSpec> specs = kContainerFlags;
  specs.push_back({{"rm"}, false});
  specs.push_back({{"detach", "d"}, false});
  ASSIGN_OR_RETURN(ParsedFlags f, ParseCommand(kUsage, specs, args, 2));
  bool rm = f.Has("rm"), detach = f.Has("detach");
  if (rm && detach)
    return absl::InvalidArgumentError("flags --rm and --detach cannot be used together");
  const std::string& image = f.positional()[0];
  const std::string& id = f.positional()[1];
  Args command(f.positional().begin() + 2, f.positional().end());

  SignalForwarder fwd;  // before the first RPC starts gRPC's threads
  RETURN_IF_ERROR(CreateContainerFromImage(c, f, image, id, command));
  absl::StatusOr<int> code = CreateAndStartTask(c, fwd, id, f.Has("tty"), detach);
  if (!detach) DeleteTaskAndContainer(c, id, rm);
  return code;
}

}  // namespace berth::berthctl
