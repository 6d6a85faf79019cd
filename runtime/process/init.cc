#include "runtime/process/init.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/file_util.h"
#include "common/status.h"
#include "runtime/capabilities.h"
#include "runtime/cgroups/manager.h"
#include "runtime/console.h"
#include "runtime/hooks.h"
#include "runtime/os/syscalls.h"
#include "runtime/rootfs/mounts.h"
#include "runtime/seccomp/seccomp.h"

namespace berth::runtime {
namespace {

absl::Status ApplyRlimits(const Process& p) {
  for (const Rlimit& r : p.rlimits) {
    struct rlimit lim {
      r.soft, r.hard
    };
    if (setrlimit(r.resource, &lim) != 0) {
      int err = errno;
      struct rlimit cur {};
      getrlimit(r.resource, &cur);
      if (err == EPERM && r.hard > cur.rlim_max) {
        return absl::PermissionDeniedError(
            absl::StrCat("process.rlimits: cannot raise the hard limit of ", r.type, " to ", r.hard,
                         " (now ", cur.rlim_max, "): the runtime lacks CAP_SYS_RESOURCE"));
      }
      return ErrnoStatus(err,
                         absl::StrCat("setrlimit ", r.type, " soft=", r.soft, " hard=", r.hard));
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyOomScoreAdj(const Process& p) {
  if (!p.oom_score_adj) return absl::OkStatus();
  return Annotate(WriteFile("/proc/self/oom_score_adj", std::to_string(*p.oom_score_adj)),
                  "process.oomScoreAdj");
}

absl::Status JoinSessionKeyring() {
  // A fresh session keyring, so containers don't share the caller's keys.
  if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, nullptr) < 0 && errno != ENOSYS) {
    return ErrnoStatus("keyctl(JOIN_SESSION_KEYRING)");
  }
  return absl::OkStatus();
}

absl::Status ApplySysctl(Syscalls& sys, const Spec& spec) {
  for (const auto& [key, value] : spec.linux.sysctl) {
    std::string path = "/proc/sys/" + key;
    std::replace(path.begin() + 10, path.end(), '.', '/');
    RETURN_IF_ERROR(Annotate(sys.WriteFile(path, value), absl::StrCat("linux.sysctl ", key)));
  }
  return absl::OkStatus();
}

RootfsConfig MakeRootfsConfig(const InitConfig& c) {
  RootfsConfig rc;
  rc.rootfs = c.rootfs;
  rc.in_user_namespace = c.spec->HasNamespace(NsType::kUser);
  rc.cgroup_namespace = c.spec->HasNamespace(NsType::kCgroup);
  rc.cgroup_v2 = c.cgroup_v2;
  rc.cgroup_paths = c.cgroup_paths;
  rc.mount_source_fds = c.mount_source_fds;
  return rc;
}

// Everything between "cgroup joined" and "ready", in order.
absl::Status SetUpContainer(const InitConfig& c, std::string* state_json) {
  const Spec& spec = *c.spec;
  const Process& proc = *spec.process;
  LinuxSyscalls sys;

  if (setsid() < 0) return ErrnoStatus("setsid");
  umask(0);  // device nodes and mount points get exactly their modes
  // We were born in the container's cgroups; a new cgroup namespace made
  // now has the container's cgroup as its root.
  const Namespace* cgroupns = spec.FindNamespace(NsType::kCgroup);
  if (cgroupns != nullptr && cgroupns->path.empty() && unshare(CLONE_NEWCGROUP) != 0) {
    return ErrnoStatus("unshare", "cgroup namespace");
  }
  RETURN_IF_ERROR(Annotate(PrepareRootfs(sys, spec, MakeRootfsConfig(c)), "prepare rootfs"));

  RETURN_IF_ERROR(c.sync->Send(SyncType::kRunHooks));
  ASSIGN_OR_RETURN(SyncMessage done, c.sync->Expect(SyncType::kHooksDone));
  *state_json = done.text;
  // createContainer hooks: in the container's namespaces, before pivot_root,
  // in the rootfs (runc's cwd for them; EnterRootfs starts there anyway).
  RETURN_IF_ERROR(sys.Chdir(c.rootfs));
  RETURN_IF_ERROR(RunHooks(spec.hooks.create_container, "createContainer", *state_json));

  std::vector<std::string> host_pseudo;
  if (c.no_pivot) {
    ASSIGN_OR_RETURN(std::string mountinfo, ReadFile("/proc/self/mountinfo"));
    host_pseudo = HostPseudoMounts(mountinfo, c.rootfs);
  }
  RETURN_IF_ERROR(Annotate(EnterRootfs(sys, c.rootfs, c.no_pivot, host_pseudo), "enter rootfs"));

  if (proc.terminal) {
    if (c.console_socket < 0)
      return absl::InvalidArgumentError("process.terminal is true but there is no console socket");
    ASSIGN_OR_RETURN(UniqueFd slave, SetupConsole(c.console_socket, proc.console_size, true));
    RETURN_IF_ERROR(AttachTerminal(slave.get()));
    close(c.console_socket);
  }
  if (!spec.hostname.empty()) RETURN_IF_ERROR(sys.Sethostname(spec.hostname));
  if (!spec.domainname.empty()) RETURN_IF_ERROR(sys.Setdomainname(spec.domainname));
  RETURN_IF_ERROR(ApplySysctl(sys, spec));
  RETURN_IF_ERROR(Annotate(FinalizeRootfs(sys, spec), "finalize rootfs"));
  RETURN_IF_ERROR(ApplyRlimits(proc));
  RETURN_IF_ERROR(ApplyOomScoreAdj(proc));
  if (!c.no_new_keyring) RETURN_IF_ERROR(JoinSessionKeyring());
  return absl::OkStatus();
}

// Blocks until `start` opens the fifo for reading (see state.h).
// Returns the fifo's write end: kept open (close-on-exec) until execve, so
// that `start` sees EOF only once the user process runs.
absl::StatusOr<UniqueFd> WaitForStart(int fifo_fd) {
  std::string path = absl::StrCat("/proc/self/fd/", fifo_fd);
  UniqueFd fd(RetryEintr([&] { return open(path.c_str(), O_WRONLY | O_CLOEXEC); }));
  if (!fd) return ErrnoStatus("open exec fifo", path);
  if (RetryEintr([&] { return write(fd.get(), "0", 1); }) != 1)
    return ErrnoStatus("write exec fifo", path);
  close(fifo_fd);
  return fd;
}

// The process's terminal (our pty's slave, on stdin) is handed to its user,
// so that a non-root process can use it; the group stays the one devpts
// gave it (gid=5 "tty" in the usual config), as runc does.
absl::Status ChownTerminal(const Process& p) {
  if (!p.terminal || !isatty(STDIN_FILENO)) return absl::OkStatus();
  if (fchown(STDIN_FILENO, p.user.uid, static_cast<gid_t>(-1)) != 0 && errno != EINVAL &&
      errno != EPERM) {
    // EINVAL/EPERM: the uid or the pty's owner is not mapped in our user
    // namespace; nothing we can change then.
    return ErrnoStatus("fchown terminal", absl::StrCat("process.user.uid ", p.user.uid));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> LookPath(const Process& p) {
  const std::string& name = p.args.at(0);
  auto executable = [](const std::string& path) {
    struct stat st;
    return stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111) != 0;
  };
  if (name.find('/') != std::string::npos) {
    if (executable(name)) return name;
    return absl::NotFoundError(
        absl::StrCat("exec: \"", name, "\": stat ", name, ": no such file or directory"));
  }
  std::string path_env;
  for (const auto& e : p.env) {
    if (absl::StartsWith(e, "PATH=")) path_env = e.substr(5);
  }
  for (absl::string_view dir : absl::StrSplit(path_env, ':')) {
    std::string candidate = absl::StrCat(dir.empty() ? "." : dir, "/", name);
    if (executable(candidate)) return candidate;
  }
  return absl::NotFoundError(
      absl::StrCat("exec: \"", name, "\": executable file not found in $PATH"));
}

void EnsureHome(Process& p) {
  for (const auto& e : p.env) {
    if (absl::StartsWith(e, "HOME=")) return;
  }
  std::string home = "/";
  auto passwd = ReadFile("/etc/passwd");
  if (passwd.ok()) {
    for (absl::string_view line : absl::StrSplit(*passwd, '\n')) {
      // name:password:uid:gid:gecos:home:shell
      std::vector<absl::string_view> f = absl::StrSplit(line, ':');
      uint32_t uid;
      if (f.size() >= 6 && absl::SimpleAtoi(f[2], &uid) && uid == p.user.uid) {
        home = std::string(f[5]);
        break;
      }
    }
  }
  p.env.push_back("HOME=" + home);
}

absl::Status ApplyProcessIdentity(const Process& p, SeccompFilter* seccomp,
                                  const std::string& state_json) {
  if (seccomp != nullptr && !p.no_new_privileges) RETURN_IF_ERROR(seccomp->Load(state_json));
  std::optional<CapSets> caps;
  if (p.capabilities) {
    ASSIGN_OR_RETURN(caps, ResolveCapabilities(*p.capabilities));
    RETURN_IF_ERROR(ApplyBoundingSet(*caps));
  }
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return ErrnoStatus("prctl(PR_SET_KEEPCAPS)");
  std::vector<gid_t> groups(p.user.additional_gids.begin(), p.user.additional_gids.end());
  if (setgroups(groups.size(), groups.data()) != 0 && !(errno == EPERM && groups.empty())) {
    return ErrnoStatus("setgroups", "process.user.additionalGids");
  }
  RETURN_IF_ERROR(ChownTerminal(p));
  if (setresgid(p.user.gid, p.user.gid, p.user.gid) != 0) {
    return ErrnoStatus("setresgid", absl::StrCat("process.user.gid ", p.user.gid));
  }
  if (setresuid(p.user.uid, p.user.uid, p.user.uid) != 0) {
    return ErrnoStatus("setresuid", absl::StrCat("process.user.uid ", p.user.uid));
  }
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) != 0) return ErrnoStatus("prctl(PR_SET_KEEPCAPS)");
  if (caps) RETURN_IF_ERROR(ApplyCapabilities(*caps));
  if (p.no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    return ErrnoStatus("prctl(PR_SET_NO_NEW_PRIVS)");
  }
  umask(p.user.umask.value_or(022));
  return absl::OkStatus();
}

absl::Status CloseExtraFds(int preserve_fds) {
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) return absl::OkStatus();
  int dir_fd = dirfd(d);
  while (struct dirent* e = readdir(d)) {
    int fd = atoi(e->d_name);
    if (e->d_name[0] == '.' || fd <= 2 + preserve_fds || fd == dir_fd) continue;
    fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  closedir(d);
  return absl::OkStatus();
}

absl::Status ExecProcess(const FinalProcess& fp) {
  const Process& p = *fp.process;
  if (fp.seccomp != nullptr && p.no_new_privileges)
    RETURN_IF_ERROR(fp.seccomp->Load(fp.state_json));
  std::vector<char*> argv, envp;
  for (const auto& a : p.args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (const auto& e : p.env) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  execve(fp.exec_path.c_str(), argv.data(), envp.data());
  return ErrnoStatus("exec", fp.exec_path);
}

void RunContainerInit(const InitConfig& c) {
  const Spec& spec = *c.spec;
  Process proc = *spec.process;
  auto fail = [&](const absl::Status& st) {
    (void)c.sync->SendError(st);
    _exit(1);
  };
  c.sync->SendDebug("init", "child process in init()");
  std::string state_json;
  if (absl::Status st = SetUpContainer(c, &state_json); !st.ok()) fail(st);

  EnsureHome(proc);
  // Resolve args[0] and enter cwd now, so `create` reports these errors.
  if (chdir(proc.cwd.c_str()) != 0) fail(ErrnoStatus("chdir to cwd", proc.cwd));
  auto exec_path = LookPath(proc);
  if (!exec_path.ok()) fail(exec_path.status());
  auto seccomp = CompileSeccomp(spec.linux.seccomp);
  if (!seccomp.ok()) fail(seccomp.status());

  c.sync->SendDebug("init", "init: closing the pipe to signal completion");
  if (absl::Status st = c.sync->Send(SyncType::kReady); !st.ok()) _exit(1);
  c.sync->Close();

  // From here on errors go to the container's stderr: nobody waits on sync.
  auto die = [](const absl::Status& st) {
    dprintf(2, "berth-runtime init: %s\n", std::string(st.message()).c_str());
    _exit(255);
  };
  auto started = WaitForStart(c.fifo_fd);
  if (!started.ok()) die(started.status());
  // As runc: startContainer hooks run as the process will, after the
  // identity change and under its seccomp filter.
  if (absl::Status st = ApplyProcessIdentity(proc, seccomp->get(), state_json); !st.ok()) die(st);
  if (*seccomp != nullptr && proc.no_new_privileges) {
    if (absl::Status st = (*seccomp)->Load(state_json); !st.ok()) die(st);
  }
  if (absl::Status s = RunHooks(spec.hooks.start_container, "startContainer", state_json); !s.ok())
    die(s);
  (void)CloseExtraFds(c.preserve_fds);
  (void)started->release();  // closed by execve (O_CLOEXEC), which `start` waits for
  die(ExecProcess({&proc, *exec_path, nullptr, state_json}));
  _exit(255);
}

}  // namespace berth::runtime
