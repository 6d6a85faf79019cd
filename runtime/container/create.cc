#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/status.h"
#include "runtime/cgroups/manager.h"
#include "runtime/console.h"
#include "runtime/container/container.h"
#include "runtime/hooks.h"
#include "runtime/namespaces.h"
#include "runtime/process/clone.h"
#include "runtime/process/init.h"
#include "runtime/rootfs/mounts.h"
#include "runtime/spec/validate.h"

namespace berth::runtime {
namespace {

struct LoadedBundle {
  std::string bundle;  // absolute
  std::string rootfs;  // absolute
  nlohmann::json config;
  Spec spec;
};

absl::StatusOr<LoadedBundle> LoadBundle(const std::string& bundle_arg) {
  LoadedBundle b;
  char buf[PATH_MAX];
  std::string bundle = bundle_arg.empty() ? "." : bundle_arg;
  if (realpath(bundle.c_str(), buf) == nullptr) return ErrnoStatus("bundle", bundle);
  b.bundle = buf;
  std::string path = b.bundle + "/config.json";
  auto text = ReadFile(path);
  if (!text.ok()) {
    if (text.status().code() == absl::StatusCode::kNotFound) {
      return absl::NotFoundError(absl::StrCat("JSON specification file ", path, " not found"));
    }
    return text.status();
  }
  auto spec = ParseSpec(*text);
  if (!spec.ok()) return Annotate(spec.status(), path);
  b.spec = std::move(*spec);
  RETURN_IF_ERROR(Annotate(ValidateSpec(b.spec, {b.bundle, true}), path));
  b.config = nlohmann::json::parse(*text);
  b.rootfs = b.spec.root.path[0] == '/' ? b.spec.root.path : b.bundle + "/" + b.spec.root.path;
  if (realpath(b.rootfs.c_str(), buf) != nullptr) b.rootfs = buf;
  return b;
}

// Stage 1: joins and unshares namespaces, then clones the init as a sibling
// (CLONE_PARENT: the runtime is its parent) and exits. See sync.h.
[[noreturn]] void RunStage1(const Spec& spec, SyncChannel& sync, const InitConfig& init,
                            CgroupManager& cgroup) {
  auto fail = [&](const absl::Status& st) {
    (void)sync.SendError(st);
    _exit(1);
  };
  sync.SendDebug("stage-1", "=> nsexec container setup (join cgroups, namespaces)");
  // First, while /sys/fs/cgroup is still the host's: the init inherits these.
  if (absl::Status st = cgroup.JoinSelfV1(); !st.ok()) fail(st);
  // In a user namespace we may no longer write to the host's cgroup tree
  // (clone3 says EACCES): join the v2 cgroup now, the slow way.
  int clone_cgroup_fd = init.cgroup_v2_fd;
  if (spec.HasNamespace(NsType::kUser) && clone_cgroup_fd >= 0) {
    if (absl::Status st = JoinCgroupV2(clone_cgroup_fd); !st.ok()) fail(st);
    clone_cgroup_fd = -1;
  }
  if (absl::Status st = JoinNamespaces(spec); !st.ok()) fail(st);
  int flags = NewNamespaceFlags(spec);
  if (flags & CLONE_NEWUSER) {
    if (unshare(CLONE_NEWUSER) != 0) fail(ErrnoStatus("unshare", "user namespace"));
    if (absl::Status st = sync.Send(SyncType::kNeedIdMaps); !st.ok()) fail(st);
    if (auto m = sync.Expect(SyncType::kIdMapsDone); !m.ok()) _exit(1);
    if (setresgid(0, 0, 0) != 0 || setresuid(0, 0, 0) != 0) {
      fail(ErrnoStatus("setresuid", "root of the new user namespace (is uid/gid 0 mapped?)"));
    }
  }
  // The cgroup namespace is made by the init, once it is in its cgroup.
  int rest = flags & ~(CLONE_NEWUSER | CLONE_NEWCGROUP);
  if (rest != 0 && unshare(rest) != 0) fail(ErrnoStatus("unshare", "container namespaces"));
  if (absl::Status st = WriteTimeOffsets(spec); !st.ok()) fail(st);
  sync.SendDebug("stage-1", "namespaces unshared (except cgroupns); spawn init");
  auto pid = CloneSibling(clone_cgroup_fd);
  if (!pid.ok()) fail(pid.status());
  if (*pid == 0) RunContainerInit(init);
  (void)sync.Send(SyncType::kInitPid, *pid);
  _exit(0);
}

nlohmann::json HookState(const std::string& id, pid_t pid, const LoadedBundle& b,
                         const char* status) {
  nlohmann::json j = {{"ociVersion", b.spec.oci_version},
                      {"id", id},
                      {"status", status},
                      {"pid", pid},
                      {"bundle", b.bundle}};
  if (!b.spec.annotations.empty()) j["annotations"] = b.spec.annotations;
  return j;
}

// The host uid/gid that the container's root maps to (ours without a
// user namespace).
std::pair<uid_t, gid_t> HostRootIds(const Spec& spec) {
  uid_t uid = geteuid();
  gid_t gid = getegid();
  for (const auto& m : spec.linux.uid_mappings) {
    if (m.container_id == 0 && m.size > 0) uid = m.host_id;
  }
  for (const auto& m : spec.linux.gid_mappings) {
    if (m.container_id == 0 && m.size > 0) gid = m.host_id;
  }
  return {uid, gid};
}

// apparmorProfile / selinuxLabel: applied only where the host has the LSM;
// this runtime applies neither yet, so say so rather than pretend (runc
// ignores them silently where the LSM is absent).
void WarnUnsupportedLsm(const Process& p, Logger& log) {
  if (!p.apparmor_profile.empty()) {
    log.Warn(absl::StrCat("process.apparmorProfile \"", p.apparmor_profile,
                          "\" ignored: AppArmor is not applied by this runtime"));
  }
  if (!p.selinux_label.empty()) {
    log.Warn(absl::StrCat("process.selinuxLabel \"", p.selinux_label,
                          "\" ignored: SELinux is not applied by this runtime"));
  }
}

// Before anything is made: a frozen cgroup would freeze the init halfway
// (refused), a non-empty one is shared with other processes (a warning),
// as runc does.
absl::Status CheckExistingCgroup(const CgroupManager& cgroup, Logger& log) {
  ASSIGN_OR_RETURN(bool frozen, cgroup.Frozen());
  if (frozen) {
    return absl::FailedPreconditionError(
        "container's cgroup unexpectedly frozen (thaw it or choose another cgroupsPath)");
  }
  auto pids = cgroup.Pids();
  if (pids.ok() && !pids->empty()) {
    log.Warn(absl::StrCat("container's cgroup is not empty: ", pids->size(), " process(es) found"));
  }
  return absl::OkStatus();
}

// With a user namespace, the container's root may not be able to reach a
// bind-mount source by path (a 0700 directory of the host's): clone each
// one now, with our credentials, as a detached mount the init attaches
// (it inherits the fds). Without open_tree (Linux < 5.2) the init binds by
// path, as before.
absl::StatusOr<std::vector<UniqueFd>> OpenBindSources(const Spec& spec,
                                                      std::map<size_t, int>* by_index) {
  std::vector<UniqueFd> fds;
  if (!spec.HasNamespace(NsType::kUser)) return fds;
  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    const Mount& m = spec.mounts[i];
    if (m.type != "bind" && !ParseMountOptions(m.options).bind()) continue;
    unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
                     ((ParseMountOptions(m.options).flags & MS_REC) ? AT_RECURSIVE : 0);
    UniqueFd fd(static_cast<int>(syscall(SYS_open_tree, AT_FDCWD, m.source.c_str(), flags)));
    if (!fd) continue;  // the init binds by path, and reports a missing source
    (*by_index)[i] = fd.get();
    fds.push_back(std::move(fd));
  }
  return fds;
}

}  // namespace

