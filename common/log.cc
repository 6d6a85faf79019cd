#include "common/log.h"

#include <ctime>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace berth {

Logger::~Logger() {
  if (file_ != stderr && file_ != nullptr) fclose(file_);
}

bool Logger::Open(const std::string& path, Format format, bool debug) {
  format_ = format;
  debug_ = debug;
  if (path.empty()) return true;
  FILE* f = fopen(path.c_str(), "ae");
  if (f == nullptr) return false;
  setvbuf(f, nullptr, _IOLBF, 0);
  file_ = f;
  return true;
}

static const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warning";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

std::string JsonQuote(absl::string_view s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

void Logger::Log(LogLevel level, absl::string_view msg) {
  if (level == LogLevel::kDebug && !debug_) return;
  char ts[32];
  time_t now = time(nullptr);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::string line;
  if (format_ == Format::kJson) {
    line = absl::StrCat("{\"level\":\"", LevelName(level), "\",\"msg\":", JsonQuote(msg),
                        ",\"time\":\"", ts, "\"}\n");
  } else {
    line =
        absl::StrCat("time=\"", ts, "\" level=", LevelName(level), " msg=", JsonQuote(msg), "\n");
  }
  fputs(line.c_str(), file_);
  fflush(file_);
}

}  // namespace berth
