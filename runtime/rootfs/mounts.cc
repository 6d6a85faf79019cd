#include "runtime/rootfs/mounts.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status.h"

namespace berth::runtime {
namespace {

struct FlagOption {
  bool clear;
  unsigned long flag;
};

const std::map<std::string, FlagOption>& FlagOptions() {
  static const std::map<std::string, FlagOption> kTable = {
      {"async", {true, MS_SYNCHRONOUS}},
      {"atime", {true, MS_NOATIME}},
      {"bind", {false, MS_BIND}},
      {"defaults", {false, 0}},
      {"dev", {true, MS_NODEV}},
      {"diratime", {true, MS_NODIRATIME}},
      {"dirsync", {false, MS_DIRSYNC}},
      {"exec", {true, MS_NOEXEC}},
      {"lazytime", {false, MS_LAZYTIME}},
      {"mand", {false, MS_MANDLOCK}},
      {"noatime", {false, MS_NOATIME}},
      {"nodev", {false, MS_NODEV}},
      {"nodiratime", {false, MS_NODIRATIME}},
      {"noexec", {false, MS_NOEXEC}},
      {"nolazytime", {true, MS_LAZYTIME}},
      {"nomand", {true, MS_MANDLOCK}},
      {"norelatime", {true, MS_RELATIME}},
      {"nostrictatime", {true, MS_STRICTATIME}},
      {"nosuid", {false, MS_NOSUID}},
      {"rbind", {false, MS_BIND | MS_REC}},
      {"relatime", {false, MS_RELATIME}},
      {"remount", {false, MS_REMOUNT}},
      {"ro", {false, MS_RDONLY}},
      {"rw", {true, MS_RDONLY}},
      {"strictatime", {false, MS_STRICTATIME}},
      {"suid", {true, MS_NOSUID}},
      {"sync", {false, MS_SYNCHRONOUS}},
  };
  return kTable;
}

const std::map<std::string, unsigned long>& PropagationOptions() {
  static const std::map<std::string, unsigned long> kTable = {
      {"private", MS_PRIVATE},       {"rprivate", MS_PRIVATE | MS_REC},
      {"shared", MS_SHARED},         {"rshared", MS_SHARED | MS_REC},
      {"slave", MS_SLAVE},           {"rslave", MS_SLAVE | MS_REC},
      {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
  };
  return kTable;
}

// Flags a bind remount may change; the rest come from the mount itself.
constexpr unsigned long kRemountable = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_NOATIME |
                                       MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME;

// mkdir -p of an already secure-joined path, below root.
absl::Status MkdirAllUnder(Syscalls& sys, const std::string& root, const std::string& path) {
  std::string cur = root;
  absl::string_view rest = absl::string_view(path).substr(root.size());
  for (absl::string_view part : absl::StrSplit(rest, '/', absl::SkipEmpty())) {
    absl::StrAppend(&cur, "/", part);
    RETURN_IF_ERROR(sys.Mkdir(cur, 0755));
  }
  return absl::OkStatus();
}

// Remounts a bind mount with new flags, keeping what the kernel locks (a
// user namespace cannot clear nosuid/nodev/noexec/ro set by its parent).
absl::Status RemountBind(Syscalls& sys, const std::string& target, unsigned long flags) {
  unsigned long want = MS_BIND | MS_REMOUNT | (flags & kRemountable);
  absl::Status st = sys.Mount("", target, "", want, "");
  if (st.code() == absl::StatusCode::kPermissionDenied) {
    unsigned long locked =
        sys.MountFlagsOf(target) & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY);
    if ((want | locked) != want) st = sys.Mount("", target, "", want | locked, "");
  }
  return st;
}

// A fresh cgroup mount shows the container's own cgroup as root only inside
// a cgroup namespace, and a user namespace may not make one at all; then
// the container's own directory on the host is bind-mounted instead (runc's
// way), so the container never sees the host's tree.
absl::Status MountCgroup(Syscalls& sys, const std::string& dest, const MountOptions& opts,
                         const RootfsConfig& config) {
  unsigned long flags = opts.flags & ~(MS_REMOUNT | MS_BIND | MS_REC);
  const bool fresh = config.cgroup_namespace && !config.in_user_namespace;
  auto bind = [&](const std::string& host_dir, const std::string& target) -> absl::Status {
    RETURN_IF_ERROR(sys.Mount(host_dir, target, "", MS_BIND, ""));
    return RemountBind(sys, target, flags);
  };
  if (config.cgroup_v2) {
    if (fresh) return sys.Mount("cgroup2", dest, "cgroup2", flags, "");
    auto it = config.cgroup_paths.find("");
    if (it == config.cgroup_paths.end()) return sys.Mount("cgroup2", dest, "cgroup2", flags, "");
    return bind(it->second, dest);
  }
  // cgroup v1: a tmpfs with one directory per hierarchy, as runc lays it out.
  RETURN_IF_ERROR(sys.Mount("tmpfs", dest, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755"));
  for (const auto& [h, host_dir] : config.cgroup_paths) {
    if (h.empty() || h == "unified") continue;
    const bool named = absl::StartsWith(h, "name=");
    std::string sub = absl::StrCat(dest, "/", named ? h.substr(5) : h);
    RETURN_IF_ERROR(sys.Mkdir(sub, 0755));
    if (fresh) {
      RETURN_IF_ERROR(
          sys.Mount("cgroup", sub, "cgroup", flags, named ? absl::StrCat("none,", h) : h));
    } else {
      RETURN_IF_ERROR(bind(host_dir, sub));
    }
    // "cpu,cpuacct" is also reachable as "cpu" and "cpuacct".
    if (!named && h.find(',') != std::string::npos) {
      for (absl::string_view c : absl::StrSplit(h, ',')) {
        RETURN_IF_ERROR(sys.Symlink(h, absl::StrCat(dest, "/", c)));
      }
    }
  }
  if (flags & MS_RDONLY) return RemountBind(sys, dest, flags);
  return absl::OkStatus();
}

bool IsDev(const std::string& destination) { return absl::StripSuffix(destination, "/") == "/dev"; }

absl::Status MountOne(Syscalls& sys, const Mount& m, const RootfsConfig& config, int source_fd) {
  // A detached clone of the source, made by the runtime: stat it through fd.
  const std::string source = source_fd >= 0 ? absl::StrCat("/proc/self/fd/", source_fd) : m.source;
  MountOptions opts = ParseMountOptions(m.options);
  if (m.type == "proc" || m.type == "sysfs") {
    // Never mount these through a symlink (or onto a file): the target
    // could be swapped to point anywhere (runc's rule, same message).
    FileKind kind = sys.Lstat(config.rootfs + "/" + m.destination);
    if (kind != FileKind::kMissing && kind != FileKind::kDirectory) {
      return absl::FailedPreconditionError(
          absl::StrCat("mounts: ", m.destination, ": filesystem \"", m.type,
                       "\" must be mounted on ordinary directory (it is not a directory)"));
    }
  }
  ASSIGN_OR_RETURN(std::string dest, SecureJoin(sys, config.rootfs, m.destination));
  const bool bind = opts.bind() || m.type == "bind";

  // The mount point: a file for a bind mount of a file, else a directory.
  bool file_target =
      bind && sys.Stat(source) != FileKind::kDirectory && sys.Stat(source) != FileKind::kMissing;
  std::string parent = dest.substr(0, dest.rfind('/'));
  if (parent.size() >= config.rootfs.size())
    RETURN_IF_ERROR(MkdirAllUnder(sys, config.rootfs, parent));
  if (file_target) {
    if (sys.Lstat(dest) == FileKind::kMissing) RETURN_IF_ERROR(sys.CreateFile(dest, 0644));
  } else {
    RETURN_IF_ERROR(sys.Mkdir(dest, 0755));
  }

  if (m.type == "cgroup") return MountCgroup(sys, dest, opts, config);

  if (bind) {
    if (sys.Stat(source) == FileKind::kMissing) {
      return absl::NotFoundError(
          absl::StrCat("mount source ", m.source, " for ", m.destination, " does not exist"));
    }
    if (source_fd >= 0) {
      RETURN_IF_ERROR(sys.MoveMount(source_fd, dest));
    } else {
      RETURN_IF_ERROR(sys.Mount(source, dest, "", MS_BIND | (opts.flags & MS_REC), ""));
    }
    if (opts.flags & kRemountable) RETURN_IF_ERROR(RemountBind(sys, dest, opts.flags));
  } else {
    unsigned long flags = opts.flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
    // A read-only /dev is mounted writable (devices, /dev/pts and the
    // symlinks go in first) and made read-only by FinalizeRootfs.
    if (IsDev(m.destination)) flags &= ~MS_RDONLY;
    absl::Status st = sys.Mount(m.source, dest, m.type, flags, opts.data);
    if (!st.ok() && m.type == "sysfs" && st.code() == absl::StatusCode::kPermissionDenied) {
      // A user namespace without its own network namespace may not mount
      // sysfs: bind the host's, read-only, as runc does.
      RETURN_IF_ERROR(sys.Mount("/sys", dest, "", MS_BIND | MS_REC, ""));
      st = RemountBind(sys, dest, flags | MS_RDONLY);
    }
    RETURN_IF_ERROR(Annotate(st, absl::StrCat("mounts: ", m.destination)));
  }
  if (opts.propagation != 0) RETURN_IF_ERROR(sys.Mount("", dest, "", opts.propagation, ""));
  return absl::OkStatus();
}

absl::Status CreateDevice(Syscalls& sys, const Device& d, const RootfsConfig& config) {
  ASSIGN_OR_RETURN(std::string dest, SecureJoin(sys, config.rootfs, d.path));
  std::string parent = dest.substr(0, dest.rfind('/'));
  RETURN_IF_ERROR(MkdirAllUnder(sys, config.rootfs, parent));
  if (config.in_user_namespace) {
    // mknod is not allowed in a user namespace: bind the host's node.
    if (sys.Lstat(dest) == FileKind::kMissing) RETURN_IF_ERROR(sys.CreateFile(dest, 0644));
    return sys.Mount(d.path, dest, "", MS_BIND, "");
  }
  mode_t type = d.type == 'b' ? S_IFBLK : d.type == 'p' ? S_IFIFO : S_IFCHR;
  mode_t mode = type | (d.file_mode.value_or(0666) & 07777);
  absl::Status st = sys.Mknod(dest, mode, makedev(d.major, d.minor));
  // An image that ships its own node keeps it, as with runc.
  if (st.code() == absl::StatusCode::kAlreadyExists) return absl::OkStatus();
  RETURN_IF_ERROR(st);
  if (d.uid || d.gid) RETURN_IF_ERROR(sys.Lchown(dest, d.uid.value_or(0), d.gid.value_or(0)));
  return absl::OkStatus();
}

bool MountsAt(const Spec& spec, const std::string& dest) {
  for (const auto& m : spec.mounts) {
    if (m.destination == dest) return true;
  }
  return false;
}

}  // namespace

bool MountOptions::bind() const { return (flags & MS_BIND) != 0; }

MountOptions ParseMountOptions(const std::vector<std::string>& options) {
  MountOptions out;
  std::vector<std::string> data;
  for (const auto& o : options) {
    if (auto it = FlagOptions().find(o); it != FlagOptions().end()) {
      if (it->second.clear) {
        out.flags &= ~it->second.flag;
      } else {
        out.flags |= it->second.flag;
      }
    } else if (auto p = PropagationOptions().find(o); p != PropagationOptions().end()) {
      out.propagation = p->second;
    } else if (o == "tmpcopyup" || o == "idmap" || o == "ridmap") {
      // Accepted and ignored (tmpcopyup is crun/runc's extension).
    } else {
      data.push_back(o);
    }
  }
  out.data = absl::StrJoin(data, ",");
  return out;
}

unsigned long ParsePropagation(const std::string& name) {
  auto it = PropagationOptions().find(name);
  return it == PropagationOptions().end() ? 0 : it->second;
}

absl::StatusOr<std::string> SecureJoin(Syscalls& sys, const std::string& root,
                                       const std::string& path) {
  // Components still to walk, consumed from the front; symlinks push theirs.
  std::vector<std::string> todo;
  for (absl::string_view p : absl::StrSplit(path, '/', absl::SkipEmpty())) todo.emplace_back(p);
  std::reverse(todo.begin(), todo.end());
  std::vector<std::string> done;
  int links = 0;
  while (!todo.empty()) {
    std::string part = std::move(todo.back());
    todo.pop_back();
    if (part == ".") continue;
    if (part == "..") {
      if (!done.empty()) done.pop_back();
      continue;
    }
    std::string full =
        absl::StrCat(root, "/", absl::StrJoin(done, "/"), done.empty() ? "" : "/", part);
    if (sys.Lstat(full) != FileKind::kSymlink) {
      done.push_back(part);
      continue;
    }
    if (++links > 255)
      return absl::InvalidArgumentError(
          absl::StrCat("resolve ", path, " in ", root, ": too many symlinks"));
    ASSIGN_OR_RETURN(std::string target, sys.Readlink(full));
    if (!target.empty() && target[0] == '/') done.clear();
    std::vector<std::string> parts = absl::StrSplit(target, '/', absl::SkipEmpty());
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) todo.push_back(*it);
  }
  return done.empty() ? root : absl::StrCat(root, "/", absl::StrJoin(done, "/"));
}

const std::vector<Device>& DefaultDevices() {
  static const std::vector<Device> kDevices = {
      {"/dev/null", 'c', 1, 3, 0666, 0, 0},    {"/dev/zero", 'c', 1, 5, 0666, 0, 0},
      {"/dev/full", 'c', 1, 7, 0666, 0, 0},    {"/dev/random", 'c', 1, 8, 0666, 0, 0},
      {"/dev/urandom", 'c', 1, 9, 0666, 0, 0}, {"/dev/tty", 'c', 5, 0, 0666, 0, 0},
  };
  return kDevices;
}

absl::Status PrepareRootfs(Syscalls& sys, const Spec& spec, const RootfsConfig& config) {
  unsigned long prop = ParsePropagation(spec.linux.rootfs_propagation);
  // Host mounts must not follow us in, nor ours leak out (unless asked).
  RETURN_IF_ERROR(sys.Mount("", "/", "", prop != 0 ? prop : MS_SLAVE | MS_REC, ""));
  RETURN_IF_ERROR(sys.Mount(config.rootfs, config.rootfs, "", MS_BIND | MS_REC, ""));

  for (size_t i = 0; i < spec.mounts.size(); ++i) {
    const Mount& m = spec.mounts[i];
    auto fd = config.mount_source_fds.find(i);
    RETURN_IF_ERROR(
        MountOne(sys, m, config, fd == config.mount_source_fds.end() ? -1 : fd->second));
  }

  // Devices: unless the whole /dev is bind-mounted from the host.
  bool dev_from_host = false;
  for (const auto& m : spec.mounts) {
    if (m.destination == "/dev" && (m.type == "bind" || ParseMountOptions(m.options).bind())) {
      dev_from_host = true;
    }
  }
  if (!dev_from_host) {
    for (const Device& d : DefaultDevices()) RETURN_IF_ERROR(CreateDevice(sys, d, config));
    for (const Device& d : spec.linux.devices) RETURN_IF_ERROR(CreateDevice(sys, d, config));
    const std::string dev = config.rootfs + "/dev";
    RETURN_IF_ERROR(sys.Mkdir(dev, 0755));
    static const std::pair<const char*, const char*> kLinks[] = {
        {"/proc/self/fd", "fd"},
        {"/proc/self/fd/0", "stdin"},
        {"/proc/self/fd/1", "stdout"},
        {"/proc/self/fd/2", "stderr"},
    };
    for (auto [target, name] : kLinks) RETURN_IF_ERROR(sys.Symlink(target, dev + "/" + name));
    if (sys.Lstat("/proc/kcore") != FileKind::kMissing) {
      RETURN_IF_ERROR(sys.Symlink("/proc/kcore", dev + "/core"));
    }
    if (MountsAt(spec, "/dev/pts")) {
      // /dev/ptmx must be the container's own devpts instance.
      if (sys.Lstat(dev + "/ptmx") == FileKind::kMissing)
        RETURN_IF_ERROR(sys.Symlink("pts/ptmx", dev + "/ptmx"));
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> HostPseudoMounts(const std::string& mountinfo, const std::string& rootfs) {
  std::vector<std::string> out;
  for (absl::string_view line : absl::StrSplit(mountinfo, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    auto dash = std::find(f.begin(), f.end(), "-");
    if (f.size() < 5 || dash == f.end() || dash + 1 == f.end()) continue;
    absl::string_view fstype = *(dash + 1);
    std::string mountpoint(f[4]);
    if (f[3] != "/" || (fstype != "proc" && fstype != "sysfs")) continue;
    if (mountpoint == rootfs || absl::StartsWith(mountpoint, rootfs + "/")) continue;
    out.push_back(mountpoint);
  }
  std::sort(out.begin(), out.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return out;
}

absl::Status EnterRootfs(Syscalls& sys, const std::string& rootfs, bool no_pivot,
                         const std::vector<std::string>& host_pseudo_mounts) {
  RETURN_IF_ERROR(sys.Chdir(rootfs));
  if (no_pivot) {
    for (const std::string& p : host_pseudo_mounts) {
      RETURN_IF_ERROR(sys.Mount("", p, "", MS_SLAVE | MS_REC, ""));  // never propagate to the host
      absl::Status st = sys.Umount2(p, MNT_DETACH);
      if (st.code() == absl::StatusCode::kInvalidArgument ||
          st.code() == absl::StatusCode::kPermissionDenied) {
        st = sys.Mount("tmpfs", p, "tmpfs", 0, "");
      }
      RETURN_IF_ERROR(Annotate(st, "--no-pivot: hide host mount"));
    }
    RETURN_IF_ERROR(sys.Mount(rootfs, "/", "", MS_MOVE, ""));
    RETURN_IF_ERROR(sys.Chroot("."));
    return sys.Chdir("/");
  }
  // pivot_root(".", ".") stacks the old root on the new one at "/"; make it
  // a slave so that detaching it cannot propagate to the host, then detach.
  RETURN_IF_ERROR(sys.PivotRoot(".", "."));
  RETURN_IF_ERROR(sys.Mount("", ".", "", MS_SLAVE | MS_REC, ""));
  RETURN_IF_ERROR(sys.Umount2(".", MNT_DETACH));
  return sys.Chdir("/");
}

absl::Status FinalizeRootfs(Syscalls& sys, const Spec& spec) {
  for (const std::string& p : spec.linux.readonly_paths) {
    FileKind kind = sys.Stat(p);
    if (kind == FileKind::kMissing) continue;
    RETURN_IF_ERROR(sys.Mount(p, p, "", MS_BIND | MS_REC, ""));
    RETURN_IF_ERROR(
        Annotate(RemountBind(sys, p, MS_RDONLY | sys.MountFlagsOf(p)), "readonlyPaths"));
  }
  for (const std::string& p : spec.linux.masked_paths) {
    FileKind kind = sys.Stat(p);
    if (kind == FileKind::kMissing) continue;
    if (kind == FileKind::kDirectory) {
      RETURN_IF_ERROR(Annotate(sys.Mount("tmpfs", p, "tmpfs", MS_RDONLY, ""), "maskedPaths"));
    } else {
      RETURN_IF_ERROR(Annotate(sys.Mount("/dev/null", p, "", MS_BIND, ""), "maskedPaths"));
    }
  }
  for (const Mount& m : spec.mounts) {
    MountOptions opts = ParseMountOptions(m.options);
    if (!IsDev(m.destination) || opts.bind() || m.type == "bind" || !(opts.flags & MS_RDONLY))
      continue;
    unsigned long flags = (opts.flags & kRemountable) | MS_REMOUNT | MS_RDONLY;
    RETURN_IF_ERROR(Annotate(sys.Mount("", "/dev", "", flags, ""), "mounts: /dev read-only"));
  }
  if (spec.root.readonly)
    RETURN_IF_ERROR(
        Annotate(RemountBind(sys, "/", MS_RDONLY | sys.MountFlagsOf("/")), "root.readonly"));
  unsigned long prop = ParsePropagation(spec.linux.rootfs_propagation);
  if (prop != 0 && (prop & (MS_SHARED | MS_UNBINDABLE | MS_PRIVATE)))
    RETURN_IF_ERROR(sys.Mount("", "/", "", prop, ""));
  return absl::OkStatus();
}

}  // namespace berth::runtime
