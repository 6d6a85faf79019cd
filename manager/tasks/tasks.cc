#include "manager/tasks/tasks.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <future>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/exec_child.h"
#include "common/file_util.h"
#include "common/status.h"
#include "manager/gc/gc.h"
#include "manager/snapshots/mount.h"

namespace berth::manager {
namespace {

using Json = nlohmann::json;

v1::Status StatusFromShim(const std::string& s) {
  if (s == "created") return v1::CREATED;
  if (s == "running") return v1::RUNNING;
  if (s == "paused") return v1::PAUSED;
  if (s == "stopped") return v1::STOPPED;
  return v1::UNKNOWN;
}

int64_t Nanos(const shim::v1::Timestamp& t) { return t.seconds() * 1000000000 + t.nanos(); }

v1::WaitResponse ToWaitResponse(uint32_t exit_status, int64_t exited_at) {
  v1::WaitResponse r;
  r.set_exit_status(exit_status);
  r.set_exited_at(exited_at);
  return r;
}

// In the forked child of RunCommand: stdio, then every signal at its
// default and none blocked (the manager ignores SIGPIPE, blocks SIGTERM and
// SIGINT, and may have been started with SIGINT/SIGQUIT ignored; ignored
// signals survive execve), then exec. Only async-signal-safe calls.
// (Not posix_spawn: glibc's sets its internal signals 32 and 33 to SIG_IGN
// in the child, and the container would inherit that.)
[[noreturn]] void ExecChild(char* const* argv, int out) {
  int null = ::open("/dev/null", O_RDONLY);
  ::dup2(null, 0);
  ::dup2(out, 1);
  ::dup2(out, 2);
  ResetSignalsForExec();
  ::execv(argv[0], argv);
  dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
  _exit(127);
}

// Runs argv, waits for it, and returns its output; a non-zero exit becomes
// an error carrying the last line it printed.
absl::StatusOr<std::string> RunCommand(const std::vector<std::string>& argv) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) < 0) return ErrnoStatus("pipe2");
  UniqueFd rd(pipefd[0]), wr(pipefd[1]);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) return ErrnoStatus("fork", argv[0]);
  if (pid == 0) ExecChild(args.data(), wr.get());
  wr.reset();
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = RetryEintr([&] { return ::read(rd.get(), buf, sizeof buf); })) > 0;) {
    out.append(buf, static_cast<size_t>(n));
  }
  int status = 0;
  RetryEintr([&] { return ::waitpid(pid, &status, 0); });
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return out;
  std::vector<std::string> lines = absl::StrSplit(out, '\n', absl::SkipWhitespace());
  return absl::InternalError(
      absl::StrCat(argv[0], " failed: ", lines.empty() ? "no output" : lines.back()));
}

}  // namespace

TaskManager::TaskManager(TaskConfig config, MetadataStore& meta, OverlaySnapshotter& snapshots,
                         EventBroker& events)
    : config_(std::move(config)), meta_(meta), snapshots_(snapshots), events_(events) {
  monitor_ = std::make_unique<ShimMonitor>(
      [this](const std::string& key, const shim::v1::Event& ev) { OnShimEvent(key, ev); },
      [this](const std::string& key) { OnShimGone(key); });
}

TaskManager::~TaskManager() { monitor_.reset(); }

std::string TaskManager::TaskDir(const std::string& ns, const std::string& id) const {
  return absl::StrCat(config_.state_dir, "/tasks/", ns, "/", id);
}

bool TaskManager::Exists(const std::string& ns, const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  return tasks_.count(SnapshotKey(ns, id)) > 0;
}

absl::StatusOr<std::shared_ptr<TaskManager::Task>> TaskManager::Find(const std::string& ns,
                                                                     const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tasks_.find(SnapshotKey(ns, id));
  if (it == tasks_.end()) return absl::NotFoundError(absl::StrCat("task ", id, ": not found"));
  return it->second;
}

absl::Status TaskManager::Call(Task& task, absl::string_view method,
                               const google::protobuf::MessageLite& req,
                               google::protobuf::MessageLite* resp) {
  std::lock_guard<std::mutex> lock(task.mu);
  if (task.shim_gone) {
    return absl::FailedPreconditionError(
        absl::StrCat("task ", task.id, ": its shim has exited; delete the task"));
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!task.client) {
      absl::StatusOr<shim::ShimClient> c = shim::ShimClient::Connect(task.dir + "/shim/shim.sock");
      if (!c.ok()) return Annotate(c.status(), "connect to the shim of task " + task.id);
      task.client.emplace(*std::move(c));
    }
    absl::Status s = task.client->Call(method, req, resp);
    if (!task.client->broken()) return s;  // an answer, OK or not
    task.client.reset();                   // a broken connection: reconnect once
  }
  return absl::UnavailableError(absl::StrCat("task ", task.id, ": shim not reachable"));
}

