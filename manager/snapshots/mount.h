// Mounting the MountSpecs a snapshotter returns, and unmounting them again.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace berth::manager {

// One mount, as containerd's mount.Mount: type "overlay" or "bind", a source
// ("overlay" or a directory) and mount(8)-style options. Flag options (ro,
// rw, bind, rbind, nosuid, nodev, noexec, ...) become mount flags; the rest
// ("lowerdir=...", "index=off") become the comma-joined data string.
struct MountSpec {
  std::string type;
  std::string source;
  std::vector<std::string> options;
};

// Mounts each spec on target in order (later ones stack on earlier ones). A
// read-only bind is a bind followed by a MS_REMOUNT|MS_BIND|MS_RDONLY, since
// mount(2) ignores MS_RDONLY on the first bind. On failure the mounts made so
// far are undone. Errors name type, source, target and errno:
// "mount overlay overlay on /x: EINVAL (Invalid argument)".
absl::Status MountAll(const std::vector<MountSpec>& mounts, const std::string& target);

// mount(2) copies at most one page of data. Overlay data longer than that
// (a deep image: 128 layers of /var/lib/berth/.../snapshots/N/fs) is made
// to fit as containerd does: lowerdir, upperdir and workdir become relative
// to their longest common directory, and the mount is made from there (by
// a child process that chdirs, since a process's cwd is shared by its
// threads). MountAll does this by itself; the snapshotter asks first, to
// refuse a chain that cannot fit at all.
struct OverlayData {
  std::string dir;   // "" when data fits as it is
  std::string data;  // to pass to mount(2), with dir as the cwd
};
absl::StatusOr<OverlayData> FitOverlayData(const std::string& data);

// Unmounts everything stacked on target: umount2 until EINVAL (no longer a
// mount point). EBUSY is retried a few times, then detached (MNT_DETACH).
// A missing target is fine.
absl::Status UnmountAll(const std::string& target);

}  // namespace berth::manager
