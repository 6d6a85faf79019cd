#include "runtime/cli/cli.h"
#include "runtime/container/container.h"

namespace berth::runtime::cli {

static absl::StatusOr<int> RunPause(Context& ctx, const ParsedFlags& f) {
  RETURN_IF_ERROR(ExpectArgs(f, "pause", 1));
  RETURN_IF_ERROR(PauseContainer(ctx.store, f.positional()[0], true));
  return 0;
}

static absl::StatusOr<int> RunResume(Context& ctx, const ParsedFlags& f) {
  RETURN_IF_ERROR(ExpectArgs(f, "resume", 1));
  RETURN_IF_ERROR(PauseContainer(ctx.store, f.positional()[0], false));
  return 0;
}

const Command kPause = {"pause",
                        "pause <container-id>",
                        "pause suspends all processes inside the container",
                        {},
                        RunPause};
const Command kResume = {"resume",
                         "resume <container-id>",
                         "resumes all processes that have been previously paused",
                         {},
                         RunResume};

}  // namespace berth::runtime::cli