absl::Status TaskManager::PrepareBundle(const std::string& ns, const v1::Container& c,
                                        const Task& task) {
  if (c.snapshot_key().empty()) {
    return absl::FailedPreconditionError(absl::StrCat("container ", c.id(), " has no snapshot"));
  }
  Json spec = Json::parse(c.spec(), nullptr, false);
  if (!spec.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("container ", c.id(), ": spec is not a JSON object"));
  }
  spec["root"]["path"] = "rootfs";
  // Without a cgroup of its own, runtimes put the container at /<id>, where
  // another manager's (or test's) container of the same id would share it.
  Json& linux = spec["linux"];
  if (!linux.is_object()) linux = Json::object();
  if (linux.value("cgroupsPath", "").empty()) {
    linux["cgroupsPath"] = absl::StrCat(config_.cgroup_parent, "/", ns, "/", c.id());
  }
  std::string rootfs = task.dir + "/bundle/rootfs";
  RETURN_IF_ERROR(MkdirAll(rootfs));
  ASSIGN_OR_RETURN(std::vector<MountSpec> mounts,
                   snapshots_.Mounts(SnapshotKey(ns, c.snapshot_key())));
  RETURN_IF_ERROR(MountAll(mounts, rootfs));
  return WriteFileAtomic(task.dir + "/bundle/config.json", spec.dump());
}

absl::Status TaskManager::SpawnShim(const Task& task) {
  std::string runtime_root = absl::StrCat(config_.state_dir, "/runtime/", task.ns);
  RETURN_IF_ERROR(MkdirAll(runtime_root, 0711));
  std::vector<std::string> argv = {config_.shim_binary,
                                   "--id",
                                   task.id,
                                   "--bundle",
                                   task.dir + "/bundle",
                                   "--state-dir",
                                   task.dir + "/shim",
                                   "--runtime",
                                   task.runtime,
                                   "--runtime-root",
                                   runtime_root,
                                   "--log-path",
                                   task.log_path};
  return RunCommand(argv).status();
}

absl::StatusOr<v1::Process> TaskManager::Create(const std::string& ns,
                                                const v1::CreateTaskRequest& req) {
  const std::string& id = req.container_id();
  ASSIGN_OR_RETURN(v1::Container c, meta_.GetContainer(ns, id));
  auto task = std::make_shared<Task>();
  task->ns = ns;
  task->id = id;
  task->dir = TaskDir(ns, id);
  task->runtime = c.runtime().path().empty() ? config_.default_runtime : c.runtime().path();
  task->log_path = req.log_path().empty() ? task->dir + "/log.json" : req.log_path();
  task->terminal = req.terminal();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!tasks_.emplace(SnapshotKey(ns, id), task).second) {
      return absl::AlreadyExistsError(absl::StrCat("task ", id, ": already exists"));
    }
  }
  absl::StatusOr<v1::Process> p = [&]() -> absl::StatusOr<v1::Process> {
    RETURN_IF_ERROR(MkdirAll(task->dir + "/shim", 0711));
    Json record = {{"namespace", ns},
                   {"id", id},
                   {"runtime", task->runtime},
                   {"log_path", task->log_path},
                   {"terminal", task->terminal}};
    RETURN_IF_ERROR(WriteFileAtomic(task->dir + "/task.json", record.dump()));
    RETURN_IF_ERROR(PrepareBundle(ns, c, *task));
    RETURN_IF_ERROR(SpawnShim(*task));
    shim::v1::CreateRequest creq;
    creq.set_terminal(req.terminal());
    creq.set_stdin(req.stdin());
    shim::v1::CreateResponse cresp;
    RETURN_IF_ERROR(Call(*task, "Create", creq, &cresp));
    RETURN_IF_ERROR(monitor_->Watch(SnapshotKey(ns, id), task->dir + "/shim/shim.sock"));
    v1::Process out;
    out.set_container_id(id);
    out.set_pid(cresp.pid());
    out.set_status(v1::CREATED);
    out.set_terminal(req.terminal());
    out.set_attach_socket(task->dir + "/shim/attach.sock");
    out.set_log_path(task->log_path);
    return out;
  }();
  if (!p.ok()) {
    Cleanup(*task);
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.erase(SnapshotKey(ns, id));
    return Annotate(p.status(), "create task " + id);
  }
  events_.Publish(ns, "/tasks/create", {{"container_id", id}, {"pid", absl::StrCat(p->pid())}});
  return p;
}

