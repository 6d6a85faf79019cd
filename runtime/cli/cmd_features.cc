#include "runtime/capabilities.h"
#include "runtime/cli/cli.h"
#include "sys/capability.h"

namespace berth::runtime::cli {

static absl::StatusOr<int> RunFeatures(Context&, const ParsedFlags& f) {
  RETURN_IF_ERROR(ExpectArgs(f, "features", 0));
  nlohmann::ordered_json j;
  j["ociVersionMin"] = "1.0.0";
  j["ociVersionMax"] = "1.2.0";
  j["hooks"] = {"prestart",       "createRuntime", "createContainer",
                "startContainer", "poststart",     "poststop"};
  j["mountOptions"] = {
      "async",      "atime",       "bind",       "defaults",    "dev",        "diratime",
      "dirsync",    "exec",        "lazytime",   "mand",        "noatime",    "nodev",
      "nodiratime", "noexec",      "nolazytime", "nomand",      "norelatime", "nostrictatime",
      "nosuid",     "private",     "rbind",      "relatime",    "remount",    "ro",
      "rprivate",   "rshared",     "rslave",     "runbindable", "rw",         "shared",
      "slave",      "strictatime", "suid",       "sync",        "tmpcopyup",  "unbindable"};
  nlohmann::ordered_json linux;
  linux["namespaces"] = {"cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts"};
  nlohmann::ordered_json caps = nlohmann::ordered_json::array();
  for (int c = 0; c <= LastCap(); ++c) {
    char* name = cap_to_name(c);
    std::string upper = name;
    cap_free(name);
    for (auto& ch : upper) ch = static_cast<char>(toupper(ch));
    caps.push_back(upper);
  }
  linux["capabilities"] = caps;
  linux["cgroup"] = {{"v1", true}, {"v2", true}, {"systemd", false}, {"systemdUser", false}};
  linux["apparmor"] = {{"enabled", false}};
  linux["selinux"] = {{"enabled", false}};
  j["linux"] = linux;
  printf("%s\n", j.dump(4).c_str());
  return 0;
}

const Command kFeatures = {"features", "features", "show the enabled features", {}, RunFeatures};

}  // namespace berth::runtime::cli
