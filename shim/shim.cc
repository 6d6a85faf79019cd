#include "shim/shim.h"

#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/file_util.h"
#include "common/log.h"
#include "common/status.h"
#include "shim/cgroup_stats.h"

namespace berth::shim {

// The init (exec_id "") or one exec process; its runtime side of the state
// moves is here, the rules are in Task.
struct Shim::Process final : TaskOps {
  Process(Shim* shim, std::string exec_id)
      : shim(shim),
        exec_id(std::move(exec_id)),
        task(this, this->exec_id.empty() ? "task" : "exec process") {}

  bool is_init() const { return exec_id.empty(); }
  const std::string& id() const { return shim->options_.id; }
  std::string File(absl::string_view name) const {
    return absl::StrCat(shim->options_.state_dir, "/", is_init() ? "" : "exec-" + exec_id + "-",
                        name);
  }

  absl::Status Start() override {
    if (is_init()) return shim->runtime_.Start(id());
    RETURN_IF_ERROR(shim->runtime_.Exec(id(), File("process.json"), File("pid"),
                                        io->console_socket(), io->child_stdio()));
    RETURN_IF_ERROR(io->Started());
    ASSIGN_OR_RETURN(pid, shim->ReadPidFile(File("pid")));
    return absl::OkStatus();
  }
  absl::Status Pause() override { return shim->runtime_.Pause(id()); }
  absl::Status Resume() override { return shim->runtime_.Resume(id()); }
  absl::Status Kill(int signal, bool all) override {
    if (is_init()) return shim->runtime_.Kill(id(), signal, all);
    if (pid <= 0) return absl::FailedPreconditionError("exec process not started");
    if (::kill(pid, signal) != 0) return ErrnoStatus("kill", std::to_string(pid));
    return absl::OkStatus();
  }
  absl::Status Update(absl::string_view r) override {
    if (!is_init()) return absl::FailedPreconditionError("cannot update an exec process");
    return shim->runtime_.Update(id(), r);
  }
  absl::Status Delete() override {
    return is_init() ? shim->runtime_.Delete(id(), false) : absl::OkStatus();
  }

  void FillExit(pb::Timestamp* ts) const {
    ts->set_seconds(exited_at.tv_sec);
    ts->set_nanos(static_cast<int32_t>(exited_at.tv_nsec));
  }

  Shim* shim;
  std::string exec_id;
  Task task;
  bool terminal = false;
  pid_t pid = 0;
  std::unique_ptr<ProcessIo> io;
  bool exited = false;
  uint32_t exit_status = 0;
  struct timespec exited_at = {};
  std::vector<WaitDone> waiters;
  absl::Status start_error;  // an exec that failed to start
};

Shim::Shim(ShimOptions options, EventLoop* loop)
    : options_(std::move(options)),
      loop_(loop),
      runtime_(RuntimeOptions{options_.runtime, options_.runtime_root,
                              options_.state_dir + "/runtime.log"}) {}

Shim::~Shim() = default;

absl::Status Shim::Init() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGTERM);
  signal_fd_.reset(::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!signal_fd_) return ErrnoStatus("signalfd");
  if (!options_.log_path.empty()) {
    ASSIGN_OR_RETURN(log_, JsonLogWriter::Open(JsonLogOptions{
                               options_.log_path, options_.log_max_size, options_.log_max_file}));
  }
  return loop_->Add(signal_fd_.get(), EPOLLIN, [this](uint32_t) { OnSignal(); });
}

void Shim::OnSignal() {
  struct signalfd_siginfo si;
  bool term = false;
  while (::read(signal_fd_.get(), &si, sizeof si) == sizeof si) {
    if (si.ssi_signo == SIGTERM) term = true;
  }
  Reap();
  // SIGTERM stops only a shim without a live task: a container outlives
  // whoever signals its shim, as under containerd.
  if (term && (!init_ || init_->exited)) loop_->Stop();
}

void Shim::Reap() {
  for (;;) {
    int wstatus = 0;
    pid_t pid = ::waitpid(-1, &wstatus, WNOHANG);
    if (pid <= 0) return;
    if (init_ && init_->pid == pid) {
      OnExit(init_.get(), wstatus);
      continue;
    }
    for (auto& [id, p] : execs_) {
      if (p->pid == pid) OnExit(p.get(), wstatus);
    }
  }
}

