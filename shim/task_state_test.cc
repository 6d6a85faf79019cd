#include "shim/task_state.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace berth::shim {
namespace {

class FakeOps : public TaskOps {
 public:
  absl::Status Start() override { return Record("start"); }
  absl::Status Pause() override { return Record("pause"); }
  absl::Status Resume() override { return Record("resume"); }
  absl::Status Kill(int signal, bool) override { return Record("kill " + std::to_string(signal)); }
  absl::Status Update(absl::string_view) override { return Record("update"); }
  absl::Status Delete() override { return Record("delete"); }

  std::vector<std::string> calls;
  absl::Status fail = absl::OkStatus();

 private:
  absl::Status Record(std::string call) {
    calls.push_back(std::move(call));
    return fail;
  }
};

TEST_CASE("the normal life of a task") {
  FakeOps ops;
  Task t(&ops, "task");
  CHECK(t.status() == TaskStatus::kCreated);
  REQUIRE(t.Start().ok());
  CHECK(t.status() == TaskStatus::kRunning);
  REQUIRE(t.CheckExec().ok());
  REQUIRE(t.Pause().ok());
  CHECK(TaskStatusName(t.status()) == "paused");
  REQUIRE(t.Resume().ok());
  REQUIRE(t.Kill(15, false).ok());
  t.SetExited();
  CHECK(t.status() == TaskStatus::kStopped);
  REQUIRE(t.Delete().ok());
  CHECK(t.status() == TaskStatus::kDeleted);
  CHECK(ops.calls == std::vector<std::string>{"start", "pause", "resume", "kill 15", "delete"});
}

TEST_CASE("illegal moves are one clear error and do not reach the runtime") {
  FakeOps ops;
  Task t(&ops, "task");
  t.SetExited();
  auto s = t.Start();
  CHECK(s.code() == absl::StatusCode::kFailedPrecondition);
  CHECK(s.message() == "cannot start a stopped task");
  CHECK(t.Pause().message() == "cannot pause a stopped task");
  CHECK(t.Kill(9, false).code() == absl::StatusCode::kNotFound);
  CHECK(t.CheckExec().message() == "cannot exec in a stopped task");
  CHECK(ops.calls.empty());

  Task created(&ops, "exec process");
  CHECK(created.Resume().message() == "cannot resume a created exec process");
  CHECK(created.Pause().message() == "cannot pause a created exec process");
  REQUIRE(created.Start().ok());
  CHECK(created.Start().message() == "cannot start a running exec process");
  CHECK(created.Delete().message() == "cannot delete a running exec process");
  REQUIRE(created.Pause().ok());
  CHECK(created.CheckExec().message() == "cannot exec in a paused exec process");
}

TEST_CASE("a move the runtime refuses leaves the state alone") {
  FakeOps ops;
  Task t(&ops, "task");
  ops.fail = absl::UnknownError("runtime start: boom");
  CHECK(t.Start().message() == "runtime start: boom");
  CHECK(t.status() == TaskStatus::kCreated);
  ops.fail = absl::OkStatus();
  REQUIRE(t.Delete().ok());
  CHECK(t.status() == TaskStatus::kDeleted);
  CHECK(t.Kill(9, false).message() == "cannot kill a deleted task");
  t.SetExited();
  CHECK(t.status() == TaskStatus::kDeleted);
}

}  // namespace
}  // namespace berth::shim
