#include "runtime/container/state.h"

#include <dirent.h>
#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <regex>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/file_util.h"
#include "common/status.h"

namespace berth::runtime {

const char* StatusName(ContainerStatus s) {
  switch (s) {
    case ContainerStatus::kCreating:
      return "creating";
    case ContainerStatus::kCreated:
      return "created";
    case ContainerStatus::kRunning:
      return "running";
    case ContainerStatus::kPaused:
      return "paused";
    case ContainerStatus::kStopped:
      return "stopped";
  }
  return "unknown";
}

absl::Status ValidateContainerId(const std::string& id) {
  static const std::regex kValid(R"(^[\w+\-\.]+$)");
  if (id.empty()) return absl::InvalidArgumentError("container id cannot be empty");
  if (id == "." || id == ".." || !std::regex_match(id, kValid)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid container id format: ", id));
  }
  return absl::OkStatus();
}

absl::Status StateStore::Reserve(const std::string& id) const {
  RETURN_IF_ERROR(ValidateContainerId(id));
  RETURN_IF_ERROR(MkdirAll(root_, 0711));
  if (mkdir(Dir(id).c_str(), 0711) != 0) {
    if (errno == EEXIST)
      return absl::AlreadyExistsError(absl::StrCat("container with id exists: ", id));
    return ErrnoStatus("mkdir", Dir(id));
  }
  return absl::OkStatus();
}

absl::Status StateStore::Save(const ContainerState& s) const {
  nlohmann::json j = {{"id", s.id},
                      {"pid", s.pid},
                      {"start_time", s.start_time},
                      {"bundle", s.bundle},
                      {"rootfs", s.rootfs},
                      {"created", s.created},
                      {"cgroup_mode", static_cast<int>(s.cgroup_mode)},
                      {"cgroup_paths", s.cgroup_paths},
                      {"config", s.config}};
  return WriteFileAtomic(Dir(s.id) + "/state.json", j.dump(), 0600);
}

absl::StatusOr<ContainerState> StateStore::Load(const std::string& id) const {
  RETURN_IF_ERROR(ValidateContainerId(id));
  auto text = ReadFile(Dir(id) + "/state.json");
  if (!text.ok()) {
    if (text.status().code() == absl::StatusCode::kNotFound)
      return absl::NotFoundError("container does not exist");
    return text.status();
  }
  auto j = nlohmann::json::parse(*text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::DataLossError(
        absl::StrCat("state of container ", id, " is corrupt: ", Dir(id), "/state.json"));
  }
  ContainerState s;
  s.id = j.value("id", id);
  s.pid = j.value("pid", 0);
  s.start_time = j.value("start_time", uint64_t{0});
  s.bundle = j.value("bundle", "");
  s.rootfs = j.value("rootfs", "");
  s.created = j.value("created", "");
  s.cgroup_mode = static_cast<CgroupMode>(j.value("cgroup_mode", 2));
  s.cgroup_paths = j.value("cgroup_paths", std::map<std::string, std::string>{});
  s.config = j.value("config", nlohmann::json::object());
  return s;
}

absl::Status StateStore::Remove(const std::string& id) const { return RemoveAll(Dir(id)); }

std::vector<std::string> StateStore::List() const {
  std::vector<std::string> ids;
  DIR* d = opendir(root_.c_str());
  if (d == nullptr) return ids;
  while (struct dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    if (PathExists(Dir(name) + "/state.json")) ids.push_back(name);
  }
  closedir(d);
  std::sort(ids.begin(), ids.end());
  return ids;
}

uid_t StateStore::Owner(const std::string& id) const {
  struct stat st;
  return stat(Dir(id).c_str(), &st) == 0 ? st.st_uid : 0;
}

uint64_t ProcessStartTime(pid_t pid) {
  if (pid <= 0) return 0;
  auto text = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  if (!text.ok()) return 0;
  // The command name may hold spaces and parens: fields start after the last ')'.
  size_t close = text->rfind(')');
  if (close == std::string::npos) return 0;
  std::vector<absl::string_view> f =
      absl::StrSplit(absl::string_view(*text).substr(close + 2), ' ');
  // f[0] is field 3 (state); starttime is field 22.
  if (f.size() < 20 || f[0] == "Z" || f[0] == "X") return 0;
  uint64_t start = 0;
  return absl::SimpleAtoi(f[19], &start) ? start : 0;
}

ContainerStatus ComputeStatus(const StateStore& store, const ContainerState& s) {
  if (s.pid <= 0) return ContainerStatus::kStopped;
  uint64_t start = ProcessStartTime(s.pid);
  if (start == 0 || start != s.start_time) return ContainerStatus::kStopped;
  if (PathExists(store.FifoPath(s.id))) return ContainerStatus::kCreated;
  for (const auto& [name, dir] : s.cgroup_paths) {
    if (name == "freezer") {
      auto f = ReadFile(dir + "/freezer.state");
      if (f.ok() && absl::StartsWith(*f, "FROZEN")) return ContainerStatus::kPaused;
    } else if (name.empty()) {
      auto f = ReadFile(dir + "/cgroup.freeze");
      if (f.ok() && absl::StartsWith(*f, "1")) return ContainerStatus::kPaused;
    }
  }
  return ContainerStatus::kRunning;
}

nlohmann::json OciState(const ContainerState& s, ContainerStatus status) {
  nlohmann::json out = nlohmann::json::object();
  out["ociVersion"] = s.config.is_object() ? s.config.value("ociVersion", "1.0.2") : "1.0.2";
  out["id"] = s.id;
  out["status"] = StatusName(status);
  if (status != ContainerStatus::kStopped) out["pid"] = s.pid;  // runc omits it
  out["bundle"] = s.bundle;
  if (s.config.is_object()) {
    auto ann = s.config.find("annotations");
    if (ann != s.config.end() && ann->is_object() && !ann->empty()) out["annotations"] = *ann;
  }
  return out;
}

std::string NowRfc3339Nano() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char date[32];
  strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string frac = absl::StrFormat("%09ld", ts.tv_nsec);
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  return absl::StrCat(date, frac.empty() ? "" : ".", frac, "Z");
}

}  // namespace berth::runtime