// Best effort: the shim told to go, the rootfs unmounted, the dir removed.
void TaskManager::Cleanup(const Task& task) {
  monitor_->Unwatch(SnapshotKey(task.ns, task.id));
  absl::StatusOr<std::string> pid_text = ReadFile(task.dir + "/shim/shim.pid");
  absl::StatusOr<shim::ShimClient> c = shim::ShimClient::Connect(task.dir + "/shim/shim.sock");
  if (c.ok()) {
    shim::v1::ShutdownRequest req;
    req.set_now(true);
    shim::v1::ShutdownResponse resp;
    (void)c->Call("Shutdown", req, &resp);
  }
  int pid = 0;
  if (pid_text.ok() && absl::SimpleAtoi(*pid_text, &pid) && pid > 1) {
    for (int i = 0; i < 100 && ::kill(pid, 0) == 0; ++i) {
      std::string stat;
      absl::StatusOr<std::string> s = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
      if (!s.ok() || s->find(") Z ") != std::string::npos) break;  // gone or a zombie
      ::usleep(10000);
    }
  }
  (void)UnmountAll(task.dir + "/bundle/rootfs");
  (void)RemoveAll(task.dir);
}

absl::StatusOr<uint32_t> TaskManager::Start(const std::string& ns, const std::string& id,
                                            const std::string& exec_id) {
  ASSIGN_OR_RETURN(std::shared_ptr<Task> task, Find(ns, id));
  shim::v1::StartRequest req;
  req.set_exec_id(exec_id);
  shim::v1::StartResponse resp;
  RETURN_IF_ERROR(Call(*task, "Start", req, &resp));
  std::map<std::string, std::string> fields = {{"container_id", id},
                                               {"pid", absl::StrCat(resp.pid())}};
  if (!exec_id.empty()) fields["exec_id"] = exec_id;
  events_.Publish(ns, exec_id.empty() ? "/tasks/start" : "/tasks/exec-started", fields);
  return resp.pid();
}

absl::StatusOr<v1::Process> TaskManager::StoppedFromExitFile(const Task& task) {
  v1::Process p;
  p.set_container_id(task.id);
  p.set_status(v1::STOPPED);
  p.set_exit_status(255);  // the shim died before the process exited
  p.set_terminal(task.terminal);
  p.set_log_path(task.log_path);
  absl::StatusOr<std::string> text = ReadFile(task.dir + "/shim/exit.json");
  if (text.ok()) {
    Json j = Json::parse(*text, nullptr, false);
    if (j.is_object()) {
      p.set_pid(j.value("pid", 0u));
      p.set_exit_status(j.value("exit_status", 255u));
      p.set_exited_at(j.value("exited_at_unix_nano", int64_t{0}));
    }
  }
  return p;
}

absl::StatusOr<v1::Process> TaskManager::Get(const std::string& ns, const std::string& id,
                                             const std::string& exec_id) {
  ASSIGN_OR_RETURN(std::shared_ptr<Task> task, Find(ns, id));
  bool gone;
  {
    std::lock_guard<std::mutex> lock(task->mu);
    gone = task->shim_gone;
  }
  if (gone && exec_id.empty()) return StoppedFromExitFile(*task);
  shim::v1::StateRequest req;
  req.set_exec_id(exec_id);
  shim::v1::StateResponse st;
  RETURN_IF_ERROR(Call(*task, "State", req, &st));
  v1::Process p;
  p.set_container_id(id);
  p.set_exec_id(exec_id);
  p.set_pid(st.pid());
  p.set_status(StatusFromShim(st.status()));
  p.set_terminal(st.terminal());
  p.set_exit_status(st.exit_status());
  p.set_exited_at(Nanos(st.exited_at()));
  p.set_attach_socket(st.attach_socket());
  p.set_log_path(task->log_path);
  return p;
}

