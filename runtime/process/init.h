// The container's first process, from the moment it exists (pid 1 of a new
// pid namespace, child of the runtime through CLONE_PARENT) to execve of
// process.args. See sync.h for the messages it exchanges with the runtime.
#pragma once

#include <map>
#include <string>

#include "runtime/process/sync.h"
#include "runtime/spec/spec.h"

namespace berth::runtime {

struct InitConfig {
  const Spec* spec = nullptr;
  std::string rootfs;  // absolute host path
  SyncChannel* sync = nullptr;
  int console_socket = -1;  // connected --console-socket, or -1
  int fifo_fd = -1;         // O_PATH fd of <state>/exec.fifo
  bool no_pivot = false;
  bool no_new_keyring = false;
  int preserve_fds = 0;
  bool cgroup_v2 = false;
  std::map<std::string, std::string> cgroup_paths;  // CgroupManager::Paths()
  int cgroup_v2_fd = -1;                            // for CLONE_INTO_CGROUP
  std::map<size_t, int> mount_source_fds;           // RootfsConfig::mount_source_fds
};

// Never returns: execs the user process or exits non-zero after sending
// the error over the sync channel.
[[noreturn]] void RunContainerInit(const InitConfig& config);

// What init and exec'd processes share: the last steps before execve.
class SeccompFilter;

struct FinalProcess {
  const Process* process = nullptr;
  std::string exec_path;  // resolved args[0]
  // Loaded just before execve (noNewPrivileges set), with this state JSON
  // for a seccomp notify listener.
  SeccompFilter* seccomp = nullptr;
  std::string state_json;
  int preserve_fds = 0;
};

// PATH lookup of args[0] in the process's own PATH (as runc: exec.LookPath).
absl::StatusOr<std::string> LookPath(const Process& process);

// Sets HOME from the user's /etc/passwd entry (in the current root) when
// process.env has none, "/" if there is no entry, as runc does.
void EnsureHome(Process& process);

// Bounding set, groups, uid/gid, capabilities, no_new_privs, umask, cwd.
// With a seccomp filter and no noNewPrivileges, the filter is loaded first,
// while CAP_SYS_ADMIN is still held (the kernel's rule).
absl::Status ApplyProcessIdentity(const Process& process, SeccompFilter* seccomp = nullptr,
                                  const std::string& state_json = "");

// Marks every fd above 2 + preserve_fds close-on-exec.
absl::Status CloseExtraFds(int preserve_fds);

// execve; returns only on failure.
absl::Status ExecProcess(const FinalProcess& fp);

}  // namespace berth::runtime
