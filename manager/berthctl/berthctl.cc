// berthctl: berth-manager's own client, shaped like containerd's ctr.
//
//   berthctl [--address SOCK] [-n NS] [--timeout D] GROUP COMMAND [FLAGS] ARGS
//     images (i) import|ls|rm|export     containers (c) create|ls|info|rm
//     tasks (t) ls|start|kill|exec|ps|pause|resume|metrics|delete
//     run    snapshots (s) ls|rm    namespaces (ns) ls|create|rm    events
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status.h"
#include "manager/berthctl/commands.h"

namespace berth::berthctl {
namespace {

constexpr char kUsage[] =
    "usage: berthctl [--address SOCK] [-n NAMESPACE] [--timeout D] "
    "images|content|containers|tasks|run|snapshots|namespaces|events ...";

struct Group {
  std::vector<std::string> names;
  absl::StatusOr<int> (*run)(Client&, const Args&);
};

const std::vector<Group>& Groups() {
  static const std::vector<Group> kGroups = {
      {{"images", "image", "i"}, ImagesMain},
      {{"content"}, ContentMain},
      {{"containers", "container", "c"}, ContainersMain},
      {{"tasks", "task", "t"}, TasksMain},
      {{"run"}, RunMain},
      {{"snapshots", "snapshot", "s"}, SnapshotsMain},
      {{"namespaces", "namespace", "ns"}, NamespacesMain},
      {{"events", "event"}, EventsMain},
  };
  return kGroups;
}

absl::StatusOr<int> Main(const Args& args) {
  std::vector<FlagSpec> global = {
      {{"address", "a"}}, {{"namespace", "n"}}, {{"timeout"}}, {{"help", "h"}, false}};
  ASSIGN_OR_RETURN(ParsedFlags g, ParseFlags(global, args));
  if (g.Has("help") || g.positional().empty()) return absl::InvalidArgumentError(kUsage);
  GlobalOptions opts;
  opts.address = g.GetOr("address", opts.address);
  opts.ns = g.GetOr("namespace", opts.ns);
  if (auto t = g.Get("timeout")) {
    ASSIGN_OR_RETURN(opts.timeout, ParseTimeout(*t));
  }
  const std::string& name = g.positional()[0];
  Args rest(g.positional().begin() + 1, g.positional().end());
  for (const auto& group : Groups()) {
    for (const auto& n : group.names) {
      if (n != name) continue;
      Client client(opts);
      return group.run(client, rest);
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown command \"", name, "\"; ", kUsage));
}

}  // namespace

absl::Status ForEachName(const std::vector<std::string>& names,
                         const std::function<absl::Status(const std::string&)>& fn) {
  absl::Status first;
  for (const std::string& name : names) {
    absl::Status s = fn(name);
    if (s.ok()) continue;
    if (first.ok()) {
      first = s;
    } else {
      fprintf(stderr, "berthctl: %s\n", std::string(s.message()).c_str());
    }
  }
  return first;
}

absl::StatusOr<int> Dispatch(const std::string& group, const std::vector<Command>& table,
                             Client& client, const Args& args) {
  std::vector<std::string> names;
  names.reserve(table.size());
  for (const auto& cmd : table) names.push_back(cmd.names[0]);
  if (!args.empty()) {
    for (const auto& cmd : table) {
      for (const auto& n : cmd.names) {
        if (n == args[0]) return cmd.run(client, Args(args.begin() + 1, args.end()));
      }
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat(args.empty() ? "missing command" : "unknown command \"" + args[0] + "\"",
                   "; usage: berthctl ", group, " ", absl::StrJoin(names, "|")));
}

absl::StatusOr<ParsedFlags> ParseCommand(const char* usage, const std::vector<FlagSpec>& specs,
                                         const Args& args, int min, int max) {
  ASSIGN_OR_RETURN(ParsedFlags f, ParseFlags(specs, args));
  int n = static_cast<int>(f.positional().size());
  if (n < min || (max >= 0 && n > max)) {
    return absl::InvalidArgumentError(absl::StrCat("usage: berthctl ", usage));
  }
  return f;
}

int BerthctlMain(const Args& args) {
  absl::StatusOr<int> code = Main(args);
  if (!code.ok()) {
    fflush(stdout);
    fprintf(stderr, "berthctl: %s\n", std::string(code.status().message()).c_str());
    return 1;
  }
  return *code;
}

}  // namespace berth::berthctl
