// Small file helpers whose errors name the path.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth {

absl::StatusOr<std::string> ReadFile(const std::string& path);

// Writes data to path (O_WRONLY|O_TRUNC, no create unless `create`).
// write(2) until all of data is written (EINTR retried); the error names
// what (a path, "stdout", ...).
absl::Status WriteAll(int fd, absl::string_view data, absl::string_view what);
absl::Status WriteFile(const std::string& path, absl::string_view data, bool create = false,
                       int mode = 0644);

// Crash-safe replace: write path.tmp, fsync, rename over path.
absl::Status WriteFileAtomic(const std::string& path, absl::string_view data, int mode = 0644);

// mkdir -p; existing directories are fine.
absl::Status MkdirAll(const std::string& path, int mode = 0755);

// rm -rf without crossing mount points (fails with EBUSY on a mount).
absl::Status RemoveAll(const std::string& path);

bool PathExists(const std::string& path);

}  // namespace berth
