// The stdio of one container process, held by the shim for its whole life:
//
//   without a tty                        with a tty
//   shim                container        shim                      container
//   stdin  w --pipe--> r fd 0            console.sock <-- runtime sends the
//   stdout r <--pipe-- w fd 1                             pty master (SCM_RIGHTS)
//   stderr r <--pipe-- w fd 2            master <---------> slave fd 0,1,2
//
// Output goes to the JSON log (if any) and, raw, to every client of the
// process's attach socket; bytes an attach client writes go to the
// process's stdin (one writer: the oldest attached client; others' input is
// dropped). CloseStdin() gives the process EOF (a pipe's close; on a tty, the
// EOF character ^D).
#pragma once

#include <ctime>
#include <list>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/unique_fd.h"
#include "shim/connection.h"
#include "shim/event_loop.h"
#include "shim/json_log.h"
#include "shim/runtime_cli.h"

namespace berth::shim {

class ProcessIo {
 public:
  struct Options {
    bool terminal = false;
    bool stdin = false;
    std::string console_socket;  // tty only: where the runtime sends the master
    std::string attach_socket;
    JsonLogWriter* log = nullptr;  // not owned; null: no log
  };

  static absl::StatusOr<std::unique_ptr<ProcessIo>> Create(EventLoop* loop, Options options);
  ~ProcessIo();

  // For the runtime's create/exec: the container's ends of the pipes.
  ChildStdio child_stdio() const;
  // "" without a tty.
  const std::string& console_socket() const { return console_path_; }
  const std::string& attach_socket() const { return options_.attach_socket; }

  // After a successful runtime create/exec: drops the container's ends and,
  // with a tty, takes the master the runtime sent.
  absl::Status Started();
  absl::Status Resize(unsigned width, unsigned height);
  absl::Status CloseStdin();
  // The process is gone: copies what is left in the pipes/pty, then ends the
  // log's partial lines.
  void Drain();

 private:
  ProcessIo(EventLoop* loop, Options options) : loop_(loop), options_(std::move(options)) {}
  absl::Status Listen();
  void OnOutput(int fd, LogStream stream);
  void Emit(LogStream stream, absl::string_view data);
  void OnAttach();
  // Accepts the connections waiting in the attach listener's backlog. Called
  // before output is read and before the exit's drain: epoll may report a
  // pipe (or the exit) ahead of the listener in the same batch, and a client
  // that connected before the process wrote must not miss what it wrote
  // (`run` connects, then starts: a short process is gone by then).
  void AcceptPending();
  void WriteStdin(absl::string_view data);
  void FlushStdin();

  EventLoop* loop_;
  Options options_;
  std::string console_path_;
  UniqueFd console_listener_;
  UniqueFd attach_listener_;
  UniqueFd stdin_w_, stdout_r_, stderr_r_;  // shim's ends
  UniqueFd stdin_r_, stdout_w_, stderr_w_;  // container's ends, until Started()
  UniqueFd master_;                         // tty
  std::string stdin_pending_;
  bool stdin_closed_ = false;
  bool stdin_armed_ = false;
  bool drained_ = false;  // waiting for EPOLLOUT
  std::list<std::unique_ptr<Connection>> clients_;
};

}  // namespace berth::shim
