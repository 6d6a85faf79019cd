#include "runtime/cgroups/manager.h"

#include <signal.h>
#include <unistd.h>

#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/file_util.h"
#include "common/status.h"
#include "runtime/cgroups/devices_bpf.h"
#include "runtime/cgroups/stats.h"

namespace berth::runtime {
namespace {

// Enables controllers in cgroup.subtree_control from the v2 root down to
// dir's parent (only those the parent offers in cgroup.controllers).
absl::Status EnableControllers(const std::string& dir, const std::vector<std::string>& wanted) {
  if (wanted.empty()) return absl::OkStatus();
  std::vector<std::string> chain;
  for (std::string p = dir.substr(0, dir.rfind('/')); p.size() > 1; p = p.substr(0, p.rfind('/'))) {
    if (!PathExists(p + "/cgroup.subtree_control")) break;
    chain.push_back(p);
  }
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    auto offered = ReadFile(*it + "/cgroup.controllers");
    if (!offered.ok()) return offered.status();
    std::vector<absl::string_view> have = absl::StrSplit(absl::StripAsciiWhitespace(*offered), ' ');
    std::string add;
    for (const auto& c : wanted) {
      if (std::find(have.begin(), have.end(), c) != have.end())
        absl::StrAppend(&add, add.empty() ? "" : " ", "+", c);
    }
    if (!add.empty())
      RETURN_IF_ERROR(
          Annotate(WriteFile(*it + "/cgroup.subtree_control", add), "enable controllers"));
  }
  return absl::OkStatus();
}

// Both v1 and v2 use the same directory operations; they differ only in
// which directories, and in v1's cpuset needing its parent's values.
class DirCgroupManager : public CgroupManager {
 public:
  DirCgroupManager(CgroupMode mode, std::map<std::string, std::string> paths)
      : mode_(mode), paths_(std::move(paths)) {}

  CgroupMode mode() const override { return mode_; }
  std::map<std::string, std::string> Paths() const override { return paths_; }

  absl::Status Create() override {
    for (const auto& [name, dir] : paths_) {
      RETURN_IF_ERROR(Annotate(MkdirAll(dir), "create cgroup"));
      if (name.find("cpuset") != std::string::npos) RETURN_IF_ERROR(InheritCpuset(dir));
    }
    return absl::OkStatus();
  }

  absl::Status Join(pid_t pid) override {
    for (const auto& [name, dir] : paths_) {
      RETURN_IF_ERROR(
          Annotate(WriteFile(dir + "/cgroup.procs", std::to_string(pid)), "join cgroup"));
    }
    return absl::OkStatus();
  }

  absl::Status JoinSelfV1() override {
    for (const auto& [name, dir] : paths_) {
      if (name.empty() || name == "unified") continue;
      RETURN_IF_ERROR(Annotate(WriteFile(dir + "/tasks", "0"), "join cgroup"));
    }
    return absl::OkStatus();
  }

  std::string V2Path() const override {
    for (const char* key : {"", "unified"}) {
      if (auto it = paths_.find(key); it != paths_.end()) return it->second;
    }
    return "";
  }

  absl::Status Set(const Resources& r, Logger* log) override {
    if (paths_.empty()) return absl::OkStatus();  // rootless, no cgroup
    std::string v2 = V2Path();
    if (mode_ == CgroupMode::kV2) {
      RETURN_IF_ERROR(EnableControllers(v2, V2ControllersFor(r)));
      return ApplyV2(r, v2, log);
    }
    RETURN_IF_ERROR(ApplyV1(r, paths_, log));
    // Hybrid: the device rules are also enforced by eBPF on the unified
    // cgroup (defence in depth; a kernel without cgroup BPF only warns).
    if (!r.devices.empty() && !v2.empty()) {
      if (absl::Status st = AttachDeviceFilter(v2, WithDefaultDevices(r.devices));
          !st.ok() && log != nullptr) {
        log->Warn(st.message());
      }
    }
    // Hybrid: what v1 cannot take goes to the unified tree (here: hugetlb).
    Resources rest;
    rest.unified = r.unified;
    bool v1_hugetlb = false;
    for (const auto& [h, dir] : paths_) v1_hugetlb |= h == "hugetlb";
    if (!v1_hugetlb) rest.hugepage_limits = r.hugepage_limits;
    if (rest.unified.empty() && rest.hugepage_limits.empty()) return absl::OkStatus();
    if (v2.empty()) {
      return absl::FailedPreconditionError(
          "linux.resources.unified: this host has no cgroup v2 hierarchy");
    }
    RETURN_IF_ERROR(EnableControllers(v2, V2ControllersFor(rest)));
    return ApplyV2(rest, v2, log);
  }

