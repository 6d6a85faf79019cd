// berthctl's command groups, one file each (images.cc, containers.cc, ...).
// A command parses its flags and calls the manager; it returns the process's
// exit code (0, or a task's exit status) or an error that main prints as
// "berthctl: <message>" (exit 1).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/flags.h"
#include "manager/berthctl/client.h"

namespace berth::berthctl {

using Args = std::vector<std::string>;
using CommandFn = absl::StatusOr<int> (*)(Client&, const Args&);

struct Command {
  std::vector<std::string> names;  // e.g. {"ls", "list"}
  CommandFn run;
  const char* usage;  // flags and arguments, for errors and help
};

// Runs the subcommand args[0] of group from table.
absl::StatusOr<int> Dispatch(const std::string& group, const std::vector<Command>& table,
                             Client& client, const Args& args);

// Flags then positionals; InvalidArgument "<cmd>: usage: ..." unless the
// number of positionals is in [min, max] (max < 0: no limit).
absl::StatusOr<ParsedFlags> ParseCommand(const char* usage, const std::vector<FlagSpec>& specs,
                                         const Args& args, int min, int max = -1);

// Runs fn for each name, as ctr's rm commands: one failure does not stop
// the rest; the first error is returned, later ones are printed.
absl::Status ForEachName(const std::vector<std::string>& names,
                         const std::function<absl::Status(const std::string&)>& fn);

absl::StatusOr<int> ImagesMain(Client& client, const Args& args);
absl::StatusOr<int> ContentMain(Client& client, const Args& args);
absl::StatusOr<int> ContainersMain(Client& client, const Args& args);
absl::StatusOr<int> TasksMain(Client& client, const Args& args);
absl::StatusOr<int> RunMain(Client& client, const Args& args);
absl::StatusOr<int> SnapshotsMain(Client& client, const Args& args);
absl::StatusOr<int> EventsMain(Client& client, const Args& args);
absl::StatusOr<int> NamespacesMain(Client& client, const Args& args);

// Containers.Create from an image (shared by `run` and `containers create`):
// resolves IMAGE, builds the spec, prepares the snapshot ID on the image's
// chain id and creates the container. Flags: see kContainerFlags in run.cc.
absl::Status CreateContainerFromImage(Client& client, const ParsedFlags& flags,
                                      const std::string& image, const std::string& id,
                                      const Args& command);
extern const std::vector<FlagSpec> kContainerFlags;

// berthctl's main: global flags, then the group.
int BerthctlMain(const Args& args);

}  // namespace berth::berthctl
