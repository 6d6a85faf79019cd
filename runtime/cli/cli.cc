#include "runtime/cli/cli.h"

#include <errno.h>
#include <unistd.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "common/status.h"

#ifndef BERTH_VERSION
#define BERTH_VERSION "0.1.0"
#endif
#ifndef BERTH_COMMIT
#define BERTH_COMMIT "unknown"
#endif

namespace berth::runtime::cli {
namespace {

const std::vector<FlagSpec>& GlobalFlags() {
  static const std::vector<FlagSpec> kFlags = {
      {{"root"}, true},
      {{"log"}, true},
      {{"log-format"}, true},
      {{"debug"}, false},
      {{"systemd-cgroup"}, false},
      {{"criu"}, true},
      {{"rootless"}, true},
      {{"help", "h"}, false},
      {{"version", "v"}, false},
  };
  return kFlags;
}

// Help and version name the program as it was invoked: "berth-runtime", or
// "runc" when installed as a drop-in under runc's name (runc's own tests and
// tools match on that text).
const char* Name() { return program_invocation_short_name; }

void PrintVersion() {
  printf("%s version %s\ncommit: berth-runtime %s\nspec: 1.0.2-dev\n", Name(), BERTH_VERSION,
         BERTH_COMMIT);
}

void PrintHelp() {
  printf(
      "NAME:\n   %s - Open Container Initiative runtime (berth-runtime, runc-compatible)\n\n"
      "USAGE:\n   %s [global options] command [command options] [arguments...]\n\n"
      "COMMANDS:\n",
      Name(), Name());
  for (const auto& c : Commands()) printf("   %-10s%s\n", c.name, c.summary);
  printf(
      "\nGLOBAL OPTIONS:\n"
      "   --debug             enable debug logging\n"
      "   --log value         set the log file to write runtime logs to (default: stderr)\n"
      "   --log-format value  set the log format ('text' (default), or 'json') (default: "
      "\"text\")\n"
      "   --root value        root directory for storage of container state (default: "
      "\"/run/berth-runtime\")\n"
      "   --systemd-cgroup    not supported: this runtime manages cgroupfs directly\n"
      "   --help, -h          show help\n"
      "   --version, -v       print the version\n");
}

void PrintCommandHelp(const Command& c) {
  printf("NAME:\n   %s %s - %s\n\nUSAGE:\n   %s %s\n", Name(), c.name, c.summary, Name(), c.usage);
}

}  // namespace

const std::vector<Command>& Commands() {
  static const std::vector<Command> kAll = {
      kCheckpoint, kCreate,  kDelete, kEvents, kExec, kFeatures, kKill,  kList,  kPause,
      kPs,         kRestore, kResume, kRun,    kSpec, kStart,    kState, kUpdate};
  return kAll;
}

absl::Status ExpectArgs(const ParsedFlags& flags, const char* command, size_t n) {
  if (flags.positional().size() != n) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", command, "\" requires exactly ", n, " argument(s)"));
  }
  return absl::OkStatus();
}

int Main(const Args& args) {
  Context ctx;
  auto global = ParseFlags(GlobalFlags(), args);
  if (!global.ok()) {
    ctx.log.Error(global.status().message());
    return 1;
  }
  if (global->Has("version")) {
    PrintVersion();
    return 0;
  }
  const Args& rest = global->positional();
  if (global->Has("help") || rest.empty() || rest[0] == "help") {
    PrintHelp();
    return 0;
  }
  std::string format = global->GetOr("log-format", "text");
  if (format != "text" && format != "json") {
    ctx.log.Error(absl::StrCat("invalid log-format: ", format));
    return 1;
  }
  std::string log_path = global->GetOr("log", "");
  if (!ctx.log.Open(log_path, format == "json" ? Logger::Format::kJson : Logger::Format::kText,
                    global->Has("debug"))) {
    ctx.log.Error(absl::StrCat("open log file ", log_path, ": ", strerror(errno)));
    return 1;
  }
  ctx.debug = global->Has("debug");
  if (auto root = global->Get("root")) {
    ctx.store = StateStore(*root);
  } else if (const char* xdg = getenv("XDG_RUNTIME_DIR");
             geteuid() != 0 && xdg != nullptr && *xdg) {
    ctx.store = StateStore(absl::StrCat(xdg, "/berth-runtime"));  // rootless, as runc
  }

  const Command* cmd = nullptr;
  for (const auto& c : Commands()) {
    if (rest[0] == c.name) cmd = &c;
  }
  auto report = [&](const absl::Status& st, int code) {
    ctx.log.Error(st.message());
    // With --log the error also goes to stderr, plainly, as runc does.
    if (!ctx.log.to_stderr()) fprintf(stderr, "%s\n", std::string(st.message()).c_str());
    return code;
  };
  if (cmd == nullptr) {
    return report(absl::InvalidArgumentError(absl::StrCat("No help topic for '", rest[0], "'")), 1);
  }
  if (global->Has("systemd-cgroup")) {
    return report(absl::UnimplementedError(
                      "--systemd-cgroup is not supported: there is no systemd here; berth-runtime "
                      "manages cgroupfs directly"),
                  1);
  }
  std::vector<FlagSpec> specs = cmd->flags;
  specs.push_back({{"help", "h"}, false});
  auto flags = ParseFlags(specs, Args(rest.begin() + 1, rest.end()), !cmd->flags_after_args);
  if (!flags.ok()) return report(flags.status(), 1);
  if (flags->Has("help")) {
    PrintCommandHelp(*cmd);
    return 0;
  }
  ctx.log.Debug(absl::StrCat("berth-runtime ", cmd->name));
  auto code = cmd->run(ctx, *flags);
  if (!code.ok()) return report(code.status(), cmd->error_exit_code);
  return *code;
}

}  // namespace berth::runtime::cli