void Shim::OnExit(Process* p, int wstatus) {
  p->exited = true;
  p->exit_status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
  ::clock_gettime(CLOCK_REALTIME, &p->exited_at);
  if (p->io) p->io->Drain();
  p->task.SetExited();
  if (p->is_init() && oom_) {
    CheckOom();  // the kill may be in the same epoll batch, after this SIGCHLD
    loop_->Remove(oom_->fd());
    oom_.reset();
  }
  if (p->is_init()) {
    std::string json = absl::StrCat(
        "{\"pid\":", p->pid, ",\"exit_status\":", p->exit_status, ",\"exited_at\":\"",
        FormatLogTime(p->exited_at), "\",\"exited_at_unix_nano\":",
        static_cast<int64_t>(p->exited_at.tv_sec) * 1000000000 + p->exited_at.tv_nsec, "}\n");
    absl::Status written = WriteFileAtomic(options_.state_dir + "/exit.json", json);
    if (!written.ok()) fprintf(stderr, "berth-shim: %s\n", written.ToString().c_str());
    pb::TaskExit ev;
    ev.set_id(options_.id);
    ev.set_pid(static_cast<uint32_t>(p->pid));
    ev.set_exit_status(p->exit_status);
    p->FillExit(ev.mutable_exited_at());
    Publish("/tasks/exit", ev.SerializeAsString());
  } else {
    pb::ExecExit ev;
    ev.set_id(options_.id);
    ev.set_exec_id(p->exec_id);
    ev.set_pid(static_cast<uint32_t>(p->pid));
    ev.set_exit_status(p->exit_status);
    p->FillExit(ev.mutable_exited_at());
    Publish("/tasks/exec-exit", ev.SerializeAsString());
  }
  pb::WaitResponse resp;
  resp.set_exit_status(p->exit_status);
  p->FillExit(resp.mutable_exited_at());
  auto waiters = std::move(p->waiters);
  for (auto& done : waiters) done(resp);
}

void Shim::Publish(absl::string_view topic, const std::string& payload) {
  if (events_) events_(topic, payload);
}

void Shim::WatchOom() {
  auto watch = OomWatch::Open(init_->pid);
  absl::Status s = watch.status();
  if (s.ok() && *watch) {
    s = loop_->Add((*watch)->fd(), EPOLLIN, [this](uint32_t) { CheckOom(); });
    if (s.ok()) oom_ = std::move(*watch);
  }
  if (!s.ok()) fprintf(stderr, "berth-shim: no OOM events: %s\n", s.ToString().c_str());
}

void Shim::CheckOom() {
  if (!oom_->Fired()) return;
  pb::OOM ev;
  ev.set_id(options_.id);
  Publish("/tasks/oom", ev.SerializeAsString());
}

absl::StatusOr<pid_t> Shim::ReadPidFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string content, ReadFile(path));
  int pid = 0;
  if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(content), &pid) || pid <= 0) {
    return absl::InternalError(absl::StrCat("pid file ", path, ": not a pid: ", content));
  }
  return pid;
}

absl::StatusOr<Shim::Process*> Shim::InitProcess() {
  if (!init_) return absl::FailedPreconditionError("no task: call Create first");
  return init_.get();
}

absl::StatusOr<Shim::Process*> Shim::Find(const std::string& exec_id) {
  if (exec_id.empty()) return InitProcess();
  auto it = execs_.find(exec_id);
  if (it == execs_.end()) return absl::NotFoundError(absl::StrCat("exec ", exec_id, " not found"));
  return it->second.get();
}

