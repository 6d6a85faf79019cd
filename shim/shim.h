// The shim's logic: one container task (its init process) and its exec
// processes, driven through a runc-compatible runtime, with their stdio,
// exit statuses and events. Callable in-process; service.h speaks the wire.
//
// Exit handling: the shim is child subreaper, so the container's init and
// every exec process (and whatever they leave behind) are reaped here, from
// SIGCHLD on the event loop. For the init, the exit status and time are
// written to <state-dir>/exit.json (write, fsync, rename) before any waiter
// or event hears of them; the shim keeps them until Delete/Shutdown.
//
// OOM: from Create until the init exits, the shim watches the task's memory
// cgroup (OomWatch) and publishes /tasks/oom for each OOM kill in it; an init
// that was OOM-killed has its /tasks/oom before its /tasks/exit.
#pragma once

#include <sys/types.h>

#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/unique_fd.h"
#include "proto/shim/v1/shim.pb.h"
#include "shim/cgroup_stats.h"
#include "shim/event_loop.h"
#include "shim/json_log.h"
#include "shim/process_io.h"
#include "shim/runtime_cli.h"
#include "shim/task_state.h"

namespace berth::shim {

namespace pb = ::berth::shim::v1;

struct ShimOptions {
  std::string id;
  std::string bundle;
  std::string state_dir;
  std::string socket;  // default <state-dir>/shim.sock
  std::string runtime = "berth-runtime";
  std::string runtime_root;  // --root of the runtime
  std::string log_path;      // container log (json-file); "" = none
  uint64_t log_max_size = 0;
  int log_max_file = 1;
};

class Shim {
 public:
  using EventSink = std::function<void(absl::string_view topic, const std::string& payload)>;
  using WaitDone = std::function<void(absl::StatusOr<pb::WaitResponse>)>;

  Shim(ShimOptions options, EventLoop* loop);
  ~Shim();

  // Signals (SIGCHLD, SIGTERM) on the loop; the caller has blocked them.
  absl::Status Init();
  void set_event_sink(EventSink sink) { events_ = std::move(sink); }
  const ShimOptions& options() const { return options_; }

  absl::StatusOr<pb::CreateResponse> Create(const pb::CreateRequest& req);
  absl::StatusOr<pb::StartResponse> Start(const pb::StartRequest& req);
  absl::StatusOr<pb::StateResponse> State(const pb::StateRequest& req);
  absl::StatusOr<pb::PidsResponse> Pids(const pb::PidsRequest& req);
  absl::StatusOr<pb::KillResponse> Kill(const pb::KillRequest& req);
  absl::StatusOr<pb::ExecResponse> Exec(const pb::ExecRequest& req);
  absl::StatusOr<pb::ResizePtyResponse> ResizePty(const pb::ResizePtyRequest& req);
  absl::StatusOr<pb::CloseIOResponse> CloseIO(const pb::CloseIORequest& req);
  // Calls done once the process has exited (at once if it has).
  void Wait(const pb::WaitRequest& req, WaitDone done);
  absl::StatusOr<pb::PauseResponse> Pause(const pb::PauseRequest& req);
  absl::StatusOr<pb::ResumeResponse> Resume(const pb::ResumeRequest& req);
  absl::StatusOr<pb::UpdateResponse> Update(const pb::UpdateRequest& req);
  absl::StatusOr<pb::StatsResponse> Stats(const pb::StatsRequest& req);
  absl::StatusOr<pb::DeleteResponse> Delete(const pb::DeleteRequest& req);
  absl::StatusOr<pb::ShutdownResponse> Shutdown(const pb::ShutdownRequest& req);
  absl::StatusOr<pb::ConnectResponse> Connect(const pb::ConnectRequest& req);

 private:
  struct Process;
  absl::StatusOr<Process*> Find(const std::string& exec_id);
  absl::StatusOr<Process*> InitProcess();
  void OnSignal();
  void Reap();
  void OnExit(Process* p, int wait_status);
  void Publish(absl::string_view topic, const std::string& payload);
  void WatchOom();
  void CheckOom();
  absl::StatusOr<pid_t> ReadPidFile(const std::string& path);

  ShimOptions options_;
  EventLoop* loop_;
  RuntimeCli runtime_;
  UniqueFd signal_fd_;
  std::unique_ptr<JsonLogWriter> log_;
  std::unique_ptr<Process> init_;
  std::map<std::string, std::unique_ptr<Process>> execs_;
  std::unique_ptr<OomWatch> oom_;  // the task's memory cgroup, while the init runs
  EventSink events_;
};

}  // namespace berth::shim