absl::StatusOr<std::vector<v1::Process>> TaskManager::List(const std::string& ns) {
  std::vector<std::string> ids;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [key, task] : tasks_) {
      if (task->ns == ns) ids.push_back(task->id);
    }
  }
  std::vector<v1::Process> out;
  for (const std::string& id : ids) {
    absl::StatusOr<v1::Process> p = Get(ns, id, "");
    if (absl::IsNotFound(p.status())) continue;  // deleted meanwhile
    if (!p.ok()) {
      v1::Process unknown;
      unknown.set_container_id(id);
      out.push_back(unknown);
      continue;
    }
    out.push_back(*std::move(p));
  }
  return out;
}

absl::StatusOr<v1::DeleteResponse> TaskManager::Delete(const std::string& ns, const std::string& id,
                                                       bool force) {
  ASSIGN_OR_RETURN(std::shared_ptr<Task> task, Find(ns, id));
  ASSIGN_OR_RETURN(v1::Process state, Get(ns, id, ""));
  v1::DeleteResponse out;
  out.set_container_id(id);
  if (state.status() != v1::STOPPED && state.status() != v1::CREATED && !force) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot delete task ", id, ": it is running (stop it first, or force)"));
  }
  bool gone;
  {
    std::lock_guard<std::mutex> lock(task->mu);
    gone = task->shim_gone;
  }
  if (gone) {
    out.set_pid(state.pid());
    out.set_exit_status(state.exit_status());
    out.set_exited_at(state.exited_at());
  } else {
    if (state.status() != v1::STOPPED) {
      v1::KillRequest kill;
      kill.set_container_id(id);
      kill.set_signal(SIGKILL);
      kill.set_all(true);
      (void)Kill(ns, kill);
      RETURN_IF_ERROR(Wait(ns, id, "").status());
    }
    shim::v1::DeleteRequest req;
    shim::v1::DeleteResponse resp;
    RETURN_IF_ERROR(Call(*task, "Delete", req, &resp));
    out.set_pid(resp.pid());
    out.set_exit_status(resp.exit_status());
    out.set_exited_at(Nanos(resp.exited_at()));
  }
  Cleanup(*task);
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.erase(SnapshotKey(ns, id));
  }
  events_.Publish(ns, "/tasks/delete",
                  {{"container_id", id},
                   {"pid", absl::StrCat(out.pid())},
                   {"exit_status", absl::StrCat(out.exit_status())}});
  waiters_.CompleteTask(SnapshotKey(ns, id), ToWaitResponse(out.exit_status(), out.exited_at()),
                        absl::NotFoundError(absl::StrCat("task ", id, " was deleted")));
  return out;
}

absl::StatusOr<v1::DeleteResponse> TaskManager::DeleteProcess(const std::string& ns,
                                                              const std::string& id,
                                                              const std::string& exec_id) {
  ASSIGN_OR_RETURN(std::shared_ptr<Task> task, Find(ns, id));
  shim::v1::DeleteRequest req;
  req.set_exec_id(exec_id);
  shim::v1::DeleteResponse resp;
  RETURN_IF_ERROR(Call(*task, "Delete", req, &resp));
  v1::DeleteResponse out;
  out.set_container_id(id);
  out.set_pid(resp.pid());
  out.set_exit_status(resp.exit_status());
  out.set_exited_at(Nanos(resp.exited_at()));
  waiters_.Complete(SnapshotKey(ns, id), exec_id,
                    ToWaitResponse(out.exit_status(), out.exited_at()));
  return out;
}

absl::Status TaskManager::Kill(const std::string& ns, const v1::KillRequest& req) {
  ASSIGN_OR_RETURN(std::shared_ptr<Task> task, Find(ns, req.container_id()));
  shim::v1::KillRequest k;
  k.set_exec_id(req.exec_id());
  k.set_signal(req.signal());
  k.set_all(req.all());
  shim::v1::KillResponse resp;
  return Call(*task, "Kill", k, &resp);
}

absl::StatusOr<v1::Process> TaskManager::Exec(const std::string& ns,
                                              const v1::ExecProcessRequest& req) {
  if (req.exec_id().empty()) return absl::InvalidArgumentError("exec_id must not be empty");
  ASSIGN_OR_RETURN(std::shared_ptr<Task> task, Find(ns, req.container_id()));
  shim::v1::ExecRequest e;
  e.set_exec_id(req.exec_id());
  e.set_terminal(req.terminal());
  e.set_stdin(req.stdin());
  e.set_spec(req.spec());
  shim::v1::ExecResponse resp;
  RETURN_IF_ERROR(Call(*task, "Exec", e, &resp));
  events_.Publish(ns, "/tasks/exec-added",
                  {{"container_id", req.container_id()}, {"exec_id", req.exec_id()}});
  v1::Process p;
  p.set_container_id(req.container_id());
  p.set_exec_id(req.exec_id());
  p.set_status(v1::CREATED);
  p.set_terminal(req.terminal());
  p.set_attach_socket(resp.attach_socket());
  return p;
}

