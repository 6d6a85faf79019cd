// A task's or an exec's stdio from berthctl: the shim's attach socket
// (docs/shim-protocol.md) copied to and from the local terminal.
//
//   berthctl                        berth-manager           berth-shim
//   Create/Exec ---------------------> ... ----------------> attach socket S
//   connect(S)  (before Start, so no output is missed)
//   Start ---------------------------> ... ----------------> runtime start
//   stdin  -> S ............................................ process stdin
//   stdout <- S ............................................ stdout+stderr / pty
//   stdin EOF: CloseIO ---------------> ... ----------------> close pipe / ^D
//   S EOF (process gone); Wait ------> ... -----------------> exit status
#pragma once

#include <atomic>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "manager/berthctl/client.h"

namespace berth::berthctl {

// Which process of which task.
struct ProcessRef {
  std::string container_id;
  std::string exec_id;  // empty: the task's init
};

struct AttachOptions {
  bool tty = false;     // raw mode on the local terminal, SIGWINCH -> ResizePty
  bool stdin = false;   // forward local stdin (CloseIO at its end)
  bool detach = false;  // Start only
};

// Blocks SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGWINCH in every thread (call
// before the first RPC, which starts gRPC's threads) and relays them from a
// thread: SIGWINCH as ResizePty with a tty, the others as Tasks.Kill.
class SignalForwarder {
 public:
  SignalForwarder();
  ~SignalForwarder();
  SignalForwarder(const SignalForwarder&) = delete;
  SignalForwarder& operator=(const SignalForwarder&) = delete;

  // Starts relaying to the process (until destroyed).
  void Start(Client* client, ProcessRef ref, bool tty);

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Sends the local terminal's size to the process (no-op without a tty).
void ResizeFromTerminal(Client& client, const ProcessRef& ref);

// Connects to attach_socket (unless detached), starts the process and, unless
// detached, copies stdio until the process is gone; then waits for it.
// Returns its exit status (0 when detached).
absl::StatusOr<int> StartAndWait(Client& client, const ProcessRef& ref,
                                 const std::string& attach_socket, const AttachOptions& opts);

// Tasks.Create for container id, then StartAndWait on its attach socket
// (only Start with detach). fwd, made before the first RPC, forwards the
// user's signals while attached. `berthctl run` and `tasks start` share it.
absl::StatusOr<int> CreateAndStartTask(Client& client, SignalForwarder& fwd, const std::string& id,
                                       bool tty, bool detach);

}  // namespace berth::berthctl
