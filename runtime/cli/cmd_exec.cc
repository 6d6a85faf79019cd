#include "absl/strings/numbers.h"
#include "runtime/cli/cli.h"
#include "runtime/container/container.h"

namespace berth::runtime::cli {

static absl::StatusOr<int> RunExec(Context& ctx, const ParsedFlags& f) {
  const auto& pos = f.positional();
  if (pos.empty()) return absl::InvalidArgumentError("\"exec\" requires a minimum of 1 argument");
  ExecOptions o;
  o.id = pos[0];
  o.debug = ctx.debug;
  o.args.assign(pos.begin() + 1, pos.end());
  if (auto p = f.Get("process")) o.process_file = *p;
  if (o.args.empty() && !o.process_file)
    return absl::InvalidArgumentError("exec args cannot be empty");
  o.tty = f.Has("tty");
  o.console_socket = f.GetOr("console-socket", "");
  o.detach = f.Has("detach");
  o.pid_file = f.GetOr("pid-file", "");
  if (auto c = f.Get("cwd")) o.cwd = *c;
  o.env = f.GetAll("env");
  if (auto u = f.Get("user")) o.user = *u;
  for (const auto& g : f.GetAll("additional-gids")) {
    uint32_t gid;
    if (!absl::SimpleAtoi(g, &gid))
      return absl::InvalidArgumentError("--additional-gids: \"" + g + "\" is not a gid");
    o.additional_gids.push_back(gid);
  }
  o.caps = f.GetAll("cap");
  o.no_new_privs = f.Has("no-new-privs");
  o.ignore_paused = f.Has("ignore-paused");
  o.cgroups = f.GetAll("cgroup");
  if (!absl::SimpleAtoi(f.GetOr("preserve-fds", "0"), &o.preserve_fds) || o.preserve_fds < 0) {
    return absl::InvalidArgumentError("--preserve-fds: not a non-negative number");
  }
  return ExecInContainer(ctx.store, o, ctx.log);
}

const Command kExec = {"exec",
                       "exec [command options] <container-id> <command> [command options]  || -p "
                       "process.json <container-id>",
                       "execute new process inside the container",
                       {{{"process", "p"}, true},
                        {{"tty", "t"}, false},
                        {{"console-socket"}, true},
                        {{"detach", "d"}, false},
                        {{"pid-file"}, true},
                        {{"cwd"}, true},
                        {{"env", "e"}, true},
                        {{"user", "u"}, true},
                        {{"additional-gids", "g"}, true},
                        {{"cap", "c"}, true},
                        {{"no-new-privs"}, false},
                        {{"preserve-fds"}, true},
                        {{"process-label"}, true},
                        {{"apparmor"}, true},
                        {{"no-subreaper"}, false},
                        {{"ignore-paused"}, false},
                        {{"cgroup"}, true}},
                       RunExec,
                       255,
                       /*flags_after_args=*/false};

}  // namespace berth::runtime::cli
