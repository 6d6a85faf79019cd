#include "manager/berthctl/table.h"

#include <cstdio>
#include <ctime>

#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace berth::berthctl {

void TabWriter::Line(const std::string& line) { rows_.push_back(absl::StrSplit(line, '\t')); }

// Go's tabwriter.format: a column block is a run of consecutive lines that
// have a terminated cell in this column; it is formatted recursively.
void TabWriter::Format(size_t line0, size_t line1, std::vector<int>& widths,
                       std::string& out) const {
  size_t column = widths.size();
  for (size_t self = line0; self < line1; ++self) {
    if (column + 1 >= rows_[self].size()) continue;
    WriteLines(line0, self, widths, out);
    line0 = self;
    int width = minwidth_;
    for (; self < line1; ++self) {
      if (column + 1 >= rows_[self].size()) break;
      width = std::max(width, static_cast<int>(rows_[self][column].size()) + padding_);
    }
    widths.push_back(width);
    Format(line0, self, widths, out);
    widths.pop_back();
    line0 = self;
    if (self == line1) return;  // the block ran to the end
  }
  WriteLines(line0, line1, widths, out);
}

void TabWriter::WriteLines(size_t line0, size_t line1, const std::vector<int>& widths,
                           std::string& out) const {
  for (size_t i = line0; i < line1; ++i) {
    const Row& row = rows_[i];
    for (size_t j = 0; j < row.size(); ++j) {
      out += row[j];
      if (j < widths.size() && j + 1 < row.size()) {
        out.append(std::max(0, widths[j] - static_cast<int>(row[j].size())), ' ');
      }
    }
    out += '\n';
  }
}

void TabWriter::Flush() {
  std::string out;
  // A line without any tab ends a table block (Go flushes there).
  size_t start = 0;
  for (size_t i = 0; i <= rows_.size(); ++i) {
    if (i == rows_.size() || rows_[i].size() == 1) {
      std::vector<int> widths;
      Format(start, i, widths, out);
      if (i < rows_.size()) out += rows_[i][0] + "\n";
      start = i + 1;
    }
  }
  rows_.clear();
  fwrite(out.data(), 1, out.size(), stdout);
  fflush(stdout);
}

std::string FormatBytes(int64_t bytes) {
  static const char* const kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes <= 1024) return absl::StrFormat("%d B", bytes);
  double v = static_cast<double>(bytes);
  int unit = -1;
  while (v > 1024 && unit < 5) {
    v /= 1024;
    ++unit;
  }
  return absl::StrFormat("%.1f %s", v, kUnits[unit]);
}

std::string FormatUnixNano(int64_t ns) {
  time_t secs = static_cast<time_t>(ns / 1000000000);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  std::string frac = absl::StrFormat("%09d", ns % 1000000000);
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  return absl::StrFormat("%s%s%s +0000 UTC", buf, frac.empty() ? "" : ".", frac);
}

}  // namespace berth::berthctl
