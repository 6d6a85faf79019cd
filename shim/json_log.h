// The container log in Docker's json-file format: one JSON object per line,
//   {"log":"hello\n","stream":"stdout","time":"2026-01-02T03:04:05.123456789Z"}
// written with one write(2) per entry (nothing is buffered in the shim, so a
// kill -9 loses no complete entry). Lines are cut as Docker's log copier cuts
// them: an entry is one line including its "\n"; a line longer than
// kMaxLogLine is written as kMaxLogLine-byte entries without the newline
// (partial), the rest following; bytes left at EOF are one partial entry.
// Rotation as json-file's max-size/max-file: before an entry that would take
// the file over max_size, path.N-1 -> path.N ... path -> path.1, new path.
#pragma once

#include <cstdint>
#include <ctime>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/unique_fd.h"

namespace berth::shim {

inline constexpr size_t kMaxLogLine = 16 * 1024;

enum class LogStream { kStdout = 0, kStderr = 1 };

struct JsonLogOptions {
  std::string path;
  uint64_t max_size = 0;  // bytes; 0 = unlimited
  int max_file = 1;       // files kept, including the current one
};

// "2026-01-02T03:04:05.123456789Z", trailing zeros of the fraction trimmed
// (Go's RFC3339Nano, which Docker uses).
std::string FormatLogTime(const struct timespec& ts);

// Docker's JSON string escaping (Go's encoding/json): quotes, backslash,
// control characters, <, >, &, U+2028/U+2029; invalid UTF-8 becomes U+FFFD.
void AppendJsonString(absl::string_view s, std::string* out);

class JsonLogWriter {
 public:
  static absl::StatusOr<std::unique_ptr<JsonLogWriter>> Open(const JsonLogOptions& options);

  // Output of one stream; complete lines (or 16 KiB pieces) become entries.
  absl::Status Write(LogStream stream, absl::string_view data, const struct timespec& now);
  // The stream ended: what is left (a line without "\n") is one partial entry.
  absl::Status Close(LogStream stream, const struct timespec& now);

 private:
  explicit JsonLogWriter(JsonLogOptions options) : options_(std::move(options)) {}
  absl::Status WriteEntry(LogStream stream, absl::string_view line, const struct timespec& now);
  absl::Status Rotate();

  JsonLogOptions options_;
  UniqueFd fd_;
  uint64_t size_ = 0;
  std::string pending_[2];
};

}  // namespace berth::shim
