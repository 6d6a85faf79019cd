#include "runtime/spec/validate.h"

#include <sys/capability.h>
#include <sys/stat.h>

#include <functional>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status.h"

namespace berth::runtime {
namespace {

using Check = std::function<absl::Status(const Spec&, const ValidateOptions&)>;

absl::Status Invalid(const std::string& msg) { return absl::InvalidArgumentError(msg); }

absl::Status CheckVersion(const Spec& s, const ValidateOptions&) {
  // runc accepts any 1.x; so do we (crun rejects 1.2+).
  if (!absl::StartsWith(s.oci_version, "1.")) {
    return Invalid(
        absl::StrCat("ociVersion: unsupported version \"", s.oci_version, "\" (want 1.x)"));
  }
  return absl::OkStatus();
}

absl::Status CheckRoot(const Spec& s, const ValidateOptions& o) {
  if (s.root.path.empty()) return Invalid("root.path: must be set");
  std::string path = s.root.path[0] == '/' ? s.root.path : absl::StrCat(o.bundle, "/", s.root.path);
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat("root.path: rootfs (", path, ") does not exist"));
  }
  if (!S_ISDIR(st.st_mode))
    return Invalid(absl::StrCat("root.path: rootfs (", path, ") is not a directory"));
  return absl::OkStatus();
}