  absl::StatusOr<bool> Frozen() const override {
    std::string file, frozen;
    if (auto it = paths_.find("freezer"); it != paths_.end()) {
      file = it->second + "/freezer.state";
      frozen = "F";  // FROZEN or FREEZING
    } else if (std::string v2 = V2Path(); !v2.empty() && mode_ == CgroupMode::kV2) {
      file = v2 + "/cgroup.freeze";
      frozen = "1";
    } else {
      return false;
    }
    auto text = ReadFile(file);
    if (!text.ok()) {
      if (text.status().code() == absl::StatusCode::kNotFound) return false;
      return Annotate(text.status(), "cgroup freezer state");
    }
    return absl::StartsWith(*text, frozen);
  }

  absl::Status Freeze(bool frozen) override {
    std::string file, want, done_file;
    if (auto it = paths_.find("freezer"); it != paths_.end()) {
      file = it->second + "/freezer.state";
      want = frozen ? "FROZEN" : "THAWED";
      done_file = file;
    } else if (std::string v2 = V2Path(); !v2.empty() && mode_ == CgroupMode::kV2) {
      file = v2 + "/cgroup.freeze";
      want = frozen ? "1" : "0";
      done_file = v2 + "/cgroup.events";
    } else {
      return absl::FailedPreconditionError(
          "no freezer: neither the v1 freezer nor cgroup v2 is mounted");
    }
    RETURN_IF_ERROR(WriteFile(file, want));
    for (int i = 0; i < 1000; ++i) {
      auto text = ReadFile(done_file);
      if (!text.ok()) return text.status();
      bool done = done_file == file
                      ? absl::StartsWith(*text, want)
                      : text->find(absl::StrCat("frozen ", want)) != std::string::npos;
      if (done) return absl::OkStatus();
      // v1 may sit in FREEZING: ask again, as runc does.
      if (done_file == file && frozen) (void)WriteFile(file, want);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return absl::DeadlineExceededError(absl::StrCat("cgroup did not become ", want, ": ", file));
  }

  nlohmann::json Stats() const override { return CgroupStats(mode_, paths_); }

  absl::StatusOr<std::vector<pid_t>> Pids() const override {
    if (paths_.empty()) return std::vector<pid_t>{};
    // Any hierarchy holds every process; prefer the unified one.
    std::string dir = paths_.count("unified") ? paths_.at("unified")
                      : paths_.count("")      ? paths_.at("")
                      : paths_.count("pids")  ? paths_.at("pids")
                                              : paths_.begin()->second;
    ASSIGN_OR_RETURN(std::string text, ReadFile(dir + "/cgroup.procs"));
    std::vector<pid_t> pids;
    for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
      int pid;
      if (absl::SimpleAtoi(line, &pid)) pids.push_back(pid);
    }
    return pids;
  }

  absl::Status Destroy() override {
    for (const auto& [name, dir] : paths_) {
      // A cgroup empties a moment after its last process is reaped.
      for (int attempt = 0;; ++attempt) {
        if (rmdir(dir.c_str()) == 0 || errno == ENOENT) break;
        if (errno != EBUSY || attempt >= 50) return ErrnoStatus("remove cgroup", dir);
        std::this_thread::sleep_for(std::chrono::milliseconds(2 * (attempt + 1)));
      }
    }
    return absl::OkStatus();
  }

