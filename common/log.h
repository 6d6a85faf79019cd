// runc-style logging: logrus text (`time="..." level=error msg="..."`) or JSON
// (`{"level":"error","msg":"...","time":"..."}`) lines, to a file (--log) or
// stderr. Shims parse the JSON form to report a runtime's last error.
#pragma once

#include <cstdio>
#include <string>

#include "absl/strings/string_view.h"

namespace berth {

enum class LogLevel { kDebug, kInfo, kWarn, kError };

class Logger {
 public:
  enum class Format { kText, kJson };

  Logger() = default;
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  // path empty: stderr. Returns false (and keeps stderr) if path can't open.
  bool Open(const std::string& path, Format format, bool debug);
  bool to_stderr() const { return file_ == stderr; }

  void Log(LogLevel level, absl::string_view msg);
  void Debug(absl::string_view msg) { Log(LogLevel::kDebug, msg); }
  void Warn(absl::string_view msg) { Log(LogLevel::kWarn, msg); }
  void Error(absl::string_view msg) { Log(LogLevel::kError, msg); }

 private:
  FILE* file_ = stderr;
  Format format_ = Format::kText;
  bool debug_ = false;
};

// Quotes s as a JSON string (with the quotes).
std::string JsonQuote(absl::string_view s);

}  // namespace berth