absl::Status TaskManager::ResizePty(const std::string& ns, const v1::ResizePtyRequest& req) {
  ASSIGN_OR_RETURN(std::shared_ptr<Task> task, Find(ns, req.container_id()));
  shim::v1::ResizePtyRequest r;
  r.set_exec_id(req.exec_id());
  r.set_width(req.width());
  r.set_height(req.height());
  shim::v1::ResizePtyResponse resp;
  return Call(*task, "ResizePty", r, &resp);
}

absl::Status TaskManager::CloseIO(const std::string& ns, const v1::CloseIORequest& req) {
  ASSIGN_OR_RETURN(std::shared_ptr<Task> task, Find(ns, req.container_id()));
  shim::v1::CloseIORequest r;
  r.set_exec_id(req.exec_id());
  r.set_stdin(req.stdin());
  shim::v1::CloseIOResponse resp;
  return Call(*task, "CloseIO", r, &resp);
}

absl::Status TaskManager::Pause(const std::string& ns, const std::string& id) {
  ASSIGN_OR_RETURN(std::shared_ptr<Task> task, Find(ns, id));
  shim::v1::PauseRequest req;
  shim::v1::PauseResponse resp;
  RETURN_IF_ERROR(Call(*task, "Pause", req, &resp));
  events_.Publish(ns, "/tasks/paused", {{"container_id", id}});
  return absl::OkStatus();
}

absl::Status TaskManager::Resume(const std::string& ns, const std::string& id) {
  ASSIGN_OR_RETURN(std::shared_ptr<Task> task, Find(ns, id));
  shim::v1::ResumeRequest req;
  shim::v1::ResumeResponse resp;
  RETURN_IF_ERROR(Call(*task, "Resume", req, &resp));
  events_.Publish(ns, "/tasks/resumed", {{"container_id", id}});
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint32_t>> TaskManager::ListPids(const std::string& ns,
                                                            const std::string& id) {
  ASSIGN_OR_RETURN(std::shared_ptr<Task> task, Find(ns, id));
  shim::v1::PidsRequest req;
  shim::v1::PidsResponse resp;
  RETURN_IF_ERROR(Call(*task, "Pids", req, &resp));
  return std::vector<uint32_t>(resp.pids().begin(), resp.pids().end());
}

absl::StatusOr<v1::WaitResponse> TaskManager::Wait(const std::string& ns, const std::string& id,
                                                   const std::string& exec_id) {
  // Shared with the callback: it may still be returning from set_value when
  // this thread wakes and leaves.
  auto result = std::make_shared<std::promise<ExitWaiters::Result>>();
  std::future<ExitWaiters::Result> done = result->get_future();
  WaitAsync(ns, id, exec_id, [result](ExitWaiters::Result r) { result->set_value(std::move(r)); });
  return done.get();
}

uint64_t TaskManager::WaitAsync(const std::string& ns, const std::string& id,
                                const std::string& exec_id, ExitWaiters::Done done) {
  // Registered first: an exit from now on completes it, so the state read
  // after cannot miss one that happens in between.
  uint64_t token = waiters_.Add(SnapshotKey(ns, id), exec_id, std::move(done));
  absl::StatusOr<v1::Process> p = Get(ns, id, exec_id);
  if (!p.ok()) {
    waiters_.CompleteOne(token, p.status());
  } else if (p->status() == v1::STOPPED) {
    waiters_.CompleteOne(token, ToWaitResponse(p->exit_status(), p->exited_at()));
  }
  return token;
}

absl::StatusOr<v1::MetricsResponse> TaskManager::Metrics(const std::string& ns,
                                                         const std::string& id) {
  ASSIGN_OR_RETURN(std::shared_ptr<Task> task, Find(ns, id));
  shim::v1::StatsRequest req;
  shim::v1::StatsResponse resp;
  RETURN_IF_ERROR(Call(*task, "Stats", req, &resp));
  v1::MetricsResponse out;
  out.set_cpu_usage_ns(resp.cpu_usage_ns());
  out.set_memory_usage_bytes(resp.memory_usage_bytes());
  out.set_memory_limit_bytes(resp.memory_limit_bytes());
  out.set_pids_current(resp.pids_current());
  return out;
}

absl::Status TaskManager::Update(const std::string& ns, const std::string& id,
                                 const std::string& resources) {
  ASSIGN_OR_RETURN(std::shared_ptr<Task> task, Find(ns, id));
  shim::v1::UpdateRequest req;
  req.set_resources(resources);
  shim::v1::UpdateResponse resp;
  return Call(*task, "Update", req, &resp);
}

void TaskManager::OnShimEvent(const std::string& key, const shim::v1::Event& ev) {
  std::string ns = key.substr(0, key.find('/'));
  if (ev.topic() == "/tasks/exit") {
    shim::v1::TaskExit e;
    e.ParseFromString(ev.payload());
    events_.Publish(ns, "/tasks/exit",
                    {{"container_id", e.id()},
                     {"pid", absl::StrCat(e.pid())},
                     {"exit_status", absl::StrCat(e.exit_status())}});
    waiters_.Complete(key, "", ToWaitResponse(e.exit_status(), Nanos(e.exited_at())));
  } else if (ev.topic() == "/tasks/exec-exit") {
    shim::v1::ExecExit e;
    e.ParseFromString(ev.payload());
    events_.Publish(ns, "/tasks/exit",
                    {{"container_id", e.id()},
                     {"exec_id", e.exec_id()},
                     {"pid", absl::StrCat(e.pid())},
                     {"exit_status", absl::StrCat(e.exit_status())}});
    waiters_.Complete(key, e.exec_id(), ToWaitResponse(e.exit_status(), Nanos(e.exited_at())));
  } else if (ev.topic() == "/tasks/oom") {
    shim::v1::OOM e;
    e.ParseFromString(ev.payload());
    events_.Publish(ns, "/tasks/oom", {{"container_id", e.id()}});
  }
}

void TaskManager::OnShimGone(const std::string& key) {
  std::shared_ptr<Task> task;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = tasks_.find(key);
    if (it == tasks_.end()) return;
    task = it->second;
  }
  // The shim may still be shutting down after a Delete; if its socket still
  // answers, it is not gone.
  if (shim::ShimClient::Connect(task->dir + "/shim/shim.sock").ok()) return;
  {
    std::lock_guard<std::mutex> lock(task->mu);
    task->shim_gone = true;
    task->client.reset();
  }
  absl::StatusOr<v1::Process> p = StoppedFromExitFile(*task);
  waiters_.CompleteTask(
      key,
      p.ok() ? ExitWaiters::Result(ToWaitResponse(p->exit_status(), p->exited_at()))
             : ExitWaiters::Result(p.status()),
      absl::UnavailableError(absl::StrCat("the shim of task ", task->id, " died")));
}