 private:
  // A v1 cpuset cgroup starts with empty cpus/mems; a process can't join
  // until they are set, so copy the parent's (walking up as needed).
  static absl::Status InheritCpuset(const std::string& dir) {
    for (const char* file : {"cpuset.cpus", "cpuset.mems"}) {
      std::string path = absl::StrCat(dir, "/", file);
      auto cur = ReadFile(path);
      if (!cur.ok() || !absl::StripAsciiWhitespace(*cur).empty()) continue;
      std::string parent = dir.substr(0, dir.rfind('/'));
      std::string value;
      for (std::string p = parent; p.size() > 1; p = p.substr(0, p.rfind('/'))) {
        auto v = ReadFile(absl::StrCat(p, "/", file));
        if (!v.ok()) break;
        value = std::string(absl::StripAsciiWhitespace(*v));
        if (!value.empty()) break;
      }
      // Fill the chain from the top down.
      std::vector<std::string> chain;
      for (std::string p = dir; p.size() > 1; p = p.substr(0, p.rfind('/'))) {
        auto v = ReadFile(absl::StrCat(p, "/", file));
        if (!v.ok() || !absl::StripAsciiWhitespace(*v).empty()) break;
        chain.push_back(p);
      }
      for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        RETURN_IF_ERROR(WriteFile(absl::StrCat(*it, "/", file), value));
      }
    }
    return absl::OkStatus();
  }

  CgroupMode mode_;
  std::map<std::string, std::string> paths_;
};

std::string CleanJoin(const std::string& a, const std::string& b) {
  std::vector<std::string> parts;
  for (const std::string& s : {a, b}) {
    for (absl::string_view p : absl::StrSplit(s, '/', absl::SkipEmpty())) {
      if (p == ".") continue;
      if (p == "..") {
        if (!parts.empty()) parts.pop_back();
        continue;
      }
      parts.emplace_back(p);
    }
  }
  std::string out;
  for (const auto& p : parts) absl::StrAppend(&out, "/", p);
  return out.empty() ? "/" : out;
}

}  // namespace

