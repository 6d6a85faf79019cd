// Turning config.json's mounts, devices and paths into a container root
// filesystem. Everything goes through the Syscalls seam, so the sequence of
// mounts can be asserted in unit tests (mounts_test.cc).
//
// Order (as runc's rootfs_linux.go), all inside the container's mount ns:
//   PrepareRootfs   "/" -> rslave (or rootfsPropagation); bind rootfs on itself;
//                   each spec mount; default devices; /dev symlinks; ptmx
//   EnterRootfs     pivot_root(".", ".") then detach the old root
//                   (or, with --no-pivot, MS_MOVE + chroot)
//   FinalizeRootfs  readonly and masked paths; readonly root; propagation
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/os/syscalls.h"
#include "runtime/spec/spec.h"

namespace berth::runtime {

struct MountOptions {
  unsigned long flags = 0;        // MS_RDONLY, MS_NOSUID, ... (and MS_BIND|MS_REC)
  unsigned long propagation = 0;  // MS_SHARED / MS_SLAVE / MS_PRIVATE / MS_UNBINDABLE [|MS_REC]
  std::string data;               // what the filesystem parses ("mode=755,size=65536k")
  bool bind() const;
};

// Splits OCI mount options into flags, propagation and data. Unknown options
// are passed to the filesystem as data, as runc does.
MountOptions ParseMountOptions(const std::vector<std::string>& options);

// Parses "rslave", "shared", ... (rootfsPropagation). 0 for "".
unsigned long ParsePropagation(const std::string& name);

// Joins path under root, resolving symlinks as if root were "/": no
// component can lead outside root (filepath-securejoin's rule).
absl::StatusOr<std::string> SecureJoin(Syscalls& sys, const std::string& root,
                                       const std::string& path);

struct RootfsConfig {
  std::string rootfs;              // absolute host path of root.path
  bool in_user_namespace = false;  // devices are bind-mounted, not mknod'ed
  bool cgroup_namespace = false;
  bool cgroup_v2 = false;  // the host's /sys/fs/cgroup is cgroup2
  // The container's cgroup on the host, per hierarchy ("memory",
  // "cpu,cpuacct", "name=systemd"; "" on v2, "unified" on hybrid hosts), as
  // CgroupManager::Paths() gives them. Mounted at /sys/fs/cgroup/<name>.
  std::map<std::string, std::string> cgroup_paths;
  // Bind mounts cloned by the runtime (open_tree(OPEN_TREE_CLONE), with its
  // own credentials), by index in spec.mounts: attached with move_mount, so
  // a source the container's root cannot reach by path still mounts (what
  // runc does by passing opened fds).
  std::map<size_t, int> mount_source_fds;
};

absl::Status PrepareRootfs(Syscalls& sys, const Spec& spec, const RootfsConfig& config);
// With no_pivot, host_pseudo_mounts (full proc/sysfs mounts outside the
// rootfs, see HostPseudoMounts) are detached first, or covered where that is
// not allowed: a chroot leaves them reachable, and the kernel lets a
// container mount procfs while an unmasked one is visible (runc's fix).
absl::Status EnterRootfs(Syscalls& sys, const std::string& rootfs, bool no_pivot,
                         const std::vector<std::string>& host_pseudo_mounts = {});

// Mount points of whole proc and sysfs mounts outside rootfs, deepest first,
// from /proc/self/mountinfo text.
std::vector<std::string> HostPseudoMounts(const std::string& mountinfo, const std::string& rootfs);
absl::Status FinalizeRootfs(Syscalls& sys, const Spec& spec);

// The devices every container gets (runc's AllowedDevices): null, zero,
// full, random, urandom, tty.
const std::vector<Device>& DefaultDevices();

}  // namespace berth::runtime
