#include "shim/cgroup_stats.h"

#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/file_util.h"
#include "common/status.h"

namespace berth::shim {
namespace {

// The directory of pid's cgroup for a v1 controller, or the v2 one ("").
absl::StatusOr<std::string> CgroupDir(pid_t pid, absl::string_view controller) {
  ASSIGN_OR_RETURN(std::string content, ReadFile(absl::StrCat("/proc/", pid, "/cgroup")));
  std::string v2;
  for (absl::string_view line : absl::StrSplit(content, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> f = absl::StrSplit(line, absl::MaxSplits(':', 2));
    if (f.size() != 3) continue;
    if (f[0] == "0" && f[1].empty()) v2 = std::string(f[2]);
    for (absl::string_view c : absl::StrSplit(f[1], ',')) {
      if (c == controller) return absl::StrCat("/sys/fs/cgroup/", controller, f[2]);
    }
  }
  if (PathExists("/sys/fs/cgroup/unified/cgroup.controllers")) {
    return absl::StrCat("/sys/fs/cgroup/unified", v2);
  }
  return absl::StrCat("/sys/fs/cgroup", v2);
}

uint64_t ReadNumber(const std::string& path, absl::string_view key = {}) {
  auto content = ReadFile(path);
  if (!content.ok()) return 0;
  absl::string_view v = absl::StripAsciiWhitespace(*content);
  if (!key.empty()) {
    for (absl::string_view line : absl::StrSplit(v, '\n')) {
      if (absl::ConsumePrefix(&line, key) && absl::ConsumePrefix(&line, " ")) {
        v = line;
        break;
      }
    }
  }
  uint64_t n = 0;
  return absl::SimpleAtoi(v, &n) ? n : 0;
}

}  // namespace

absl::StatusOr<std::vector<pid_t>> CgroupPids(pid_t pid) {
  ASSIGN_OR_RETURN(std::string dir, CgroupDir(pid, "pids"));
  ASSIGN_OR_RETURN(std::string procs, ReadFile(dir + "/cgroup.procs"));
  std::vector<pid_t> out;
  for (absl::string_view line : absl::StrSplit(procs, '\n', absl::SkipEmpty())) {
    int p;
    if (absl::SimpleAtoi(line, &p)) out.push_back(p);
  }
  return out;
}

absl::StatusOr<CgroupStats> ReadCgroupStats(pid_t pid) {
  CgroupStats s;
  ASSIGN_OR_RETURN(std::string mem, CgroupDir(pid, "memory"));
  ASSIGN_OR_RETURN(std::string cpu, CgroupDir(pid, "cpuacct"));
  ASSIGN_OR_RETURN(std::string pids, CgroupDir(pid, "pids"));
  if (PathExists(mem + "/memory.usage_in_bytes")) {
    s.memory_usage_bytes = ReadNumber(mem + "/memory.usage_in_bytes");
    s.memory_limit_bytes = ReadNumber(mem + "/memory.limit_in_bytes");
  } else {
    s.memory_usage_bytes = ReadNumber(mem + "/memory.current");
    s.memory_limit_bytes = ReadNumber(mem + "/memory.max");
  }
  if (s.memory_limit_bytes >= (1ULL << 62)) s.memory_limit_bytes = 0;
  s.cpu_usage_ns = PathExists(cpu + "/cpuacct.usage")
                       ? ReadNumber(cpu + "/cpuacct.usage")
                       : ReadNumber(cpu + "/cpu.stat", "usage_usec") * 1000;
  s.pids_current = ReadNumber(pids + "/pids.current");
  return s;
}

}  // namespace berth::shim