absl::StatusOr<CgroupLayout> DetectCgroupLayout() {
  CgroupLayout layout;
  ASSIGN_OR_RETURN(std::string mountinfo, ReadFile("/proc/self/mountinfo"));
  bool have_v1 = false;
  for (absl::string_view line : absl::StrSplit(mountinfo, '\n', absl::SkipEmpty())) {
    // id parent maj:min root mountpoint options [optional...] - fstype source superopts
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    auto dash = std::find(f.begin(), f.end(), "-");
    if (f.size() < 5 || dash == f.end() || dash + 3 >= f.end() + 1) continue;
    absl::string_view fstype = *(dash + 1);
    std::string mountpoint(f[4]);
    if (fstype == "cgroup2") {
      if (layout.unified_root.empty()) layout.unified_root = mountpoint;
    } else if (fstype == "cgroup" && dash + 3 < f.end()) {
      std::string hierarchy;
      for (absl::string_view opt : absl::StrSplit(*(dash + 3), ',')) {
        static const char* kNonController[] = {"rw",     "ro",       "nosuid",  "nodev",
                                               "noexec", "relatime", "noatime", "clone_children",
                                               "xattr",  "noprefix"};
        bool skip = false;
        for (const char* n : kNonController) skip |= opt == n;
        if (skip || absl::StartsWith(opt, "release_agent=")) continue;
        absl::StrAppend(&hierarchy, hierarchy.empty() ? "" : ",", opt);
      }
      if (!hierarchy.empty() && !layout.v1_mounts.count(hierarchy)) {
        layout.v1_mounts[hierarchy] = mountpoint;
        have_v1 = true;
      }
    }
  }
  if (!have_v1 && layout.unified_root.empty())
    return absl::FailedPreconditionError("no cgroup filesystem is mounted");
  layout.mode = !have_v1                      ? CgroupMode::kV2
                : layout.unified_root.empty() ? CgroupMode::kV1
                                              : CgroupMode::kHybrid;
  ASSIGN_OR_RETURN(std::string self, ReadFile("/proc/self/cgroup"));
  for (absl::string_view line : absl::StrSplit(self, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> f = absl::StrSplit(line, absl::MaxSplits(':', 2));
    if (f.size() == 3) layout.self[std::string(f[1])] = std::string(f[2]);
  }
  return layout;
}

std::string ResolveCgroupPath(const std::string& cgroups_path, const std::string& own,
                              const std::string& id) {
  if (cgroups_path.empty()) return CleanJoin(own, id);
  if (cgroups_path[0] == '/') return CleanJoin("/", cgroups_path);
  return CleanJoin(own, cgroups_path);
}

std::unique_ptr<CgroupManager> NewCgroupManager(const CgroupLayout& layout,
                                                const std::string& cgroups_path,
                                                const std::string& id) {
  std::map<std::string, std::string> paths;
  auto own = [&](const std::string& h) {
    auto it = layout.self.find(h);
    return it == layout.self.end() ? std::string("/") : it->second;
  };
  if (layout.mode != CgroupMode::kV2) {
    for (const auto& [h, mnt] : layout.v1_mounts) {
      paths[h] = mnt + ResolveCgroupPath(cgroups_path, own(h), id);
    }
  }
  if (!layout.unified_root.empty()) {
    std::string key = layout.mode == CgroupMode::kV2 ? "" : "unified";
    std::string p = ResolveCgroupPath(cgroups_path, own(""), id);
    paths[key] = layout.unified_root + (p == "/" ? "" : p);
  }
  return std::make_unique<DirCgroupManager>(layout.mode, std::move(paths));
}

namespace {

// "a/b" -> "/a/b"; an error if a ".." would leave the container's cgroup.
absl::StatusOr<std::string> CleanSubPath(absl::string_view sub) {
  std::vector<absl::string_view> parts;
  for (absl::string_view p : absl::StrSplit(sub, '/', absl::SkipEmpty())) {
    if (p == ".") continue;
    if (p != "..") {
      parts.push_back(p);
    } else if (parts.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--cgroup: ", sub, " is not a sub cgroup path"));
    } else {
      parts.pop_back();
    }
  }
  return parts.empty() ? std::string() : absl::StrCat("/", absl::StrJoin(parts, "/"));
}

// The hierarchies (keys of paths) that hold controller c.
std::vector<std::string> HierarchiesOf(const std::map<std::string, std::string>& paths,
                                       absl::string_view c) {
  std::vector<std::string> out;
  for (const auto& [h, dir] : paths) {
    std::vector<absl::string_view> names = absl::StrSplit(h, ',');
    // v2 has one cgroup for all controllers.
    if (h.empty() || std::find(names.begin(), names.end(), c) != names.end()) out.push_back(h);
  }
  return out;
}

}  // namespace

absl::StatusOr<std::map<std::string, std::string>> SubCgroupPaths(
    const std::map<std::string, std::string>& paths, const std::vector<std::string>& specs) {
  std::map<std::string, std::string> out = paths;
  for (const std::string& spec : specs) {
    std::vector<std::string> targets;
    absl::string_view sub = spec;
    if (size_t colon = spec.find(':'); colon != std::string::npos) {
      sub = absl::string_view(spec).substr(colon + 1);
      for (absl::string_view c : absl::StrSplit(spec.substr(0, colon), ',')) {
        std::vector<std::string> hs = HierarchiesOf(paths, c);
        if (hs.empty())
          return absl::InvalidArgumentError(absl::StrCat("--cgroup: unknown controller ", c));
        targets.insert(targets.end(), hs.begin(), hs.end());
      }
    } else {
      for (const auto& [h, dir] : paths) targets.push_back(h);
    }
    ASSIGN_OR_RETURN(std::string clean, CleanSubPath(sub));
    for (const std::string& h : targets) out[h] = paths.at(h) + clean;
  }
  for (const auto& [h, dir] : out) {
    if (!PathExists(dir)) {
      return absl::NotFoundError(absl::StrCat("exec --cgroup: adding pid to cgroups: ", dir,
                                              "/cgroup.procs: no such file or directory"));
    }
  }
  return out;
}

std::unique_ptr<CgroupManager> CgroupManagerFromPaths(
    CgroupMode mode, const std::map<std::string, std::string>& paths) {
  return std::make_unique<DirCgroupManager>(mode, paths);
}

}  // namespace berth::runtime
