#include "shim/task_state.h"

#include "absl/strings/str_cat.h"

namespace berth::shim {

absl::string_view TaskStatusName(TaskStatus status) {
  switch (status) {
    case TaskStatus::kCreated:
      return "created";
    case TaskStatus::kRunning:
      return "running";
    case TaskStatus::kPaused:
      return "paused";
    case TaskStatus::kStopped:
      return "stopped";
    case TaskStatus::kDeleted:
      return "deleted";
  }
  return "unknown";
}

// One object per state; the defaults refuse the move.
class TaskState {
 public:
  virtual ~TaskState() = default;
  virtual TaskStatus status() const = 0;
  virtual absl::Status Start(Task& t) { return Illegal(t, "start"); }
  virtual absl::Status Pause(Task& t) { return Illegal(t, "pause"); }
  virtual absl::Status Resume(Task& t) { return Illegal(t, "resume"); }
  virtual absl::Status Kill(Task& t, int signal, bool all) { return Ops(t).Kill(signal, all); }
  virtual absl::Status Update(Task& t, absl::string_view r) { return Ops(t).Update(r); }
  virtual absl::Status Delete(Task& t) { return Illegal(t, "delete"); }
  virtual absl::Status CheckExec(const Task& t) const { return Illegal(t, "exec in"); }
  virtual bool Live() const { return true; }

 protected:
  absl::Status Illegal(const Task& t, absl::string_view verb) const {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot ", verb, " a ", TaskStatusName(status()), " ", t.kind()));
  }
  static TaskOps& Ops(Task& t) { return *t.ops_; }
  template <typename S>
  static absl::Status MoveOn(Task& t, absl::Status done) {
    if (done.ok()) t.state_ = std::make_unique<S>();
    return done;
  }
};

namespace {

class DeletedState : public TaskState {
 public:
  TaskStatus status() const override { return TaskStatus::kDeleted; }
  absl::Status Kill(Task& t, int, bool) override { return Illegal(t, "kill"); }
  absl::Status Update(Task& t, absl::string_view) override { return Illegal(t, "update"); }
  bool Live() const override { return false; }
};

class StoppedState : public TaskState {
 public:
  TaskStatus status() const override { return TaskStatus::kStopped; }
  absl::Status Kill(Task&, int, bool) override {
    return absl::NotFoundError("process already finished");
  }
  absl::Status Update(Task& t, absl::string_view) override { return Illegal(t, "update"); }
  absl::Status Delete(Task& t) override { return MoveOn<DeletedState>(t, Ops(t).Delete()); }
  bool Live() const override { return false; }
};

class PausedState;

class RunningState : public TaskState {
 public:
  TaskStatus status() const override { return TaskStatus::kRunning; }
  absl::Status Pause(Task& t) override;
  absl::Status CheckExec(const Task&) const override { return absl::OkStatus(); }
};

class PausedState : public TaskState {
 public:
  TaskStatus status() const override { return TaskStatus::kPaused; }
  absl::Status Resume(Task& t) override { return MoveOn<RunningState>(t, Ops(t).Resume()); }
};

absl::Status RunningState::Pause(Task& t) { return MoveOn<PausedState>(t, Ops(t).Pause()); }

class CreatedState : public TaskState {
 public:
  TaskStatus status() const override { return TaskStatus::kCreated; }
  absl::Status Start(Task& t) override { return MoveOn<RunningState>(t, Ops(t).Start()); }
  absl::Status Delete(Task& t) override { return MoveOn<DeletedState>(t, Ops(t).Delete()); }
};

}  // namespace

Task::Task(TaskOps* ops, std::string kind)
    : ops_(ops), kind_(std::move(kind)), state_(std::make_unique<CreatedState>()) {}
Task::~Task() = default;

TaskStatus Task::status() const { return state_->status(); }
absl::Status Task::Start() { return state_->Start(*this); }
absl::Status Task::Pause() { return state_->Pause(*this); }
absl::Status Task::Resume() { return state_->Resume(*this); }
absl::Status Task::Kill(int signal, bool all) { return state_->Kill(*this, signal, all); }
absl::Status Task::Update(absl::string_view r) { return state_->Update(*this, r); }
absl::Status Task::Delete() { return state_->Delete(*this); }
absl::Status Task::CheckExec() const { return state_->CheckExec(*this); }

void Task::SetExited() {
  if (state_->Live()) state_ = std::make_unique<StoppedState>();
}

}  // namespace berth::shim
