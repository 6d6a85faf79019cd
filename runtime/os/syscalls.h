// The seam between container set-up and the kernel: one method per call that
// changes the container's filesystem view or identity. The real implementation
// (LinuxSyscalls) calls the kernel; RecordingSyscalls (recording_syscalls.h)
// stores typed arguments so unit tests can assert the exact mount sequence.
// Passed in by reference, never a global.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace berth::runtime {

enum class FileKind { kMissing, kDirectory, kRegular, kSymlink, kOther };

class Syscalls {
 public:
  virtual ~Syscalls() = default;

  // man 2 mount. data is the fs-specific option string.
  virtual absl::Status Mount(const std::string& source, const std::string& target,
                             const std::string& fstype, unsigned long flags,
                             const std::string& data) = 0;
  // man 2 move_mount (MOVE_MOUNT_F_EMPTY_PATH): attaches the detached mount
  // tree from_fd (an open_tree(OPEN_TREE_CLONE) fd) at target.
  virtual absl::Status MoveMount(int from_fd, const std::string& target) = 0;
  // man 2 umount2
  virtual absl::Status Umount2(const std::string& target, int flags) = 0;
  // man 2 pivot_root
  virtual absl::Status PivotRoot(const std::string& new_root, const std::string& put_old) = 0;
  // man 2 chroot / chdir
  virtual absl::Status Chroot(const std::string& path) = 0;
  virtual absl::Status Chdir(const std::string& path) = 0;
  // man 2 mkdir: an existing directory is not an error.
  virtual absl::Status Mkdir(const std::string& path, mode_t mode) = 0;
  // man 2 mknod
  virtual absl::Status Mknod(const std::string& path, mode_t mode, dev_t dev) = 0;
  // man 2 symlink
  virtual absl::Status Symlink(const std::string& target, const std::string& linkpath) = 0;
  // man 2 open(O_CREAT): an empty file to bind-mount a file over.
  virtual absl::Status CreateFile(const std::string& path, mode_t mode) = 0;
  // man 2 chown (lchown: never follows a symlink)
  virtual absl::Status Lchown(const std::string& path, uid_t uid, gid_t gid) = 0;
  // man 2 lstat, reduced to the kind of file.
  virtual FileKind Lstat(const std::string& path) = 0;
  // man 2 stat (follows symlinks).
  virtual FileKind Stat(const std::string& path) = 0;
  // man 2 readlink
  virtual absl::StatusOr<std::string> Readlink(const std::string& path) = 0;
  // man 2 sethostname / setdomainname
  virtual absl::Status Sethostname(const std::string& name) = 0;
  virtual absl::Status Setdomainname(const std::string& name) = 0;
  // open(O_WRONLY) + write: /proc/sys, /proc/self/... files.
  virtual absl::Status WriteFile(const std::string& path, const std::string& data) = 0;
  // man 2 statfs: the MS_* flags a mount already has (MS_RDONLY, MS_NOSUID,
  // ...), which a bind remount inside a user namespace must keep.
  virtual unsigned long MountFlagsOf(const std::string& path) = 0;
};

// Calls the kernel. Every error names the operation, path and errno.
class LinuxSyscalls : public Syscalls {
 public:
  absl::Status Mount(const std::string& source, const std::string& target,
                     const std::string& fstype, unsigned long flags,
                     const std::string& data) override;
  absl::Status MoveMount(int from_fd, const std::string& target) override;
  absl::Status Umount2(const std::string& target, int flags) override;
  absl::Status PivotRoot(const std::string& new_root, const std::string& put_old) override;
  absl::Status Chroot(const std::string& path) override;
  absl::Status Chdir(const std::string& path) override;
  absl::Status Mkdir(const std::string& path, mode_t mode) override;
  absl::Status Mknod(const std::string& path, mode_t mode, dev_t dev) override;
  absl::Status Symlink(const std::string& target, const std::string& linkpath) override;
  absl::Status CreateFile(const std::string& path, mode_t mode) override;
  absl::Status Lchown(const std::string& path, uid_t uid, gid_t gid) override;
  FileKind Lstat(const std::string& path) override;
  FileKind Stat(const std::string& path) override;
  absl::StatusOr<std::string> Readlink(const std::string& path) override;
  absl::Status Sethostname(const std::string& name) override;
  absl::Status Setdomainname(const std::string& name) override;
  absl::Status WriteFile(const std::string& path, const std::string& data) override;
  unsigned long MountFlagsOf(const std::string& path) override;
};

// Describes mount flags for messages: "MS_BIND|MS_REC".
std::string MountFlagsString(unsigned long flags);

}  // namespace berth::runtime
