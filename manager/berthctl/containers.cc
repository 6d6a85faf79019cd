// berthctl containers create|ls|info|rm (ctr's `containers` group), and
// the container-from-image step that `run` shares.
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status.h"
#include "manager/berthctl/commands.h"
#include "manager/berthctl/table.h"
#include "manager/oci/spec.h"
#include "proto/manager/v1/containers.grpc.pb.h"
#include "proto/manager/v1/images.grpc.pb.h"
#include "proto/manager/v1/snapshots.grpc.pb.h"

namespace berth::berthctl {

const std::vector<FlagSpec> kContainerFlags = {
    {{"tty", "t"}, false}, {{"runtime"}}, {{"env", "e"}},   {{"cwd"}},
    {{"user", "u"}},       {{"label"}},   {{"snapshotter"}}};

namespace {

using Json = nlohmann::ordered_json;

absl::StatusOr<v1::ResolveImageResponse> Resolve(Client& c, const std::string& image) {
  v1::ResolveImageRequest req;
  req.set_name(image);
  v1::ResolveImageResponse r;
  RETURN_IF_ERROR(c.Call(&v1::Images::Stub::Resolve, req, &r));
  if (r.chain_id().empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("image ", image, " is not unpacked (import it without --no-unpack)"));
  }
  return r;
}

absl::Status PrepareSnapshot(Client& c, const std::string& key, const std::string& parent) {
  v1::PrepareSnapshotRequest req;
  req.set_key(key);
  req.set_parent(parent);
  v1::MountsResponse resp;
  return c.Call(&v1::Snapshots::Stub::Prepare, req, &resp);
}

v1::Runtime RuntimeFrom(const ParsedFlags& f) {
  v1::Runtime rt;
  std::string path = f.GetOr("runtime", "");
  rt.set_path(path);
  rt.set_name(path.empty() ? "berth" : path.substr(path.rfind('/') + 1));
  return rt;
}

absl::StatusOr<int> Create(Client& c, const Args& args) {
  ASSIGN_OR_RETURN(ParsedFlags f,
                   ParseCommand("containers create [-t] [--runtime PATH] [--env K=V]... "
                                "[--cwd DIR] [--user UID[:GID]] IMAGE ID [CMD ARGS...]",
                                kContainerFlags, args, 2));
  Args command(f.positional().begin() + 2, f.positional().end());
  RETURN_IF_ERROR(CreateContainerFromImage(c, f, f.positional()[0], f.positional()[1], command));
  return 0;
}

std::string RuntimeName(const v1::Runtime& rt) {
  if (!rt.name().empty()) return rt.name();
  return rt.path().empty() ? "berth" : rt.path();
}

absl::StatusOr<int> List(Client& c, const Args& args) {
  ASSIGN_OR_RETURN(ParsedFlags f, ParseCommand("containers ls [-q] [FILTER...]",
                                               {{{"quiet", "q"}, false}}, args, 0));
  v1::ListContainersRequest req;
  for (const auto& filter : f.positional()) req.add_filters(filter);
  v1::ListContainersResponse resp;
  RETURN_IF_ERROR(c.Call(&v1::Containers::Stub::List, req, &resp));
  if (f.Has("quiet")) {
    for (const auto& ctr : resp.containers()) printf("%s\n", ctr.id().c_str());
    return 0;
  }
  TabWriter w(4, 4);
  w.Line("CONTAINER\tIMAGE\tRUNTIME\t");
  for (const auto& ctr : resp.containers()) {
    w.Line(absl::StrCat(ctr.id(), "\t", ctr.image().empty() ? "-" : ctr.image(), "\t",
                        RuntimeName(ctr.runtime()), "\t"));
  }
  w.Flush();
  return 0;
}

Json ContainerJson(const v1::Container& ctr) {
  Json spec = Json::parse(ctr.spec(), nullptr, /*allow_exceptions=*/false);
  if (spec.is_discarded()) spec = ctr.spec();
  std::map<std::string, std::string> labels(ctr.labels().begin(), ctr.labels().end());
  Json ext = Json::object();
  for (const auto& [k, v] : ctr.extensions()) ext[k] = v.size();
  return Json{{"ID", ctr.id()},
              {"Labels", labels},
              {"Image", ctr.image()},
              {"Runtime",
               {{"Name", ctr.runtime().name()},
                {"Path", ctr.runtime().path()},
                {"Args", ctr.runtime().args()}}},
              {"SnapshotKey", ctr.snapshot_key()},
              {"Snapshotter", ctr.snapshotter()},
              {"CreatedAt", FormatUnixNano(ctr.created_at())},
              {"UpdatedAt", FormatUnixNano(ctr.updated_at())},
              {"Extensions", ext},
              {"Spec", spec}};
}

absl::StatusOr<int> Info(Client& c, const Args& args) {
  ASSIGN_OR_RETURN(ParsedFlags f, ParseCommand("containers info ID", {}, args, 1, 1));
  v1::GetContainerRequest req;
  req.set_id(f.positional()[0]);
  v1::GetContainerResponse resp;
  RETURN_IF_ERROR(c.Call(&v1::Containers::Stub::Get, req, &resp));
  printf("%s\n", ContainerJson(resp.container()).dump(4).c_str());
  return 0;
}

absl::StatusOr<int> Remove(Client& c, const Args& args) {
  ASSIGN_OR_RETURN(ParsedFlags f, ParseCommand("containers rm ID...", {}, args, 1));
  RETURN_IF_ERROR(ForEachName(f.positional(), [&c](const std::string& id) {
    v1::DeleteContainerRequest req;
    req.set_id(id);
    v1::DeleteContainerResponse resp;
    return c.Call(&v1::Containers::Stub::Delete, req, &resp);
  }));
  return 0;
}

}  // namespace

