#include "runtime/namespaces.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/status.h"
#include "common/unique_fd.h"

namespace berth::runtime {

int NewNamespaceFlags(const Spec& spec) {
  int flags = 0;
  for (const auto& ns : spec.linux.namespaces) {
    if (ns.path.empty()) flags |= NsCloneFlag(ns.type);
  }
  return flags;
}

static absl::Status Setns(const std::string& path, NsType type) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return ErrnoStatus(absl::StrCat("open ", NsTypeName(type), " namespace"), path);
  if (setns(fd.get(), NsCloneFlag(type)) != 0) {
    return ErrnoStatus(absl::StrCat("setns ", NsTypeName(type), " namespace"), path);
  }
  return absl::OkStatus();
}

absl::Status JoinNamespaces(const Spec& spec) {
  if (const Namespace* user = spec.FindNamespace(NsType::kUser); user && !user->path.empty()) {
    RETURN_IF_ERROR(Setns(user->path, NsType::kUser));
  }
  for (const auto& ns : spec.linux.namespaces) {
    if (ns.path.empty() || ns.type == NsType::kUser) continue;
    RETURN_IF_ERROR(Setns(ns.path, ns.type));
  }
  return absl::OkStatus();
}

absl::Status JoinProcessNamespaces(pid_t pid, const std::vector<NsType>& types) {
  auto same = [&](NsType t) {
    struct stat a, b;
    std::string mine = absl::StrCat("/proc/self/ns/", NsProcName(t));
    std::string theirs = absl::StrCat("/proc/", pid, "/ns/", NsProcName(t));
    return stat(mine.c_str(), &a) == 0 && stat(theirs.c_str(), &b) == 0 && a.st_ino == b.st_ino &&
           a.st_dev == b.st_dev;
  };
  // The user namespace first; the mount namespace last, since joining it
  // changes how /proc/PID paths resolve.
  std::vector<NsType> order;
  for (NsType t : types)
    if (t == NsType::kUser) order.push_back(t);
  for (NsType t : types)
    if (t != NsType::kUser && t != NsType::kMount) order.push_back(t);
  for (NsType t : types)
    if (t == NsType::kMount) order.push_back(t);
  std::vector<std::pair<NsType, UniqueFd>> fds;
  for (NsType t : order) {
    if (same(t)) continue;
    std::string path = absl::StrCat("/proc/", pid, "/ns/", NsProcName(t));
    UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return ErrnoStatus("open", path);
    fds.emplace_back(t, std::move(fd));
  }
  for (auto& [t, fd] : fds) {
    if (setns(fd.get(), NsCloneFlag(t)) != 0) {
      return ErrnoStatus(absl::StrCat("setns ", NsTypeName(t), " namespace of pid"),
                         std::to_string(pid));
    }
  }
  return absl::OkStatus();
}

static std::string MapText(const std::vector<IdMapping>& maps) {
  std::string out;
  for (const auto& m : maps)
    absl::StrAppend(&out, m.container_id, " ", m.host_id, " ", m.size, "\n");
  return out;
}

absl::Status WriteIdMappings(pid_t pid, const Spec& spec) {
  std::string base = absl::StrCat("/proc/", pid, "/");
  if (geteuid() != 0) RETURN_IF_ERROR(WriteFile(base + "setgroups", "deny"));
  RETURN_IF_ERROR(
      Annotate(WriteFile(base + "uid_map", MapText(spec.linux.uid_mappings)), "linux.uidMappings"));
  RETURN_IF_ERROR(
      Annotate(WriteFile(base + "gid_map", MapText(spec.linux.gid_mappings)), "linux.gidMappings"));
  return absl::OkStatus();
}

absl::Status WriteTimeOffsets(const Spec& spec) {
  std::string text;
  for (const auto& [clock, secs] : spec.linux.time_offsets_secs)
    absl::StrAppend(&text, clock, " ", secs, " 0\n");
  if (text.empty()) return absl::OkStatus();
  return Annotate(WriteFile("/proc/self/timens_offsets", text), "linux.timeOffsets");
}

}  // namespace berth::runtime
