// A task's (or exec process's) lifecycle as explicit state objects, after
// containerd's process/init_state.go. Each state allows some moves; any other
// is one FailedPrecondition naming the move and the state ("cannot start a
// stopped task"). The runtime work of a move goes through TaskOps, so the
// rules are tested without a runtime.
//
//   created --Start--> running --Pause--> paused --Resume--> running
//      |                  |                  |
//      +------------------+-- SetExited -----+--> stopped --Delete--> deleted
//   created --Delete--> deleted
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace berth::shim {

enum class TaskStatus { kCreated, kRunning, kPaused, kStopped, kDeleted };

absl::string_view TaskStatusName(TaskStatus status);

// The runtime side of each move (runs `<runtime> start`, ...).
class TaskOps {
 public:
  virtual ~TaskOps() = default;
  virtual absl::Status Start() = 0;
  virtual absl::Status Pause() = 0;
  virtual absl::Status Resume() = 0;
  virtual absl::Status Kill(int signal, bool all) = 0;
  virtual absl::Status Update(absl::string_view resources_json) = 0;
  virtual absl::Status Delete() = 0;
};

class TaskState;

// A move that fails in the runtime leaves the state as it was.
class Task {
 public:
  // kind names the process in errors: "task" or "exec process".
  Task(TaskOps* ops, std::string kind);
  ~Task();

  TaskStatus status() const;
  absl::string_view kind() const { return kind_; }

  absl::Status Start();
  absl::Status Pause();
  absl::Status Resume();
  absl::Status Kill(int signal, bool all);
  absl::Status Update(absl::string_view resources_json);
  absl::Status Delete();
  // Whether an exec may start in this task now.
  absl::Status CheckExec() const;
  // The process exited (reaped): any live state becomes stopped.
  void SetExited();

 private:
  friend class TaskState;
  TaskOps* ops_;
  std::string kind_;
  std::unique_ptr<TaskState> state_;
};

}  // namespace berth::shim
