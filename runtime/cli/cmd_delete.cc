#include "runtime/cli/cli.h"
#include "runtime/container/container.h"

namespace berth::runtime::cli {

static absl::StatusOr<int> RunDelete(Context& ctx, const ParsedFlags& f) {
  RETURN_IF_ERROR(ExpectArgs(f, "delete", 1));
  absl::Status st = DeleteContainer(ctx.store, f.positional()[0], f.Has("force"), ctx.log);
  // As runc: deleting what is already gone with --force is not an error.
  if (st.code() == absl::StatusCode::kNotFound && f.Has("force")) return 0;
  RETURN_IF_ERROR(st);
  return 0;
}

const Command kDelete = {
    "delete",
    "delete [command options] <container-id>",
    "delete any resources held by the container often used with detached container",
    {{{"force", "f"}, false}},
    RunDelete};

}  // namespace berth::runtime::cli
