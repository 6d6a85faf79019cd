#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "runtime/cli/cli.h"
#include "runtime/container/container.h"

namespace berth::runtime::cli {

// As runc: --format json prints the pids; table runs ps(1) with the given
// options (default -ef) and keeps the header and the container's lines.
static absl::StatusOr<int> RunPs(Context& ctx, const ParsedFlags& f) {
  const auto& pos = f.positional();
  if (pos.empty()) return absl::InvalidArgumentError("\"ps\" requires a minimum of 1 argument");
  ASSIGN_OR_RETURN(std::vector<pid_t> pids, ContainerPids(ctx.store, pos[0]));
  std::string format = f.GetOr("format", "table");
  if (format == "json") {
    printf("%s\n", nlohmann::json(pids).dump().c_str());
    return 0;
  }
  if (format != "table") return absl::InvalidArgumentError("invalid format option");
  std::vector<std::string> ps_args(pos.begin() + 1, pos.end());
  if (ps_args.empty()) ps_args = {"-ef"};
  std::string cmd = "ps " + absl::StrJoin(ps_args, " ");
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return absl::InternalError("cannot run ps");
  char line[4096];
  int pid_col = -1;
  bool header = true;
  while (fgets(line, sizeof line, p) != nullptr) {
    std::vector<absl::string_view> cols = absl::StrSplit(line, ' ', absl::SkipEmpty());
    if (header) {
      for (size_t i = 0; i < cols.size(); ++i) {
        if (cols[i] == "PID") pid_col = static_cast<int>(i);
      }
      if (pid_col < 0) {
        pclose(p);
        return absl::InvalidArgumentError("couldn't find PID field in ps output");
      }
      fputs(line, stdout);
      header = false;
      continue;
    }
    int pid;
    if (static_cast<int>(cols.size()) > pid_col && absl::SimpleAtoi(cols[pid_col], &pid) &&
        std::find(pids.begin(), pids.end(), pid) != pids.end()) {
      fputs(line, stdout);
    }
  }
  int status = pclose(p);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return absl::InternalError("ps failed");
  return 0;
}

const Command kPs = {"ps",
                     "ps [command options] <container-id> [ps options]",
                     "ps displays the processes running inside a container",
                     {{{"format", "f"}, true}},
                     RunPs,
                     1,
                     /*flags_after_args=*/false};

}  // namespace berth::runtime::cli
