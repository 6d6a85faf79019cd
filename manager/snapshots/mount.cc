#include "manager/snapshots/mount.h"

#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status.h"

namespace berth::manager {
namespace {

struct FlagOption {
  const char* name;
  bool clear;
  unsigned long flag;  // NOLINT(runtime/int): mount(2)'s type
};

// man 8 mount, "FILESYSTEM-INDEPENDENT MOUNT OPTIONS".
constexpr FlagOption kFlagOptions[] = {
    {"ro", false, MS_RDONLY},        {"rw", true, MS_RDONLY},
    {"bind", false, MS_BIND},        {"rbind", false, MS_BIND | MS_REC},
    {"nosuid", false, MS_NOSUID},    {"suid", true, MS_NOSUID},
    {"nodev", false, MS_NODEV},      {"dev", true, MS_NODEV},
    {"noexec", false, MS_NOEXEC},    {"exec", true, MS_NOEXEC},
    {"noatime", false, MS_NOATIME},  {"relatime", false, MS_RELATIME},
    {"private", false, MS_PRIVATE},  {"rprivate", false, MS_PRIVATE | MS_REC},
    {"slave", false, MS_SLAVE},      {"rslave", false, MS_SLAVE | MS_REC},
    {"sync", false, MS_SYNCHRONOUS}, {"dirsync", false, MS_DIRSYNC},
    {"defaults", false, 0},
};

constexpr unsigned long kPropagation =  // NOLINT(runtime/int)
    MS_PRIVATE | MS_SLAVE | MS_SHARED | MS_UNBINDABLE;

struct ParsedMount {
  unsigned long flags = 0;  // NOLINT(runtime/int)
  std::string data;
};

ParsedMount Parse(const MountSpec& m) {
  ParsedMount p;
  std::vector<std::string> data;
  for (const std::string& opt : m.options) {
    bool matched = false;
    for (const FlagOption& f : kFlagOptions) {
      if (opt != f.name) continue;
      p.flags = f.clear ? (p.flags & ~f.flag) : (p.flags | f.flag);
      matched = true;
      break;
    }
    if (!matched) data.push_back(opt);
  }
  if (m.type == "bind") p.flags |= MS_BIND;
  p.data = absl::StrJoin(data, ",");
  return p;
}

size_t PageSize() { return static_cast<size_t>(::getpagesize()); }

// The longest directory that contains every path ("" if only "/").
std::string CommonDir(const std::vector<std::string>& paths) {
  std::string common = paths.empty() ? "" : paths[0];
  for (const std::string& p : paths) {
    size_t n = 0;
    while (n < common.size() && n < p.size() && common[n] == p[n]) ++n;
    common.resize(n);
  }
  // Cut back to a whole directory: the paths continue with '/' after it.
  for (;;) {
    size_t slash = common.rfind('/');
    if (slash == std::string::npos || slash == 0) return "";
    common.resize(slash);
    bool whole = true;
    for (const std::string& p : paths) whole = whole && p.size() > slash && p[slash] == '/';
    if (whole) return common;
  }
}

// mount(2) with dir as the cwd, in a child: the manager's threads share its
// cwd. The child makes only system calls (fork in a threaded process).
int MountFromDir(const std::string& dir, const char* source, const char* target, const char* type,
                 unsigned long flags, const char* data) {  // NOLINT(runtime/int)
  pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    if (::chdir(dir.c_str()) != 0) ::_exit(errno);
    ::_exit(::mount(source, target, type, flags, data) == 0 ? 0 : errno);
  }
  int ws = 0;
  if (RetryEintr([&] { return ::waitpid(pid, &ws, 0); }) < 0) return -1;
  int err = WIFEXITED(ws) ? WEXITSTATUS(ws) : EINTR;
  if (err == 0) return 0;
  errno = err;
  return -1;
}

absl::Status MountOne(const MountSpec& m, const std::string& target) {
  ParsedMount p = Parse(m);
  std::string what = absl::StrCat("mount ", m.type, " ", m.source, " on");
  unsigned long base = p.flags & ~kPropagation;  // NOLINT(runtime/int)
  OverlayData fit{"", p.data};
  if (m.type == "overlay") {
    absl::StatusOr<OverlayData> fitted = FitOverlayData(p.data);
    if (!fitted.ok()) return Annotate(fitted.status(), absl::StrCat(what, " ", target));
    fit = *std::move(fitted);
  }
  const char* type = m.type == "bind" ? nullptr : m.type.c_str();
  const char* data = fit.data.empty() ? nullptr : fit.data.c_str();
  // Propagation flags must be set by a call of their own (man 2 mount).
  int rc = fit.dir.empty()
               ? ::mount(m.source.c_str(), target.c_str(), type, base, data)
               : MountFromDir(fit.dir, m.source.c_str(), target.c_str(), type, base, data);
  if (rc != 0) return ErrnoStatus(what, target);
  // A bind ignores MS_RDONLY (and other per-mount flags) until remounted.
  if ((p.flags & MS_BIND) && (p.flags & MS_RDONLY)) {
    unsigned long rf = MS_REMOUNT | MS_BIND | (base & ~(MS_REC | MS_BIND));  // NOLINT
    if (::mount(nullptr, target.c_str(), nullptr, rf, nullptr) != 0) {
      absl::Status st = ErrnoStatus(absl::StrCat("remount ro ", m.source, " on"), target);
      (void)::umount2(target.c_str(), MNT_DETACH);
      return st;
    }
  }
  if (p.flags & kPropagation) {
    if (::mount(nullptr, target.c_str(), nullptr, p.flags & (kPropagation | MS_REC), nullptr) !=
        0) {
      absl::Status st = ErrnoStatus("set propagation on", target);
      (void)::umount2(target.c_str(), MNT_DETACH);
      return st;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<OverlayData> FitOverlayData(const std::string& data) {
  if (data.size() + 1 <= PageSize()) return OverlayData{"", data};
  std::vector<std::string> options = absl::StrSplit(data, ',');
  std::vector<std::string> paths;
  for (const std::string& opt : options) {
    absl::string_view value = absl::string_view(opt).substr(opt.find('=') + 1);
    if (absl::StartsWith(opt, "lowerdir=")) {
      for (absl::string_view l : absl::StrSplit(value, ':')) paths.emplace_back(l);
    } else if (absl::StartsWith(opt, "upperdir=") || absl::StartsWith(opt, "workdir=")) {
      paths.emplace_back(value);
    }
  }
  std::string dir = CommonDir(paths);
  auto relative = [prefix = dir + "/"](absl::string_view path) {
    if (absl::StartsWith(path, prefix)) path.remove_prefix(prefix.size());
    return std::string(path);
  };
  for (std::string& opt : options) {
    size_t eq = opt.find('=');
    std::string key = opt.substr(0, eq + 1);
    absl::string_view value = absl::string_view(opt).substr(eq + 1);
    std::string rewritten;
    if (key == "lowerdir=") {
      std::vector<std::string> lowers;
      for (absl::string_view l : absl::StrSplit(value, ':')) lowers.push_back(relative(l));
      rewritten = key + absl::StrJoin(lowers, ":");
    } else if (key == "upperdir=" || key == "workdir=") {
      rewritten = key + relative(value);
    } else {
      continue;
    }
    opt = std::move(rewritten);
  }
  OverlayData fit{dir, absl::StrJoin(options, ",")};
  if (dir.empty() || fit.data.size() + 1 > PageSize()) {
    return absl::FailedPreconditionError(
        absl::StrCat("overlay options need ", fit.data.size() + 1, " bytes",
                     dir.empty() ? "" : absl::StrCat(" even relative to ", dir),
                     ", more than mount(2)'s page of ", PageSize()));
  }
  return fit;
}

absl::Status MountAll(const std::vector<MountSpec>& mounts, const std::string& target) {
  for (size_t i = 0; i < mounts.size(); ++i) {
    absl::Status st = MountOne(mounts[i], target);
    if (st.ok()) continue;
    for (size_t j = 0; j < i; ++j) (void)::umount2(target.c_str(), MNT_DETACH);
    return st;
  }
  return absl::OkStatus();
}

absl::Status UnmountAll(const std::string& target) {
  constexpr int kBusyRetries = 10;
  int busy = 0;
  for (;;) {
    int flags = UMOUNT_NOFOLLOW | (busy >= kBusyRetries ? MNT_DETACH : 0);
    if (::umount2(target.c_str(), flags) == 0) {
      busy = 0;
      continue;
    }
    if (errno == EINVAL || errno == ENOENT) return absl::OkStatus();
    if (errno == EBUSY && busy < kBusyRetries) {
      ++busy;
      ::usleep(50 * 1000);
      continue;
    }
    return ErrnoStatus("unmount", target);
  }
}

}  // namespace berth::manager
