// Output as ctr prints it: Go's text/tabwriter (cells end with '\t'; a
// column block is padded to its widest cell plus padding; the text after a
// line's last tab is not aligned), byte sizes as containerd's progress.Bytes,
// times as Go's time.Time.String().
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace berth::berthctl {

class TabWriter {
 public:
  TabWriter(int minwidth, int padding) : minwidth_(minwidth), padding_(padding) {}
  // One line without its '\n'; cells separated (terminated) by '\t'.
  void Line(const std::string& line);
  // Writes the formatted lines to stdout.
  void Flush();

 private:
  using Row = std::vector<std::string>;
  void Format(size_t line0, size_t line1, std::vector<int>& widths, std::string& out) const;
  void WriteLines(size_t line0, size_t line1, const std::vector<int>& widths,
                  std::string& out) const;

  int minwidth_, padding_;
  std::vector<Row> rows_;
};

// "512 B", "2.1 MiB", ... (containerd's progress.Bytes).
std::string FormatBytes(int64_t bytes);

// Unix nanoseconds as Go prints a time.Time in UTC:
// "2024-05-01 12:00:00.123456789 +0000 UTC".
std::string FormatUnixNano(int64_t ns);

}  // namespace berth::berthctl