absl::StatusOr<pb::CreateResponse> Shim::Create(const pb::CreateRequest& req) {
  if (init_) return absl::AlreadyExistsError(absl::StrCat("task ", options_.id, " already exists"));
  auto p = std::make_unique<Process>(this, "");
  p->terminal = req.terminal();
  ASSIGN_OR_RETURN(p->io, ProcessIo::Create(loop_, ProcessIo::Options{
                                                       req.terminal(),
                                                       req.stdin(),
                                                       options_.state_dir + "/console.sock",
                                                       options_.state_dir + "/attach.sock",
                                                       log_.get(),
                                                   }));
  std::string pid_file = options_.state_dir + "/init.pid";
  RETURN_IF_ERROR(runtime_.Create(options_.id, options_.bundle, pid_file, p->io->console_socket(),
                                  p->io->child_stdio()));
  absl::Status started = p->io->Started();
  if (started.ok()) {
    auto pid = ReadPidFile(pid_file);
    if (pid.ok()) p->pid = *pid;
    started = pid.status();
  }
  if (!started.ok()) {
    (void)runtime_.Delete(options_.id, true);
    return Annotate(started, "create");
  }
  init_ = std::move(p);
  WatchOom();
  pb::CreateResponse resp;
  resp.set_pid(static_cast<uint32_t>(init_->pid));
  return resp;
}

absl::StatusOr<pb::StartResponse> Shim::Start(const pb::StartRequest& req) {
  ASSIGN_OR_RETURN(Process * p, Find(req.exec_id()));
  if (!p->is_init()) RETURN_IF_ERROR(init_->task.CheckExec());
  absl::Status started = p->task.Start();
  if (!started.ok() && !p->is_init()) {
    // A failed exec never runs: it is stopped, and its waiters get the error.
    p->start_error = started;
    p->task.SetExited();
    auto waiters = std::move(p->waiters);
    for (auto& done : waiters) done(started);
  }
  RETURN_IF_ERROR(started);
  pb::StartResponse resp;
  resp.set_pid(static_cast<uint32_t>(p->pid));
  return resp;
}

absl::StatusOr<pb::StateResponse> Shim::State(const pb::StateRequest& req) {
  ASSIGN_OR_RETURN(Process * p, Find(req.exec_id()));
  pb::StateResponse resp;
  resp.set_id(options_.id);
  resp.set_exec_id(p->exec_id);
  resp.set_bundle(options_.bundle);
  resp.set_pid(static_cast<uint32_t>(p->pid));
  resp.set_status(std::string(TaskStatusName(p->task.status())));
  resp.set_terminal(p->terminal);
  resp.set_exit_status(p->exit_status);
  if (p->exited) p->FillExit(resp.mutable_exited_at());
  if (p->io) resp.set_attach_socket(p->io->attach_socket());
  return resp;
}

absl::StatusOr<pb::PidsResponse> Shim::Pids(const pb::PidsRequest&) {
  ASSIGN_OR_RETURN(Process * p, InitProcess());
  if (p->exited) return absl::FailedPreconditionError("the task has exited");
  ASSIGN_OR_RETURN(std::vector<pid_t> pids, CgroupPids(p->pid));
  pb::PidsResponse resp;
  for (pid_t pid : pids) resp.add_pids(static_cast<uint32_t>(pid));
  return resp;
}

absl::StatusOr<pb::KillResponse> Shim::Kill(const pb::KillRequest& req) {
  ASSIGN_OR_RETURN(Process * p, Find(req.exec_id()));
  if (req.signal() == 0 || req.signal() > 64) {
    return absl::InvalidArgumentError(absl::StrCat("invalid signal ", req.signal()));
  }
  RETURN_IF_ERROR(p->task.Kill(static_cast<int>(req.signal()), req.all()));
  return pb::KillResponse();
}

absl::StatusOr<pb::ExecResponse> Shim::Exec(const pb::ExecRequest& req) {
  ASSIGN_OR_RETURN(Process * init, InitProcess());
  RETURN_IF_ERROR(init->task.CheckExec());
  const std::string& id = req.exec_id();
  if (id.empty() || id.size() > 64 || id.find_first_of("/. ") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("invalid exec id '", id, "'"));
  }
  if (execs_.count(id)) return absl::AlreadyExistsError(absl::StrCat("exec ", id, " exists"));
  auto p = std::make_unique<Process>(this, id);
  p->terminal = req.terminal();
  RETURN_IF_ERROR(WriteFileAtomic(p->File("process.json"), req.spec()));
  ASSIGN_OR_RETURN(
      p->io, ProcessIo::Create(
                 loop_, ProcessIo::Options{req.terminal(), req.stdin(), p->File("console.sock"),
                                           p->File("attach.sock"), nullptr}));
  pb::ExecResponse resp;
  resp.set_attach_socket(p->io->attach_socket());
  execs_[id] = std::move(p);
  return resp;
}

