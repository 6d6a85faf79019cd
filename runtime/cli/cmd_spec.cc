#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "runtime/cli/cli.h"
#include "runtime/spec/default_spec.h"

namespace berth::runtime::cli {

static absl::StatusOr<int> RunSpec(Context&, const ParsedFlags& f) {
  RETURN_IF_ERROR(ExpectArgs(f, "spec", 0));
  std::string bundle = f.GetOr("bundle", "");
  if (!bundle.empty() && chdir(bundle.c_str()) != 0) {
    return absl::NotFoundError(absl::StrCat("chdir ", bundle, ": no such file or directory"));
  }
  if (PathExists("config.json"))
    return absl::AlreadyExistsError("File config.json exists. Remove it first.");
  RETURN_IF_ERROR(WriteFile("config.json", DefaultSpecJson(f.Has("rootless"), geteuid(), getegid()),
                            true, 0666));
  return 0;
}

const Command kSpec = {"spec",
                       "spec [command options] [arguments...]",
                       "create a new specification file",
                       {{{"bundle", "b"}, true}, {{"rootless"}, false}},
                       RunSpec};

}  // namespace berth::runtime::cli
