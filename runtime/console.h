// Terminals. With process.terminal, the container's init (or an exec'd
// process) opens a pty inside the container's devpts and sends the master to
// the caller's --console-socket with SCM_RIGHTS, exactly as runc does:
//
//   caller (containerd, dockerd, a test)     runtime            container init
//   listen(console.sock)
//                                   <-----  connect(console.sock)
//                                           fork ---------------> open /dev/ptmx
//   recvmsg(SCM_RIGHTS) <-------------------------------------  sendmsg(master, "/dev/ptmx")
//                                                               slave -> fd 0,1,2 + ctty
#pragma once

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "common/unique_fd.h"
#include "runtime/spec/spec.h"

namespace berth::runtime {

absl::StatusOr<UniqueFd> ConnectUnixSocket(const std::string& path);

// sendmsg with one fd and `name` as the data (runc sends the pty's name).
absl::Status SendFd(int socket, const std::string& name, int fd);
// recvmsg of one fd (and its name, if wanted).
absl::StatusOr<UniqueFd> ReceiveFd(int socket, std::string* name = nullptr);

// In the container, after pivot_root: opens a new pty, sets its size, sends
// the master over `socket` and, if bind_console, mounts the slave over
// /dev/console. Returns the slave, for the process's stdio.
absl::StatusOr<UniqueFd> SetupConsole(int socket, const std::optional<ConsoleSize>& size,
                                      bool bind_console);

// Makes fd the process's stdin/stdout/stderr and controlling terminal.
absl::Status AttachTerminal(int slave_fd);

}  // namespace berth::runtime
