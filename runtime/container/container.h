// The verbs of berth-runtime, one file each (create.cc, start.cc, ...),
// callable without the CLI. Each returns a status whose message is the one
// line the user sees.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/log.h"
#include "runtime/cgroups/resources.h"
#include "runtime/container/state.h"

namespace berth::runtime {

struct CreateOptions {
  std::string id;
  std::string bundle;  // default: the current directory
  std::string pid_file;
  std::string console_socket;  // required when process.terminal is true
  int console_fd = -1;         // or an already connected socket (run's own pty)
  bool no_pivot = false;
  bool no_new_keyring = false;
  int preserve_fds = 0;
  bool debug = false;  // the children's debug lines to `log` too
};

// Sets the container up and leaves its init blocked before exec. Returns
// the init pid. On failure nothing is left: no process, cgroup, state dir.
absl::StatusOr<pid_t> CreateContainer(const StateStore& store, const CreateOptions& opts,
                                      Logger& log);

// Releases a created container's init to exec; runs poststart hooks.
absl::Status StartContainer(const StateStore& store, const std::string& id, Logger& log);

// Sends sig to the init (or, with all, to every process in its cgroup).
absl::Status KillContainer(const StateStore& store, const std::string& id, int sig, bool all);

// Removes a stopped (or created, or with force any) container: kills what
// is left, runs poststop hooks, removes its cgroup and state.
absl::Status DeleteContainer(const StateStore& store, const std::string& id, bool force,
                             Logger& log);

// Waits until pid exits (it need not be our child). False on timeout.
bool WaitForExit(pid_t pid, int timeout_ms);

struct ExecOptions {
  std::string id;
  std::optional<std::string> process_file;
  std::vector<std::string> args;
  bool tty = false;
  std::string console_socket;
  bool detach = false;
  std::string pid_file;
  std::optional<std::string> cwd;
  std::vector<std::string> env;
  std::optional<std::string> user;  // uid[:gid]
  std::vector<uint32_t> additional_gids;
  std::vector<std::string> caps;
  bool no_new_privs = false;
  int preserve_fds = 0;
  bool debug = false;
  bool ignore_paused = false;        // exec into a frozen cgroup (runs once thawed)
  std::vector<std::string> cgroups;  // --cgroup: [ctrl[,ctrl]:]sub-cgroup
};

// Runs a process in the container's namespaces and cgroup. Returns its
// exit code (128+signal) when not detached, 0 when detached.
absl::StatusOr<int> ExecInContainer(const StateStore& store, const ExecOptions& opts, Logger& log);

// Writes new resources to a live container's cgroup (`update`).
absl::Status UpdateContainer(const StateStore& store, const std::string& id, const Resources& r,
                             Logger& log);

// Freezes (pause=true) or thaws a container's cgroup.
absl::Status PauseContainer(const StateStore& store, const std::string& id, bool pause);

// Every pid in the container's cgroup (`ps`).
absl::StatusOr<std::vector<pid_t>> ContainerPids(const StateStore& store, const std::string& id);

// The kernel's count of OOM kills in the container's memory cgroup (0
// without one); an error once the container is stopped.
absl::StatusOr<uint64_t> ContainerOomKills(const StateStore& store, const std::string& id);

// {"type":"stats","id":...,"data":{...}} as `events --stats` prints it.
absl::StatusOr<nlohmann::ordered_json> ContainerStats(const StateStore& store,
                                                      const std::string& id);

// Waits for our child `pid`, forwarding the signals we receive to it.
// Returns the exit code as a shell would (128+signal).
int WaitForwardingSignals(pid_t pid);

}  // namespace berth::runtime