absl::StatusOr<pb::ResizePtyResponse> Shim::ResizePty(const pb::ResizePtyRequest& req) {
  ASSIGN_OR_RETURN(Process * p, Find(req.exec_id()));
  RETURN_IF_ERROR(p->io->Resize(req.width(), req.height()));
  return pb::ResizePtyResponse();
}

absl::StatusOr<pb::CloseIOResponse> Shim::CloseIO(const pb::CloseIORequest& req) {
  ASSIGN_OR_RETURN(Process * p, Find(req.exec_id()));
  if (req.stdin()) RETURN_IF_ERROR(p->io->CloseStdin());
  return pb::CloseIOResponse();
}

void Shim::Wait(const pb::WaitRequest& req, WaitDone done) {
  auto found = Find(req.exec_id());
  if (!found.ok()) return done(found.status());
  Process* p = *found;
  if (!p->start_error.ok()) return done(p->start_error);
  if (!p->exited) {
    p->waiters.push_back(std::move(done));
    return;
  }
  pb::WaitResponse resp;
  resp.set_exit_status(p->exit_status);
  p->FillExit(resp.mutable_exited_at());
  done(resp);
}

absl::StatusOr<pb::PauseResponse> Shim::Pause(const pb::PauseRequest&) {
  ASSIGN_OR_RETURN(Process * p, InitProcess());
  RETURN_IF_ERROR(p->task.Pause());
  return pb::PauseResponse();
}

absl::StatusOr<pb::ResumeResponse> Shim::Resume(const pb::ResumeRequest&) {
  ASSIGN_OR_RETURN(Process * p, InitProcess());
  RETURN_IF_ERROR(p->task.Resume());
  return pb::ResumeResponse();
}

absl::StatusOr<pb::UpdateResponse> Shim::Update(const pb::UpdateRequest& req) {
  ASSIGN_OR_RETURN(Process * p, InitProcess());
  RETURN_IF_ERROR(p->task.Update(req.resources()));
  return pb::UpdateResponse();
}

absl::StatusOr<pb::StatsResponse> Shim::Stats(const pb::StatsRequest&) {
  ASSIGN_OR_RETURN(Process * p, InitProcess());
  if (p->exited) return absl::FailedPreconditionError("the task has exited");
  ASSIGN_OR_RETURN(CgroupStats s, ReadCgroupStats(p->pid));
  pb::StatsResponse resp;
  resp.set_cpu_usage_ns(s.cpu_usage_ns);
  resp.set_memory_usage_bytes(s.memory_usage_bytes);
  resp.set_memory_limit_bytes(s.memory_limit_bytes);
  resp.set_pids_current(s.pids_current);
  return resp;
}

absl::StatusOr<pb::DeleteResponse> Shim::Delete(const pb::DeleteRequest& req) {
  ASSIGN_OR_RETURN(Process * p, Find(req.exec_id()));
  RETURN_IF_ERROR(p->task.Delete());
  pb::DeleteResponse resp;
  resp.set_pid(static_cast<uint32_t>(p->pid));
  resp.set_exit_status(p->exit_status);
  p->FillExit(resp.mutable_exited_at());
  if (!p->is_init()) {
    ::unlink(p->File("process.json").c_str());
    ::unlink(p->File("pid").c_str());
    execs_.erase(req.exec_id());
  }
  return resp;
}

absl::StatusOr<pb::ShutdownResponse> Shim::Shutdown(const pb::ShutdownRequest& req) {
  if (!req.now() && init_ && init_->task.status() != TaskStatus::kDeleted) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot shut down: task is ", TaskStatusName(init_->task.status()), " (delete it first)"));
  }
  // After this response has gone out.
  RETURN_IF_ERROR(loop_->After(0, [this] { loop_->Stop(); }));
  return pb::ShutdownResponse();
}

absl::StatusOr<pb::ConnectResponse> Shim::Connect(const pb::ConnectRequest&) {
  pb::ConnectResponse resp;
  resp.set_shim_pid(static_cast<uint32_t>(::getpid()));
  resp.set_task_pid(init_ ? static_cast<uint32_t>(init_->pid) : 0);
  resp.set_version(BERTH_SHIM_VERSION);
  return resp;
}

}  // namespace berth::shim
