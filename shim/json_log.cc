#include "shim/json_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status.h"

namespace berth::shim {
namespace {

// Length of the valid UTF-8 sequence at s[i], or 0 if invalid.
size_t Utf8Len(absl::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  uint32_t cp = n == 1 ? c : c & (0x7f >> n);
  for (size_t k = 1; k < n; ++k) {
    auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc >> 6) != 2) return 0;
    cp = cp << 6 | (cc & 0x3f);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

}  // namespace

std::string FormatLogTime(const struct timespec& ts) {
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char date[32];
  strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = date;
  if (ts.tv_nsec != 0) {
    std::string frac = absl::StrFormat("%09d", ts.tv_nsec);
    frac.erase(frac.find_last_not_of('0') + 1);
    absl::StrAppend(&out, ".", frac);
  }
  out += 'Z';
  return out;
}

void AppendJsonString(absl::string_view s, std::string* out) {
  out->push_back('"');
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t n = Utf8Len(s, i);
    if (n == 0) {
      out->append("\\ufffd");
      ++i;
      continue;
    }
    if (n == 3 && c == 0xe2 && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(s[i + 2]) & 0xfe) == 0xa8) {
      absl::StrAppend(out, "\\u202", (s[i + 2] & 1) ? "9" : "8");
    } else if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out->append("\\n");
    } else if (c == '\r') {
      out->append("\\r");
    } else if (c == '\t') {
      out->append("\\t");
    } else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
      absl::StrAppendFormat(out, "\\u%04x", c);
    } else {
      out->append(s.data() + i, n);
    }
    i += n;
  }
  out->push_back('"');
}

absl::StatusOr<std::unique_ptr<JsonLogWriter>> JsonLogWriter::Open(const JsonLogOptions& options) {
  std::unique_ptr<JsonLogWriter> w(new JsonLogWriter(options));
  const char* path = options.path.c_str();
  w->fd_.reset(
      RetryEintr([&] { return ::open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640); }));
  if (!w->fd_) return ErrnoStatus("open", options.path);
  struct stat st;
  if (::fstat(w->fd_.get(), &st) != 0) return ErrnoStatus("stat", options.path);
  w->size_ = static_cast<uint64_t>(st.st_size);
  return w;
}

absl::Status JsonLogWriter::Write(LogStream stream, absl::string_view data,
                                  const struct timespec& now) {
  std::string& pending = pending_[static_cast<int>(stream)];
  pending.append(data.data(), data.size());
  size_t start = 0;
  for (;;) {
    size_t nl = pending.find('\n', start);
    size_t avail = (nl == std::string::npos ? pending.size() : nl) - start;
    if (avail >= kMaxLogLine) {
      RETURN_IF_ERROR(
          WriteEntry(stream, absl::string_view(pending).substr(start, kMaxLogLine), now));
      start += kMaxLogLine;
    } else if (nl != std::string::npos) {
      RETURN_IF_ERROR(WriteEntry(stream, absl::string_view(pending).substr(start, avail + 1), now));
      start = nl + 1;
    } else {
      break;
    }
  }
  pending.erase(0, start);
  return absl::OkStatus();
}

absl::Status JsonLogWriter::Close(LogStream stream, const struct timespec& now) {
  std::string& pending = pending_[static_cast<int>(stream)];
  if (pending.empty()) return absl::OkStatus();
  absl::Status s = WriteEntry(stream, pending, now);
  pending.clear();
  return s;
}

absl::Status JsonLogWriter::WriteEntry(LogStream stream, absl::string_view line,
                                       const struct timespec& now) {
  std::string entry = "{\"log\":";
  AppendJsonString(line, &entry);
  absl::StrAppend(&entry, ",\"stream\":\"", stream == LogStream::kStdout ? "stdout" : "stderr",
                  "\",\"time\":\"", FormatLogTime(now), "\"}\n");
  if (options_.max_size > 0 && size_ > 0 && size_ + entry.size() > options_.max_size) {
    RETURN_IF_ERROR(Rotate());
  }
  absl::string_view rest = entry;
  while (!rest.empty()) {
    ssize_t n = RetryEintr([&] { return ::write(fd_.get(), rest.data(), rest.size()); });
    if (n < 0) return ErrnoStatus("write", options_.path);
    rest.remove_prefix(static_cast<size_t>(n));
  }
  size_ += entry.size();
  return absl::OkStatus();
}

absl::Status JsonLogWriter::Rotate() {
  const std::string& p = options_.path;
  for (int i = options_.max_file - 1; i >= 1; --i) {
    std::string from = i == 1 ? p : absl::StrCat(p, ".", i - 1);
    std::string to = absl::StrCat(p, ".", i);
    if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) {
      return ErrnoStatus("rename", from);
    }
  }
  fd_.reset(RetryEintr([&] {
    return ::open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0640);
  }));
  if (!fd_) return ErrnoStatus("open", p);
  size_ = 0;
  return absl::OkStatus();
}

}  // namespace berth::shim
