// Layer tars in and out of an overlay snapshot's upper directory.
//
// In:  a layer blob (gzip, zstd or plain tar) is unpacked into an empty or
//      partial upper dir; OCI whiteouts become overlayfs whiteouts.
// Out: an upper dir is written back as an uncompressed tar; overlayfs
//      whiteouts become OCI whiteouts.
//
//   OCI (in the tar)              overlayfs (on disk)
//   D/.wh.NAME                    D/NAME  char device 0:0
//   D/.wh..wh..opq                D       xattr trusted.overlay.opaque=y
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace berth::manager {

struct ApplyResult {
  std::string diff_id;  // "sha256:..." of the uncompressed tar stream
  int64_t size = 0;     // bytes of the uncompressed tar stream
};

// Unpacks the layer read from layer_fd (from its current offset) into dir.
// Every path is resolved below dir without following symlinks; an entry
// that would land outside dir (by "..", by a symlink planted earlier, by a
// hardlink target outside) is refused with InvalidArgument naming the entry
// and nothing more is written (entries before it stay, as in containerd).
// Symlinks stored in the layer are created exactly as stored. Needs root
// for devices, ownership and trusted.* xattrs. Not thread-safe per dir.
// On any error dir holds a partial layer (a corrupt gzip is only known at
// its trailer): the caller discards the snapshot.
absl::StatusOr<ApplyResult> ApplyLayer(int layer_fd, const std::string& dir);

// Writes upper_dir as an uncompressed PAX tar to out_fd (overlay whiteouts
// as OCI whiteouts, entries sorted by path, hardlinks kept) and returns the
// stream's digest and size, which are the layer's diff_id.
absl::StatusOr<ApplyResult> WriteDiff(const std::string& upper_dir, int out_fd);

}  // namespace berth::manager
