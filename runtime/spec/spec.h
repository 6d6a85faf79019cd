// The OCI runtime configuration (config.json) as typed C++ values: the part
// of runtime-spec 1.x that berth-runtime acts on. Sections it passes through
// without interpreting yet (linux.resources, linux.seccomp) stay as JSON.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace berth::runtime {

struct User {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::optional<uint32_t> umask;
  std::vector<uint32_t> additional_gids;
};

struct Rlimit {
  std::string type;  // "RLIMIT_NOFILE"
  int resource = -1;
  uint64_t soft = 0;
  uint64_t hard = 0;
};

struct Capabilities {
  std::vector<std::string> bounding, effective, inheritable, permitted, ambient;
};

struct ConsoleSize {
  uint32_t height = 0;
  uint32_t width = 0;
};

struct Process {
  bool terminal = false;
  std::optional<ConsoleSize> console_size;
  User user;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd = "/";
  std::optional<Capabilities> capabilities;
  std::vector<Rlimit> rlimits;
  bool no_new_privileges = false;
  std::optional<int> oom_score_adj;
  std::string apparmor_profile;
  std::string selinux_label;
};

struct Root {
  std::string path;
  bool readonly = false;
};

struct Mount {
  std::string destination;
  std::string type;
  std::string source;
  std::vector<std::string> options;
};

struct Hook {
  std::string path;
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::optional<int> timeout;  // seconds
};

struct Hooks {
  std::vector<Hook> prestart, create_runtime, create_container, start_container, poststart,
      poststop;
};

enum class NsType { kPid, kNetwork, kMount, kIpc, kUts, kUser, kCgroup, kTime };

struct Namespace {
  NsType type;
  std::string path;  // empty: create a new one
};

struct IdMapping {
  uint32_t container_id = 0;
  uint32_t host_id = 0;
  uint32_t size = 0;
};

struct Device {
  std::string path;
  char type = 'c';  // c, b, u, p
  int64_t major = 0;
  int64_t minor = 0;
  std::optional<uint32_t> file_mode;
  std::optional<uint32_t> uid;
  std::optional<uint32_t> gid;
};

struct Linux {
  std::vector<Namespace> namespaces;
  std::vector<IdMapping> uid_mappings, gid_mappings;
  std::map<std::string, std::string> sysctl;
  std::string cgroups_path;
  nlohmann::json resources;  // interpreted by the cgroup manager
  std::vector<Device> devices;
  std::vector<std::string> masked_paths, readonly_paths;
  std::string rootfs_propagation;
  std::string mount_label;
  nlohmann::json seccomp;
  std::map<std::string, int64_t> time_offsets_secs;  // "monotonic"/"boottime"
};

struct Spec {
  std::string oci_version;
  std::optional<Process> process;
  Root root;
  std::string hostname;
  std::string domainname;
  std::vector<Mount> mounts;
  Hooks hooks;
  std::map<std::string, std::string> annotations;
  Linux linux;

  // Helpers over linux.namespaces.
  const Namespace* FindNamespace(NsType type) const;
  bool HasNamespace(NsType type) const { return FindNamespace(type) != nullptr; }
};

// Namespace names as in config.json ("pid", "network", ...) and /proc/PID/ns.
const char* NsTypeName(NsType type);
const char* NsProcName(NsType type);  // "net" for network
std::optional<NsType> NsTypeFromName(const std::string& name);
int NsCloneFlag(NsType type);

// Parses config.json text. Errors name the field and value:
// `process.user.uid: expected an unsigned integer, got "abc"`.
absl::StatusOr<Spec> ParseSpec(const std::string& json_text);

// Parses a process.json (exec --process) with the same rules.
absl::StatusOr<Process> ParseProcess(const std::string& json_text);

// Serialises a Process back to JSON (for exec state and hooks).
nlohmann::json ProcessToJson(const Process& p);

// rlimit name -> RLIMIT_* number, -1 if unknown.
int RlimitFromName(const std::string& name);

}  // namespace berth::runtime
