#include "manager/snapshots/mount.h"

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
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

absl::Status MountOne(const MountSpec& m, const std::string& target) {
  ParsedMount p = Parse(m);
  std::string what = absl::StrCat("mount ", m.type, " ", m.source, " on");
  unsigned long base = p.flags & ~kPropagation;  // NOLINT(runtime/int)
  // Propagation flags must be set by a call of their own (man 2 mount).
  if (::mount(m.source.c_str(), target.c_str(), m.type == "bind" ? nullptr : m.type.c_str(), base,
              p.data.empty() ? nullptr : p.data.c_str()) != 0) {
    return ErrnoStatus(what, target);
  }
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
