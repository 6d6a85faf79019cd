#include "runtime/cli/cli.h"
#include "runtime/container/container.h"

namespace berth::runtime::cli {

static absl::StatusOr<int> RunStart(Context& ctx, const ParsedFlags& f) {
  RETURN_IF_ERROR(ExpectArgs(f, "start", 1));
  RETURN_IF_ERROR(StartContainer(ctx.store, f.positional()[0], ctx.log));
  return 0;
}

const Command kStart = {"start",
                        "start <container-id>",
                        "executes the user defined process in a created container",
                        {},
                        RunStart};

}  // namespace berth::runtime::cli