absl::Status TaskManager::Recover() {
  std::string root = config_.state_dir + "/tasks";
  if (!PathExists(root)) return absl::OkStatus();
  std::unique_ptr<DIR, int (*)(DIR*)> nsdir(::opendir(root.c_str()), ::closedir);
  if (!nsdir) return ErrnoStatus("opendir", root);
  while (dirent* n = ::readdir(nsdir.get())) {
    std::string ns = n->d_name;
    if (ns == "." || ns == "..") continue;
    std::string ns_dir = absl::StrCat(root, "/", ns);
    std::unique_ptr<DIR, int (*)(DIR*)> ids(::opendir(ns_dir.c_str()), ::closedir);
    if (!ids) continue;
    while (dirent* d = ::readdir(ids.get())) {
      std::string id = d->d_name;
      if (id == "." || id == "..") continue;
      auto task = std::make_shared<Task>();
      task->dir = TaskDir(ns, id);
      absl::StatusOr<std::string> text = ReadFile(task->dir + "/task.json");
      Json j = text.ok() ? Json::parse(*text, nullptr, false) : Json();
      if (!j.is_object()) {  // a create that never finished writing its record
        (void)UnmountAll(task->dir + "/bundle/rootfs");
        (void)RemoveAll(task->dir);
        continue;
      }
      task->ns = ns;
      task->id = id;
      task->runtime = j.value("runtime", "");
      task->log_path = j.value("log_path", "");
      task->terminal = j.value("terminal", false);
      if (!monitor_->Watch(SnapshotKey(ns, id), task->dir + "/shim/shim.sock").ok()) {
        task->shim_gone = true;
      }
      std::lock_guard<std::mutex> lock(mu_);
      tasks_[SnapshotKey(ns, id)] = task;
    }
  }
  return absl::OkStatus();
}

}  // namespace berth::manager
