// berthctl snapshots ls|prepare|rm (ctr's `snapshots` group, overlay only).
#include <cstdio>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "manager/berthctl/commands.h"
#include "manager/berthctl/table.h"
#include "proto/manager/v1/snapshots.grpc.pb.h"

namespace berth::berthctl {
namespace {

// As ctr prints snapshots.Kind.
const char* KindName(v1::SnapshotKind kind) {
  switch (kind) {
    case v1::KIND_VIEW:
      return "View";
    case v1::KIND_ACTIVE:
      return "Active";
    case v1::KIND_COMMITTED:
      return "Committed";
    default:
      return "Unknown";
  }
}

absl::StatusOr<int> List(Client& c, const Args& args) {
  ASSIGN_OR_RETURN(ParsedFlags f, ParseCommand("snapshots ls [FILTER...]", {}, args, 0));
  v1::ListSnapshotsRequest req;
  for (const auto& filter : f.positional()) req.add_filters(filter);
  v1::ListSnapshotsResponse resp;
  RETURN_IF_ERROR(c.Call(&v1::Snapshots::Stub::List, req, &resp));
  TabWriter w(1, 1);
  w.Line("KEY\tPARENT\tKIND\t");
  for (const auto& info : resp.infos()) {
    w.Line(absl::StrCat(info.name(), "\t", info.parent(), "\t", KindName(info.kind()), "\t"));
  }
  w.Flush();
  return 0;
}

// As `ctr snapshots prepare [--mounts] KEY [PARENT]`: an active snapshot
// KEY on the committed PARENT (none: an empty one). --mounts prints the
// mounts that make it a root filesystem as JSON, like ctr's.
absl::StatusOr<int> Prepare(Client& c, const Args& args) {
  ASSIGN_OR_RETURN(ParsedFlags f, ParseCommand("snapshots prepare [--mounts] KEY [PARENT]",
                                               {{{"mounts"}, false}}, args, 1, 2));
  v1::PrepareSnapshotRequest req;
  req.set_key(f.positional()[0]);
  if (f.positional().size() > 1) req.set_parent(f.positional()[1]);
  v1::MountsResponse resp;
  RETURN_IF_ERROR(c.Call(&v1::Snapshots::Stub::Prepare, req, &resp));
  if (f.Has("mounts")) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& m : resp.mounts()) {
      out.push_back(
          {{"type", m.type()},
           {"source", m.source()},
           {"options", std::vector<std::string>(m.options().begin(), m.options().end())}});
    }
    std::printf("%s\n", out.dump(2).c_str());
  }
  return 0;
}

absl::StatusOr<int> Remove(Client& c, const Args& args) {
  ASSIGN_OR_RETURN(ParsedFlags f, ParseCommand("snapshots rm KEY...", {}, args, 1));
  for (const auto& key : f.positional()) {
    v1::RemoveSnapshotRequest req;
    req.set_key(key);
    v1::RemoveSnapshotResponse resp;
    RETURN_IF_ERROR(c.Call(&v1::Snapshots::Stub::Remove, req, &resp));
  }
  return 0;
}

}  // namespace

absl::StatusOr<int> SnapshotsMain(Client& client, const Args& args) {
  static const std::vector<Command> kCommands = {
      {{"ls", "list"}, List, "snapshots ls"},
      {{"prepare"}, Prepare, "snapshots prepare [--mounts] KEY [PARENT]"},
      {{"rm", "remove", "delete", "del"}, Remove, "snapshots rm KEY..."},
  };
  return Dispatch("snapshots", kCommands, client, args);
}

}  // namespace berth::berthctl
