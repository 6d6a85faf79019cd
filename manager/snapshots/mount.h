// Mounting the MountSpecs a snapshotter returns, and unmounting them again.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"

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

// Unmounts everything stacked on target: umount2 until EINVAL (no longer a
// mount point). EBUSY is retried a few times, then detached (MNT_DETACH).
// A missing target is fine.
absl::Status UnmountAll(const std::string& target);

}  // namespace berth::manager