absl::Status CreateContainerFromImage(Client& c, const ParsedFlags& f, const std::string& image,
                                      const std::string& id, const Args& command) {
  ASSIGN_OR_RETURN(v1::ResolveImageResponse r, Resolve(c, image));
  manager::SpecOptions opts{.args = command,
                            .env = f.GetAll("env"),
                            .tty = f.Has("tty"),
                            .cwd = f.GetOr("cwd", ""),
                            .user = f.GetOr("user", ""),
                            .hostname = id};
  absl::StatusOr<std::string> spec = manager::SpecFromImage(r.config_json(), opts);
  if (!spec.ok()) return Annotate(spec.status(), "spec for image " + image);
  RETURN_IF_ERROR(PrepareSnapshot(c, id, r.chain_id()));
  v1::CreateContainerRequest req;
  v1::Container* ctr = req.mutable_container();
  ctr->set_id(id);
  ctr->set_image(image);
  ctr->set_spec(*spec);
  ctr->set_snapshot_key(id);
  ctr->set_snapshotter(f.GetOr("snapshotter", "overlay"));
  *ctr->mutable_runtime() = RuntimeFrom(f);
  for (const auto& kv : f.GetAll("label")) {
    size_t eq = kv.find('=');
    (*ctr->mutable_labels())[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
  }
  v1::CreateContainerResponse resp;
  absl::Status s = c.Call(&v1::Containers::Stub::Create, req, &resp);
  if (!s.ok()) {
    v1::RemoveSnapshotRequest rm;
    rm.set_key(id);
    v1::RemoveSnapshotResponse rm_resp;
    (void)c.Call(&v1::Snapshots::Stub::Remove, rm, &rm_resp);
  }
  return s;
}

absl::StatusOr<int> ContainersMain(Client& client, const Args& args) {
  static const std::vector<Command> kCommands = {
      {{"create"}, Create, "containers create"},
      {{"ls", "list"}, List, "containers ls"},
      {{"info"}, Info, "containers info"},
      {{"rm", "remove", "delete", "del"}, Remove, "containers rm"},
  };
  return Dispatch("containers", kCommands, client, args);
}

}  // namespace berth::berthctl