absl::StatusOr<pid_t> CreateContainer(const StateStore& store, const CreateOptions& opts,
                                      Logger& log) {
  ASSIGN_OR_RETURN(LoadedBundle b, LoadBundle(opts.bundle));
  const Spec& spec = b.spec;
  const bool have_console = !opts.console_socket.empty() || opts.console_fd >= 0;
  if (spec.process->terminal && !have_console) {
    return absl::InvalidArgumentError(
        "cannot allocate tty if runc will detach without setting console socket");
  }
  if (!spec.process->terminal && have_console) {
    return absl::InvalidArgumentError(
        "cannot use console socket if runc will not detach or allocate tty");
  }
  ASSIGN_OR_RETURN(Resources resources, ParseResources(spec.linux.resources));
  WarnUnsupportedLsm(*spec.process, log);
  ASSIGN_OR_RETURN(CgroupLayout layout, DetectCgroupLayout());
  std::unique_ptr<CgroupManager> cgroup =
      NewCgroupManager(layout, spec.linux.cgroups_path, opts.id);
  RETURN_IF_ERROR(store.Reserve(opts.id));

  // Until the end, any failure undoes everything done so far.
  pid_t init_pid = 0;
  bool ok = false;
  bool cgroup_made = false;
  absl::Cleanup undo = [&] {
    if (ok) return;
    if (init_pid > 0) {
      kill(init_pid, SIGKILL);
      waitpid(init_pid, nullptr, 0);
    }
    if (cgroup_made) (void)cgroup->Destroy();
    (void)store.Remove(opts.id);
  };
  RETURN_IF_ERROR(CheckExistingCgroup(*cgroup, log));

  std::string fifo = store.FifoPath(opts.id);
  if (mkfifo(fifo.c_str(), 0622) != 0 || chmod(fifo.c_str(), 0622) != 0) {
    return ErrnoStatus("mkfifo", fifo);
  }
  // The init opens it as the container's root, which a user namespace maps.
  auto [root_uid, root_gid] = HostRootIds(spec);
  if (chown(fifo.c_str(), root_uid, root_gid) != 0) return ErrnoStatus("chown", fifo);
  UniqueFd fifo_fd(open(fifo.c_str(), O_PATH | O_CLOEXEC));
  if (!fifo_fd) return ErrnoStatus("open", fifo);

  // The directories exist before the init starts: it is born in them and
  // may bind-mount them.
  cgroup_made = true;
  if (absl::Status st = cgroup->Create(); !st.ok()) {
    // Rootless: without a delegated cgroup there is none to use, as with runc.
    if (geteuid() == 0 || st.code() != absl::StatusCode::kPermissionDenied) return st;
    log.Warn(absl::StrCat("rootless: no cgroup for the container (", st.message(), ")"));
    cgroup = CgroupManagerFromPaths(layout.mode, {});
  }
  RETURN_IF_ERROR(Annotate(cgroup->Set(resources, &log), "linux.resources"));
  UniqueFd cgroup_v2;
  if (std::string v2 = cgroup->V2Path(); !v2.empty()) {
    cgroup_v2.reset(open(v2.c_str(), O_DIRECTORY | O_PATH | O_CLOEXEC));
    if (!cgroup_v2) return ErrnoStatus("open", v2);
  }

  UniqueFd console;
  if (!opts.console_socket.empty()) {
    ASSIGN_OR_RETURN(console, ConnectUnixSocket(opts.console_socket));
  }
  ASSIGN_OR_RETURN(auto channels, SyncChannel::Pair());
  SyncChannel& parent = channels.first;
  SyncChannel& child = channels.second;
  child.set_debug(opts.debug);
  parent.set_log_sink(&log);

  InitConfig init;
  init.spec = &spec;
  init.rootfs = b.rootfs;
  init.sync = &child;
  init.console_socket = console ? console.get() : opts.console_fd;
  init.fifo_fd = fifo_fd.get();
  init.no_pivot = opts.no_pivot;
  init.no_new_keyring = opts.no_new_keyring;
  init.preserve_fds = opts.preserve_fds;
  init.cgroup_v2 = layout.mode == CgroupMode::kV2;
  init.cgroup_paths = cgroup->Paths();
  init.cgroup_v2_fd = cgroup_v2.get();
  ASSIGN_OR_RETURN(std::vector<UniqueFd> bind_sources,
                   OpenBindSources(spec, &init.mount_source_fds));
  pid_t stage1 = fork();
  if (stage1 < 0) return ErrnoStatus("fork", "stage 1");
  if (stage1 == 0) {
    parent.Close();
    RunStage1(spec, child, init, *cgroup);
  }
  child.Close();
  console.reset();
  bind_sources.clear();
  log.Debug(absl::StrCat("stage 1 is pid ", stage1));

  // Stage 1: id maps, then the init's pid. The init writes to the same
  // socket and may be quicker than stage 1: its "run hooks" can come first.
  bool hooks_requested = false;
  for (;;) {
    auto m = parent.Receive();
    if (!m.ok()) {
      waitpid(stage1, nullptr, 0);
      if (m.status().code() == absl::StatusCode::kUnavailable) {
        return absl::InternalError(
            "container set-up: stage 1 exited before reporting the init pid");
      }
      return m.status();
    }
    if (m->type == SyncType::kNeedIdMaps) {
      if (absl::Status st = WriteIdMappings(stage1, spec); !st.ok()) {
        kill(stage1, SIGKILL);
        waitpid(stage1, nullptr, 0);
        return st;
      }
      RETURN_IF_ERROR(parent.Send(SyncType::kIdMapsDone));
    } else if (m->type == SyncType::kRunHooks) {
      hooks_requested = true;
    } else if (m->type == SyncType::kInitPid) {
      init_pid = static_cast<pid_t>(m->value);
      break;
    }
  }
  waitpid(stage1, nullptr, 0);

  cgroup_v2.reset();

  if (!hooks_requested) RETURN_IF_ERROR(parent.Expect(SyncType::kRunHooks).status());
  std::string hook_state = HookState(opts.id, init_pid, b, "creating").dump();
  RETURN_IF_ERROR(RunHooks(spec.hooks.prestart, "prestart", hook_state));
  RETURN_IF_ERROR(RunHooks(spec.hooks.create_runtime, "createRuntime", hook_state));
  RETURN_IF_ERROR(parent.Send(SyncType::kHooksDone, 0, hook_state));
  RETURN_IF_ERROR(parent.Expect(SyncType::kReady).status());

  ContainerState state;
  state.id = opts.id;
  state.pid = init_pid;
  state.start_time = ProcessStartTime(init_pid);
  state.bundle = b.bundle;
  state.rootfs = b.rootfs;
  state.created = NowRfc3339Nano();
  state.cgroup_mode = cgroup->mode();
  state.cgroup_paths = cgroup->Paths();
  state.config = std::move(b.config);
  RETURN_IF_ERROR(store.Save(state));
  if (!opts.pid_file.empty()) {
    RETURN_IF_ERROR(WriteFileAtomic(opts.pid_file, std::to_string(init_pid), 0644));
  }
  ok = true;
  return init_pid;
}

}  // namespace berth::runtime
