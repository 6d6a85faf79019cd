// exec: a new process in a running container.
//
//   runtime                      child                       process
//   fork ------------------->    join cgroup, setns(all)
//                                clone(CLONE_PARENT) ------> setsid, tty, identity
//   <-- kInitPid(pid) -------    exit                        execve (sync fd is
//   <-- EOF on success, or kError from the process ---------  close-on-exec)
//   wait, forwarding signals
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/file_util.h"
#include "common/status.h"
#include "runtime/cgroups/manager.h"
#include "runtime/console.h"
#include "runtime/container/container.h"
#include "runtime/container/tty_proxy.h"
#include "runtime/namespaces.h"
#include "runtime/process/clone.h"
#include "runtime/process/init.h"
#include "runtime/process/sync.h"
#include "runtime/seccomp/seccomp.h"
#include "runtime/spec/validate.h"

namespace berth::runtime {
namespace {

absl::StatusOr<Process> BuildProcess(const Spec& spec, const ExecOptions& o) {
  Process p;
  if (o.process_file) {
    ASSIGN_OR_RETURN(std::string text, ReadFile(*o.process_file));
    auto parsed = ParseProcess(text);
    if (!parsed.ok()) return Annotate(parsed.status(), *o.process_file);
    p = std::move(*parsed);
    if (p.cwd.empty()) p.cwd = "/";
  } else {
    if (spec.process) p = *spec.process;
    p.args = o.args;
    p.terminal = o.tty;
    p.console_size.reset();
    for (const auto& e : o.env) p.env.push_back(e);
    if (o.cwd) p.cwd = *o.cwd;
    if (o.user) {
      std::vector<std::string> parts = absl::StrSplit(*o.user, ':');
      if (parts.size() > 2 || !absl::SimpleAtoi(parts[0], &p.user.uid) ||
          (parts.size() == 2 && !absl::SimpleAtoi(parts[1], &p.user.gid))) {
        return absl::InvalidArgumentError(
            absl::StrCat("--user: \"", *o.user, "\" is not uid[:gid]"));
      }
    }
    for (uint32_t g : o.additional_gids) p.user.additional_gids.push_back(g);
    if (!o.caps.empty()) {
      if (!p.capabilities) p.capabilities = Capabilities{};
      for (const auto& c : o.caps) {
        RETURN_IF_ERROR(ValidateCapabilityName(c, "--cap"));
        for (auto* set :
             {&p.capabilities->bounding, &p.capabilities->effective, &p.capabilities->permitted,
              &p.capabilities->inheritable, &p.capabilities->ambient}) {
          set->push_back(c);
        }
      }
    }
    p.no_new_privileges |= o.no_new_privs;
  }
  if (p.args.empty()) return absl::InvalidArgumentError("exec args cannot be empty");
  if (p.cwd.empty() || p.cwd[0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat("cwd \"", p.cwd, "\" is not an absolute path"));
  }
  return p;
}

[[noreturn]] void RunExecProcess(Process p, const nlohmann::json& seccomp_json, SyncChannel& sync,
                                 int console, int preserve_fds) {
  auto fail = [&](const absl::Status& st) {
    (void)sync.SendError(st);
    _exit(255);
  };
  sync.SendDebug("exec", "child process in init()");
  if (setsid() < 0) fail(ErrnoStatus("setsid"));
  if (p.terminal) {
    auto slave = SetupConsole(console, p.console_size, false);
    if (!slave.ok()) fail(slave.status());
    if (absl::Status st = AttachTerminal(slave->get()); !st.ok()) fail(st);
    close(console);
  }
  for (const Rlimit& r : p.rlimits) {
    struct rlimit lim {
      r.soft, r.hard
    };
    if (setrlimit(r.resource, &lim) != 0) fail(ErrnoStatus(absl::StrCat("setrlimit ", r.type)));
  }
  EnsureHome(p);
  if (chdir(p.cwd.c_str()) != 0) fail(ErrnoStatus("chdir to cwd", p.cwd));
  auto path = LookPath(p);
  if (!path.ok()) fail(path.status());
  // The container's seccomp profile applies to exec'd processes too.
  auto seccomp = CompileSeccomp(seccomp_json);
  if (!seccomp.ok()) fail(seccomp.status());
  if (absl::Status st = ApplyProcessIdentity(p, seccomp->get()); !st.ok()) fail(st);
  (void)CloseExtraFds(preserve_fds);
  sync.SendDebug("exec", "setns_init: about to exec");
  fail(ExecProcess({&p, *path, seccomp->get(), ""}));
  _exit(255);
}

[[noreturn]] void RunExecChild(const ContainerState& state, const Process& p,
                               const nlohmann::json& seccomp_json, SyncChannel& sync, int console,
                               int preserve_fds) {
  auto fail = [&](const absl::Status& st) {
    (void)sync.SendError(st);
    _exit(255);
  };
  sync.SendDebug("exec-stage-1", "=> nsexec container setup (join cgroups, namespaces)");
  // Join the container's cgroups as the init did: v1 through `tasks`, v2 at
  // birth (CLONE_INTO_CGROUP). See cgroups/manager.h.
  auto cgroup = CgroupManagerFromPaths(state.cgroup_mode, state.cgroup_paths);
  if (absl::Status st = cgroup->JoinSelfV1(); !st.ok()) fail(st);
  UniqueFd cgroup_v2;
  if (std::string v2 = cgroup->V2Path(); !v2.empty()) {
    cgroup_v2.reset(open(v2.c_str(), O_DIRECTORY | O_PATH | O_CLOEXEC));
    if (!cgroup_v2) fail(ErrnoStatus("open", v2));
  }
  // Inside the container's user namespace the host's cgroup tree is not
  // ours to write (clone3 says EACCES): join it now, the slow way.
  struct stat mine, theirs;
  if (cgroup_v2 && stat("/proc/self/ns/user", &mine) == 0 &&
      stat(absl::StrCat("/proc/", state.pid, "/ns/user").c_str(), &theirs) == 0 &&
      mine.st_ino != theirs.st_ino) {
    if (absl::Status st = JoinCgroupV2(cgroup_v2.get()); !st.ok()) fail(st);
    cgroup_v2.reset();
  }
  std::vector<NsType> all = {NsType::kUser, NsType::kPid,    NsType::kNetwork, NsType::kIpc,
                             NsType::kUts,  NsType::kCgroup, NsType::kTime,    NsType::kMount};
  if (absl::Status st = JoinProcessNamespaces(state.pid, all); !st.ok()) fail(st);
  auto pid = CloneSibling(cgroup_v2.get());
  if (!pid.ok()) fail(pid.status());
  if (*pid == 0) RunExecProcess(p, seccomp_json, sync, console, preserve_fds);
  (void)sync.Send(SyncType::kInitPid, *pid);
  _exit(0);
}

}  // namespace

absl::StatusOr<int> ExecInContainer(const StateStore& store, const ExecOptions& opts, Logger& log) {
  ASSIGN_OR_RETURN(ContainerState state, store.Load(opts.id));
  ContainerStatus status = ComputeStatus(store, state);
  if (status == ContainerStatus::kStopped)
    return absl::FailedPreconditionError("cannot exec in a stopped container");
  if (status == ContainerStatus::kPaused && !opts.ignore_paused)
    return absl::FailedPreconditionError("cannot exec in a paused container");
  if (!opts.cgroups.empty()) {
    ASSIGN_OR_RETURN(state.cgroup_paths, SubCgroupPaths(state.cgroup_paths, opts.cgroups));
  }
  auto spec = ParseSpec(state.config.dump());
  if (!spec.ok()) return Annotate(spec.status(), "container config");
  ASSIGN_OR_RETURN(Process process, BuildProcess(*spec, opts));

  std::optional<TtyProxy> proxy;
  UniqueFd console;
  if (process.terminal) {
    if (!opts.console_socket.empty()) {
      ASSIGN_OR_RETURN(console, ConnectUnixSocket(opts.console_socket));
    } else if (opts.detach) {
      return absl::InvalidArgumentError(
          "cannot allocate tty if runc will detach without setting console socket");
    } else {
      ASSIGN_OR_RETURN(proxy, TtyProxy::Create());
    }
  } else if (!opts.console_socket.empty()) {
    return absl::InvalidArgumentError(
        "cannot use console socket if runc will not detach or allocate tty");
  }
  int console_fd = proxy ? proxy->container_end() : console.get();

  ASSIGN_OR_RETURN(auto channels, SyncChannel::Pair());
  channels.second.set_debug(opts.debug);
  channels.first.set_log_sink(&log);
  pid_t child = fork();
  if (child < 0) return ErrnoStatus("fork", "exec");
  if (child == 0) {
    channels.first.Close();
    RunExecChild(state, process, spec->linux.seccomp, channels.second, console_fd,
                 opts.preserve_fds);
  }
  channels.second.Close();
  console.reset();
  if (proxy) proxy->CloseContainerEnd();

  pid_t pid = 0;
  absl::Status failure;
  for (;;) {
    auto m = channels.first.Receive();
    if (!m.ok()) {
      if (m.status().code() != absl::StatusCode::kUnavailable) failure = m.status();
      break;
    }
    if (m->type == SyncType::kInitPid) pid = static_cast<pid_t>(m->value);
  }
  waitpid(child, nullptr, 0);
  if (!failure.ok()) {
    if (pid > 0) waitpid(pid, nullptr, 0);
    return failure;
  }
  if (pid <= 0) return absl::InternalError("exec: the process was not started");
  log.Debug(absl::StrCat("exec process is pid ", pid));
  if (!opts.pid_file.empty()) RETURN_IF_ERROR(WriteFileAtomic(opts.pid_file, std::to_string(pid)));
  if (opts.detach) return 0;
  if (proxy) {
    RETURN_IF_ERROR(proxy->ReceiveMaster());
    return proxy->Run(pid);
  }
  return WaitForwardingSignals(pid);
}

}  // namespace berth::runtime
