// checkpoint / restore: runc's commands, listed with runc's help, but
// berth-runtime has no CRIU support: both fail with one line saying so.
#include "runtime/cli/cli.h"

namespace berth::runtime::cli {

static absl::StatusOr<int> RunUnsupported(Context&, const ParsedFlags&) {
  return absl::UnimplementedError(
      "checkpoint/restore is not supported by this runtime (no CRIU support)");
}

const Command kCheckpoint = {"checkpoint",
                             "checkpoint [command options] <container-id>",
                             "checkpoint a running container",
                             {},
                             RunUnsupported};
const Command kRestore = {"restore",
                          "restore [command options] <container-id>",
                          "restore a container from a previous checkpoint",
                          {},
                          RunUnsupported};

}  // namespace berth::runtime::cli
