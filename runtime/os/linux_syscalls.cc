#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/file_util.h"
#include "common/status.h"
#include "common/unique_fd.h"
#include "runtime/os/syscalls.h"

namespace berth::runtime {

absl::Status LinuxSyscalls::MoveMount(int from_fd, const std::string& target) {
  if (syscall(SYS_move_mount, from_fd, "", AT_FDCWD, target.c_str(), MOVE_MOUNT_F_EMPTY_PATH) != 0)
    return ErrnoStatus(absl::StrCat("move_mount fd ", from_fd, " to"), target);
  return absl::OkStatus();
}

absl::Status LinuxSyscalls::Mount(const std::string& source, const std::string& target,
                                  const std::string& fstype, unsigned long flags,
                                  const std::string& data) {
  int r = ::mount(source.empty() ? nullptr : source.c_str(), target.c_str(),
                  fstype.empty() ? nullptr : fstype.c_str(), flags,
                  data.empty() ? nullptr : data.c_str());
  if (r != 0) {
    std::string what = absl::StrCat("mount ", source.empty() ? fstype : source, " (",
                                    MountFlagsString(flags), data.empty() ? "" : ",", data, ") at");
    return ErrnoStatus(what, target);
  }
  return absl::OkStatus();
}

absl::Status LinuxSyscalls::Umount2(const std::string& target, int flags) {
  if (::umount2(target.c_str(), flags) != 0) return ErrnoStatus("umount", target);
  return absl::OkStatus();
}

absl::Status LinuxSyscalls::PivotRoot(const std::string& new_root, const std::string& put_old) {
  if (::syscall(SYS_pivot_root, new_root.c_str(), put_old.c_str()) != 0) {
    return ErrnoStatus("pivot_root", new_root);
  }
  return absl::OkStatus();
}

absl::Status LinuxSyscalls::Chroot(const std::string& path) {
  if (::chroot(path.c_str()) != 0) return ErrnoStatus("chroot", path);
  return absl::OkStatus();
}

absl::Status LinuxSyscalls::Chdir(const std::string& path) {
  if (::chdir(path.c_str()) != 0) return ErrnoStatus("chdir", path);
  return absl::OkStatus();
}

absl::Status LinuxSyscalls::Mkdir(const std::string& path, mode_t mode) {
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST) return ErrnoStatus("mkdir", path);
  return absl::OkStatus();
}

absl::Status LinuxSyscalls::Mknod(const std::string& path, mode_t mode, dev_t dev) {
  if (::mknod(path.c_str(), mode, dev) != 0) return ErrnoStatus("mknod", path);
  return absl::OkStatus();
}

absl::Status LinuxSyscalls::Symlink(const std::string& target, const std::string& linkpath) {
  if (::symlink(target.c_str(), linkpath.c_str()) != 0 && errno != EEXIST) {
    return ErrnoStatus("symlink", linkpath);
  }
  return absl::OkStatus();
}

absl::Status LinuxSyscalls::CreateFile(const std::string& path, mode_t mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, mode));
  if (!fd) return ErrnoStatus("create", path);
  return absl::OkStatus();
}

absl::Status LinuxSyscalls::Lchown(const std::string& path, uid_t uid, gid_t gid) {
  if (::lchown(path.c_str(), uid, gid) != 0) return ErrnoStatus("chown", path);
  return absl::OkStatus();
}

static FileKind KindOf(int r, const struct stat& st) {
  if (r != 0) return FileKind::kMissing;
  if (S_ISDIR(st.st_mode)) return FileKind::kDirectory;
  if (S_ISREG(st.st_mode)) return FileKind::kRegular;
  if (S_ISLNK(st.st_mode)) return FileKind::kSymlink;
  return FileKind::kOther;
}

FileKind LinuxSyscalls::Lstat(const std::string& path) {
  struct stat st;
  int r = ::lstat(path.c_str(), &st);
  return KindOf(r, st);
}

FileKind LinuxSyscalls::Stat(const std::string& path) {
  struct stat st;
  int r = ::stat(path.c_str(), &st);
  return KindOf(r, st);
}

absl::StatusOr<std::string> LinuxSyscalls::Readlink(const std::string& path) {
  char buf[4096];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
  if (n < 0) return ErrnoStatus("readlink", path);
  return std::string(buf, static_cast<size_t>(n));
}

absl::Status LinuxSyscalls::Sethostname(const std::string& name) {
  if (::sethostname(name.data(), name.size()) != 0) return ErrnoStatus("sethostname", name);
  return absl::OkStatus();
}

absl::Status LinuxSyscalls::Setdomainname(const std::string& name) {
  if (::setdomainname(name.data(), name.size()) != 0) return ErrnoStatus("setdomainname", name);
  return absl::OkStatus();
}

absl::Status LinuxSyscalls::WriteFile(const std::string& path, const std::string& data) {
  return berth::WriteFile(path, data);
}

unsigned long LinuxSyscalls::MountFlagsOf(const std::string& path) {
  struct statvfs st;
  if (::statvfs(path.c_str(), &st) != 0) return 0;
  static const std::pair<unsigned long, unsigned long> kMap[] = {
      {ST_RDONLY, MS_RDONLY},     {ST_NOSUID, MS_NOSUID},   {ST_NODEV, MS_NODEV},
      {ST_NOEXEC, MS_NOEXEC},     {ST_NOATIME, MS_NOATIME}, {ST_NODIRATIME, MS_NODIRATIME},
      {ST_RELATIME, MS_RELATIME},
  };
  unsigned long flags = 0;
  for (auto [st_bit, ms_bit] : kMap) {
    if (st.f_flag & st_bit) flags |= ms_bit;
  }
  return flags;
}

std::string MountFlagsString(unsigned long flags) {
  static const std::pair<unsigned long, const char*> kNames[] = {
      {MS_RDONLY, "MS_RDONLY"},
      {MS_NOSUID, "MS_NOSUID"},
      {MS_NODEV, "MS_NODEV"},
      {MS_NOEXEC, "MS_NOEXEC"},
      {MS_SYNCHRONOUS, "MS_SYNCHRONOUS"},
      {MS_REMOUNT, "MS_REMOUNT"},
      {MS_MANDLOCK, "MS_MANDLOCK"},
      {MS_DIRSYNC, "MS_DIRSYNC"},
      {MS_NOATIME, "MS_NOATIME"},
      {MS_NODIRATIME, "MS_NODIRATIME"},
      {MS_BIND, "MS_BIND"},
      {MS_MOVE, "MS_MOVE"},
      {MS_REC, "MS_REC"},
      {MS_SILENT, "MS_SILENT"},
      {MS_UNBINDABLE, "MS_UNBINDABLE"},
      {MS_PRIVATE, "MS_PRIVATE"},
      {MS_SLAVE, "MS_SLAVE"},
      {MS_SHARED, "MS_SHARED"},
      {MS_RELATIME, "MS_RELATIME"},
      {MS_STRICTATIME, "MS_STRICTATIME"},
      {MS_LAZYTIME, "MS_LAZYTIME"},
  };
  std::vector<std::string> parts;
  for (auto [bit, name] : kNames) {
    if (flags & bit) parts.push_back(name);
  }
  return parts.empty() ? "0" : absl::StrJoin(parts, "|");
}

}  // namespace berth::runtime
