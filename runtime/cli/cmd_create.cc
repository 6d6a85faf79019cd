#include "absl/strings/numbers.h"
#include "runtime/cli/cli.h"
#include "runtime/container/container.h"

namespace berth::runtime::cli {

// Shared by create and run.
absl::StatusOr<CreateOptions> CreateOptionsFrom(const Context& ctx, const ParsedFlags& f) {
  CreateOptions o;
  o.debug = ctx.debug;
  o.id = f.positional().at(0);
  o.bundle = f.GetOr("bundle", "");
  o.pid_file = f.GetOr("pid-file", "");
  o.console_socket = f.GetOr("console-socket", "");
  o.no_pivot = f.Has("no-pivot");
  o.no_new_keyring = f.Has("no-new-keyring");
  if (!absl::SimpleAtoi(f.GetOr("preserve-fds", "0"), &o.preserve_fds) || o.preserve_fds < 0) {
    return absl::InvalidArgumentError("--preserve-fds: not a non-negative number");
  }
  return o;
}

std::vector<FlagSpec> CreateFlags() {
  return {{{"bundle", "b"}, true}, {{"pid-file"}, true},        {{"console-socket"}, true},
          {{"no-pivot"}, false},   {{"no-new-keyring"}, false}, {{"preserve-fds"}, true}};
}

static absl::StatusOr<int> RunCreate(Context& ctx, const ParsedFlags& f) {
  RETURN_IF_ERROR(ExpectArgs(f, "create", 1));
  ASSIGN_OR_RETURN(CreateOptions opts, CreateOptionsFrom(ctx, f));
  RETURN_IF_ERROR(CreateContainer(ctx.store, opts, ctx.log).status());
  return 0;
}

const Command kCreate = {"create", "create [command options] <container-id>", "create a container",
                         CreateFlags(), RunCreate};

}  // namespace berth::runtime::cli
