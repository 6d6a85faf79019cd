// berth-runtime's command line: global flags, then one subcommand whose
// handler (cmd_<verb>.cc, ~30 lines: parse, call the library) returns the
// process exit code or an error status for main to print.
#pragma once

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/flags.h"
#include "common/log.h"
#include "common/status.h"
#include "runtime/container/state.h"

namespace berth::runtime::cli {

struct Context {
  StateStore store{"/run/berth-runtime"};
  Logger log;
  bool debug = false;  // --debug: children send their debug lines too
};

using Args = std::vector<std::string>;

struct Command {
  const char* name;
  const char* usage;    // "create [command options] <container-id>"
  const char* summary;  // one line for `--help`
  std::vector<FlagSpec> flags;
  absl::StatusOr<int> (*run)(Context&, const ParsedFlags&);
  int error_exit_code = 1;  // exec: 255, as runc
  // urfave/cli reorders flags given after the arguments, except for the
  // commands whose arguments are another program's (exec, ps).
  bool flags_after_args = true;
};

const std::vector<Command>& Commands();

// Runs the CLI: argv without the program name. Returns the exit code.
int Main(const Args& args);

// Exactly n positional arguments, or runc's message naming the command.
absl::Status ExpectArgs(const ParsedFlags& flags, const char* command, size_t n);

// The commands, each defined in its own file.
extern const Command kCheckpoint, kRestore, kCreate, kStart, kState, kKill, kDelete, kRun, kList,
    kExec, kSpec, kFeatures, kUpdate, kPause, kResume, kPs, kEvents;

}  // namespace berth::runtime::cli
