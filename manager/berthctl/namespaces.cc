// berthctl namespaces ls|create|rm (ctr's `namespaces` group).
#include <cstdio>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status.h"
#include "manager/berthctl/commands.h"
#include "manager/berthctl/table.h"
#include "proto/manager/v1/namespaces.grpc.pb.h"

namespace berth::berthctl {
namespace {

absl::StatusOr<int> List(Client& c, const Args& args) {
  ASSIGN_OR_RETURN(ParsedFlags f,
                   ParseCommand("namespaces ls [-q]", {{{"quiet", "q"}, false}}, args, 0, 0));
  v1::ListNamespacesResponse resp;
  RETURN_IF_ERROR(c.Call(&v1::Namespaces::Stub::List, v1::ListNamespacesRequest(), &resp));
  if (f.Has("quiet")) {
    for (const auto& ns : resp.namespaces()) printf("%s\n", ns.name().c_str());
    return 0;
  }
  TabWriter w(1, 1);
  w.Line("NAME\tLABELS\t");
  for (const auto& ns : resp.namespaces()) {
    std::map<std::string, std::string> labels(ns.labels().begin(), ns.labels().end());
    w.Line(
        absl::StrCat(ns.name(), "\t", absl::StrJoin(labels, ",", absl::PairFormatter("=")), "\t"));
  }
  w.Flush();
  return 0;
}

absl::StatusOr<int> Create(Client& c, const Args& args) {
  ASSIGN_OR_RETURN(ParsedFlags f, ParseCommand("namespaces create NAME [K=V...]", {}, args, 1));
  v1::CreateNamespaceRequest req;
  req.mutable_namespace_()->set_name(f.positional()[0]);
  for (size_t i = 1; i < f.positional().size(); ++i) {
    const std::string& kv = f.positional()[i];
    size_t eq = kv.find('=');
    (*req.mutable_namespace_()->mutable_labels())[kv.substr(0, eq)] =
        eq == std::string::npos ? "" : kv.substr(eq + 1);
  }
  v1::CreateNamespaceResponse resp;
  RETURN_IF_ERROR(c.Call(&v1::Namespaces::Stub::Create, req, &resp));
  return 0;
}

absl::StatusOr<int> Remove(Client& c, const Args& args) {
  ASSIGN_OR_RETURN(ParsedFlags f, ParseCommand("namespaces rm NAME...", {}, args, 1));
  for (const auto& name : f.positional()) {
    v1::DeleteNamespaceRequest req;
    req.set_name(name);
    v1::DeleteNamespaceResponse resp;
    RETURN_IF_ERROR(c.Call(&v1::Namespaces::Stub::Delete, req, &resp));
    printf("%s\n", name.c_str());
    fflush(stdout);
  }
  return 0;
}

}  // namespace

absl::StatusOr<int> NamespacesMain(Client& client, const Args& args) {
  static const std::vector<Command> kCommands = {
      {{"ls", "list"}, List, "namespaces ls"},
      {{"create", "c"}, Create, "namespaces create"},
      {{"rm", "remove", "delete", "del"}, Remove, "namespaces rm"},
  };
  return Dispatch("namespaces", kCommands, client, args);
}

}  // namespace berth::berthctl
