#include <signal.h>

#include "runtime/cli/cli.h"
#include "runtime/container/container.h"
#include "runtime/signals.h"

namespace berth::runtime::cli {

static absl::StatusOr<int> RunKill(Context& ctx, const ParsedFlags& f) {
  const auto& pos = f.positional();
  if (pos.empty() || pos.size() > 2) {
    return absl::InvalidArgumentError(
        "\"kill\" requires a minimum of 1 and a maximum of 2 arguments");
  }
  int sig = SIGTERM;
  if (pos.size() == 2) {
    ASSIGN_OR_RETURN(sig, ParseSignal(pos[1]));
  }
  RETURN_IF_ERROR(KillContainer(ctx.store, pos[0], sig, f.Has("all")));
  return 0;
}

const Command kKill = {
    "kill",
    "kill [command options] <container-id> [signal]",
    "kill sends the specified signal (default: SIGTERM) to the container's init process",
    {{{"all", "a"}, false}},
    RunKill};

}  // namespace berth::runtime::cli
