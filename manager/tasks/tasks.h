// Tasks: a container's running process, one berth-shim each.
//
// On disk, per task (so a restarted manager finds it again):
//   <state>/tasks/<ns>/<id>/task.json   what the task was created with (atomic)
//                           bundle/     config.json + rootfs (the snapshot, mounted)
//                           shim/       the shim's state dir: shim.sock, attach.sock,
//                                       exit.json, shim.pid (docs/shim-protocol.md)
//                           log.json    the container's json-file log (default)
//   <state>/runtime/<ns>/               --root of the runtime (berth-runtime, runc, ...)
//
// Create:  task.json -> mount rootfs -> config.json -> spawn shim -> shim Create
// Delete:  shim Delete -> shim Shutdown -> unmount rootfs -> remove the dir
// A shim that dies leaves its exit.json: its task then reads as STOPPED with
// the status recorded there (or 255 if it died before the process exited).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "manager/events/broker.h"
#include "manager/metadata/store.h"
#include "manager/snapshots/overlay.h"
#include "manager/tasks/exit_waiters.h"
#include "manager/tasks/shim_monitor.h"
#include "proto/manager/v1/tasks.pb.h"
#include "shim/client.h"

namespace berth::manager {

struct TaskConfig {
  std::string state_dir;        // --state
  std::string shim_binary;      // berth-shim
  std::string default_runtime;  // berth-runtime
  std::string cgroup_parent;    // a spec without linux.cgroupsPath gets <parent>/<ns>/<id>
};

class TaskManager {
 public:
  TaskManager(TaskConfig config, MetadataStore& meta, OverlaySnapshotter& snapshots,
              EventBroker& events);
  ~TaskManager();

  // Finds the tasks of an earlier run: live shims are watched again, dead
  // ones read as stopped.
  absl::Status Recover();

  absl::StatusOr<v1::Process> Create(const std::string& ns, const v1::CreateTaskRequest& req);
  absl::StatusOr<uint32_t> Start(const std::string& ns, const std::string& id,
                                 const std::string& exec_id);
  absl::StatusOr<v1::DeleteResponse> Delete(const std::string& ns, const std::string& id,
                                            bool force);
  absl::StatusOr<v1::DeleteResponse> DeleteProcess(const std::string& ns, const std::string& id,
                                                   const std::string& exec_id);
  absl::StatusOr<v1::Process> Get(const std::string& ns, const std::string& id,
                                  const std::string& exec_id);
  absl::StatusOr<std::vector<v1::Process>> List(const std::string& ns);
  absl::Status Kill(const std::string& ns, const v1::KillRequest& req);
  absl::StatusOr<v1::Process> Exec(const std::string& ns, const v1::ExecProcessRequest& req);
  absl::Status ResizePty(const std::string& ns, const v1::ResizePtyRequest& req);
  absl::Status CloseIO(const std::string& ns, const v1::CloseIORequest& req);
  absl::Status Pause(const std::string& ns, const std::string& id);
  absl::Status Resume(const std::string& ns, const std::string& id);
  absl::StatusOr<std::vector<uint32_t>> ListPids(const std::string& ns, const std::string& id);
  // Blocks until the process exits (WaitAsync, with this thread waiting).
  absl::StatusOr<v1::WaitResponse> Wait(const std::string& ns, const std::string& id,
                                        const std::string& exec_id);
  // Wait without a thread (Tasks.Wait): done runs once the process has
  // exited, at once if it has, else on its exit event, its Delete or its
  // shim's death. The token is for CancelWait.
  uint64_t WaitAsync(const std::string& ns, const std::string& id, const std::string& exec_id,
                     ExitWaiters::Done done);
  // The caller went away: true if done will not run.
  bool CancelWait(uint64_t token) { return waiters_.Cancel(token); }
  // The manager is stopping: every pending wait fails with why (the tasks
  // live on; their waiters would otherwise hold the server's shutdown).
  void EndWaits(const absl::Status& why) { waiters_.CompleteAll(why); }
  absl::StatusOr<v1::MetricsResponse> Metrics(const std::string& ns, const std::string& id);
  absl::Status Update(const std::string& ns, const std::string& id, const std::string& resources);

  bool Exists(const std::string& ns, const std::string& id);

 private:
  struct Task {
    std::string ns, id, dir, runtime, log_path;
    bool terminal = false;
    std::mutex mu;  // one call at a time on client
    std::optional<shim::ShimClient> client;
    bool shim_gone = false;
  };
  std::string TaskDir(const std::string& ns, const std::string& id) const;
  absl::StatusOr<std::shared_ptr<Task>> Find(const std::string& ns, const std::string& id);
  // A call on the task's shim connection (reconnecting once if it broke).
  absl::Status Call(Task& task, absl::string_view method, const google::protobuf::MessageLite& req,
                    google::protobuf::MessageLite* resp);
  absl::Status SpawnShim(const Task& task);
  absl::Status PrepareBundle(const std::string& ns, const v1::Container& c, const Task& task);
  absl::StatusOr<v1::Process> StoppedFromExitFile(const Task& task);
  void Cleanup(const Task& task);
  void OnShimEvent(const std::string& key, const shim::v1::Event& ev);
  void OnShimGone(const std::string& key);

  TaskConfig config_;
  MetadataStore& meta_;
  OverlaySnapshotter& snapshots_;
  EventBroker& events_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Task>> tasks_;  // "<ns>/<id>"
  ExitWaiters waiters_;
  std::unique_ptr<ShimMonitor> monitor_;
};

}  // namespace berth::manager