absl::Status CheckProcess(const Spec& s, const ValidateOptions& o) {
  if (!s.process) {
    return o.require_process ? Invalid("process: must be set") : absl::OkStatus();
  }
  const Process& p = *s.process;
  if (o.require_process && p.args.empty()) return Invalid("process.args: must not be empty");
  if (p.cwd.empty() || p.cwd[0] != '/') {
    return Invalid(absl::StrCat("process.cwd: must be an absolute path, got \"", p.cwd, "\""));
  }
  for (const auto& e : p.env) {
    if (e.find('=') == std::string::npos) {
      return Invalid(absl::StrCat("process.env: \"", e, "\" is not of the form NAME=value"));
    }
  }
  if (p.oom_score_adj && (*p.oom_score_adj < -1000 || *p.oom_score_adj > 1000)) {
    return Invalid(
        absl::StrCat("process.oomScoreAdj: ", *p.oom_score_adj, " is outside [-1000, 1000]"));
  }
  std::set<std::string> seen;
  for (const auto& r : p.rlimits) {
    if (!seen.insert(r.type).second)
      return Invalid(absl::StrCat("process.rlimits: duplicate type ", r.type));
    if (r.soft > r.hard) {
      return Invalid(absl::StrCat("process.rlimits: ", r.type, " soft limit ", r.soft,
                                  " is above the hard limit ", r.hard));
    }
  }
  if (p.capabilities) {
    const auto& c = *p.capabilities;
    for (auto [field, list] : {std::pair{"bounding", &c.bounding},
                               {"effective", &c.effective},
                               {"inheritable", &c.inheritable},
                               {"permitted", &c.permitted},
                               {"ambient", &c.ambient}}) {
      for (const auto& name : *list) {
        RETURN_IF_ERROR(ValidateCapabilityName(name, absl::StrCat("process.capabilities.", field)));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CheckNamespaces(const Spec& s, const ValidateOptions&) {
  std::set<NsType> seen;
  for (const auto& ns : s.linux.namespaces) {
    if (!seen.insert(ns.type).second) {
      return Invalid(
          absl::StrCat("linux.namespaces: duplicate namespace \"", NsTypeName(ns.type), "\""));
    }
    if (!ns.path.empty()) {
      struct stat st;
      if (stat(ns.path.c_str(), &st) != 0) {
        return absl::NotFoundError(absl::StrCat("linux.namespaces: ", NsTypeName(ns.type),
                                                " path \"", ns.path, "\" does not exist"));
      }
    }
  }
  const Namespace* user = s.FindNamespace(NsType::kUser);
  bool new_user = user != nullptr && user->path.empty();
  if (new_user && (s.linux.uid_mappings.empty() || s.linux.gid_mappings.empty())) {
    return Invalid("linux.uidMappings: a new user namespace needs uidMappings and gidMappings");
  }
  if (user == nullptr && (!s.linux.uid_mappings.empty() || !s.linux.gid_mappings.empty())) {
    return Invalid("linux.uidMappings: user namespace mappings given without a user namespace");
  }
  if (!s.hostname.empty()) {
    const Namespace* uts = s.FindNamespace(NsType::kUts);
    if (uts == nullptr || !uts->path.empty()) {
      return Invalid("hostname: unable to set hostname without a private UTS namespace");
    }
  }
  if (!s.domainname.empty()) {
    const Namespace* uts = s.FindNamespace(NsType::kUts);
    if (uts == nullptr || !uts->path.empty()) {
      return Invalid("domainname: unable to set domainname without a private UTS namespace");
    }
  }
  if (!s.linux.time_offsets_secs.empty() && !s.HasNamespace(NsType::kTime)) {
    return Invalid("linux.timeOffsets: time offsets need a time namespace");
  }
  return absl::OkStatus();
}

absl::Status CheckMounts(const Spec& s, const ValidateOptions&) {
  for (size_t i = 0; i < s.mounts.size(); ++i) {
    const Mount& m = s.mounts[i];
    if (m.destination.empty())
      return Invalid(absl::StrCat("mounts[", i, "].destination: must be set"));
    if (m.destination[0] != '/') {
      return Invalid(absl::StrCat("mounts[", i, "].destination: \"", m.destination,
                                  "\" is not an absolute path"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckLinuxPaths(const Spec& s, const ValidateOptions&) {
  static const std::set<std::string> kPropagation = {"",         "shared",     "slave",
                                                     "private",  "rshared",    "rslave",
                                                     "rprivate", "unbindable", "runbindable"};
  if (!kPropagation.count(s.linux.rootfs_propagation)) {
    return Invalid(absl::StrCat("linux.rootfsPropagation: unknown propagation \"",
                                s.linux.rootfs_propagation, "\""));
  }
  for (const auto& [field, list] : {std::pair{"maskedPaths", &s.linux.masked_paths},
                                    {"readonlyPaths", &s.linux.readonly_paths}}) {
    for (const auto& p : *list) {
      if (p.empty() || p[0] != '/')
        return Invalid(absl::StrCat("linux.", field, ": \"", p, "\" is not an absolute path"));
    }
  }
  for (const auto& d : s.linux.devices) {
    if (d.path.empty() || d.path[0] != '/') {
      return Invalid(absl::StrCat("linux.devices: path \"", d.path, "\" is not absolute"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckSysctl(const Spec& s, const ValidateOptions&) {
  // As runc: net.* needs a private network namespace, the IPC ones an IPC one.
  for (const auto& [key, value] : s.linux.sysctl) {
    if (absl::StartsWith(key, "net.")) {
      const Namespace* ns = s.FindNamespace(NsType::kNetwork);
      if (ns == nullptr) {
        return Invalid(
            absl::StrCat("linux.sysctl: \"", key, "\" not allowed in host network namespace"));
      }
    } else if (absl::StartsWith(key, "kernel.msg") || absl::StartsWith(key, "kernel.sem") ||
               absl::StartsWith(key, "kernel.shm") || absl::StartsWith(key, "fs.mqueue.")) {
      if (!s.HasNamespace(NsType::kIpc)) {
        return Invalid(absl::StrCat("linux.sysctl: \"", key,
                                    "\" not allowed without a private IPC namespace"));
      }
    } else if (key == "kernel.hostname" || key == "kernel.domainname") {
      if (!s.HasNamespace(NsType::kUts)) {
        return Invalid(absl::StrCat("linux.sysctl: \"", key,
                                    "\" not allowed without a private UTS namespace"));
      }
    } else {
      return Invalid(absl::StrCat("linux.sysctl: \"", key,
                                  "\" is not namespaced and cannot be set in a container"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckHooks(const Spec& s, const ValidateOptions&) {
  for (const auto& [name, list] : {std::pair{"prestart", &s.hooks.prestart},
                                   {"createRuntime", &s.hooks.create_runtime},
                                   {"createContainer", &s.hooks.create_container},
                                   {"startContainer", &s.hooks.start_container},
                                   {"poststart", &s.hooks.poststart},
                                   {"poststop", &s.hooks.poststop}}) {
    for (const auto& h : *list) {
      if (h.path.empty() || h.path[0] != '/') {
        return Invalid(absl::StrCat("hooks.", name, ": path \"", h.path, "\" is not absolute"));
      }
      if (h.timeout && *h.timeout <= 0) {
        return Invalid(absl::StrCat("hooks.", name, ": timeout ", *h.timeout, " must be positive"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status CheckCgroupsPath(const Spec& s, const ValidateOptions&) {
  const std::string& p = s.linux.cgroups_path;
  if (std::count(p.begin(), p.end(), ':') == 2 && p[0] != '/') {
    return Invalid(
        absl::StrCat("linux.cgroupsPath: \"", p,
                     "\" is a systemd slice:prefix:name path; systemd cgroups are not supported"));
  }
  return absl::OkStatus();
}

const std::vector<std::pair<const char*, Check>>& Validators() {
  static const std::vector<std::pair<const char*, Check>> kTable = {
      {"version", CheckVersion},       {"root", CheckRoot},     {"process", CheckProcess},
      {"namespaces", CheckNamespaces}, {"mounts", CheckMounts}, {"linux-paths", CheckLinuxPaths},
      {"sysctl", CheckSysctl},         {"hooks", CheckHooks},   {"cgroups-path", CheckCgroupsPath},
  };
  return kTable;
}

}  // namespace

absl::Status ValidateCapabilityName(const std::string& name, const std::string& field) {
  cap_value_t v;
  if (!absl::StartsWith(name, "CAP_") || cap_from_name(name.c_str(), &v) != 0) {
    return Invalid(absl::StrCat(field, ": unknown capability \"", name, "\""));
  }
  return absl::OkStatus();
}

absl::Status ValidateSpec(const Spec& spec, const ValidateOptions& opts) {
  for (const auto& [name, check] : Validators()) {
    RETURN_IF_ERROR(check(spec, opts));
  }
  return absl::OkStatus();
}

}  // namespace berth::runtime
