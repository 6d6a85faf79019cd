#include "shim/cgroup_stats.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>

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

absl::StatusOr<std::unique_ptr<OomWatch>> OomWatch::Open(pid_t pid) {
  ASSIGN_OR_RETURN(std::string dir, CgroupDir(pid, "memory"));
  auto w = std::unique_ptr<OomWatch>(new OomWatch);
  std::string path = dir + "/memory.oom_control";
  bool v1 = PathExists(path);
  if (!v1) path = dir + "/memory.events";
  w->counts_.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!w->counts_) {
    if (errno == ENOENT) return nullptr;
    return ErrnoStatus("open", path);
  }
  if (v1) {
    w->fd_.reset(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    if (!w->fd_) return ErrnoStatus("eventfd");
    RETURN_IF_ERROR(WriteFile(dir + "/cgroup.event_control",
                              absl::StrCat(w->fd_.get(), " ", w->counts_.get())));
  } else {
    w->fd_.reset(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    if (!w->fd_) return ErrnoStatus("inotify_init1");
    if (::inotify_add_watch(w->fd_.get(), path.c_str(), IN_MODIFY) < 0) {
      return ErrnoStatus("inotify_add_watch", path);
    }
  }
  w->kills_ = w->Kills();
  return w;
}

int64_t OomWatch::Kills() const {
  char buf[512];
  ssize_t n = ::pread(counts_.get(), buf, sizeof buf - 1, 0);
  if (n <= 0) return -1;
  for (absl::string_view line : absl::StrSplit(absl::string_view(buf, n), '\n')) {
    int64_t v;
    if (absl::ConsumePrefix(&line, "oom_kill ") && absl::SimpleAtoi(line, &v)) return v;
  }
  return -1;
}

bool OomWatch::Fired() {
  char buf[512];
  bool woken = false;
  while (::read(fd_.get(), buf, sizeof buf) > 0) woken = true;
  if (kills_ < 0) return woken;  // no count: any wake-up (v1 only)
  int64_t k = Kills();           // -1 once the cgroup is gone
  bool grew = k > kills_;
  if (grew) kills_ = k;
  return grew;
}

}  // namespace berth::shim
