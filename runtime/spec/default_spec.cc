#include "runtime/spec/default_spec.h"

#include "nlohmann/json.hpp"

namespace berth::runtime {

namespace {
// runtime-spec's example configuration, as runc 1.1 prints it.
constexpr const char* kDefault = R"({
  "ociVersion": "1.0.2-dev",
  "process": {
    "terminal": true,
    "user": {"uid": 0, "gid": 0},
    "args": ["sh"],
    "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"],
    "cwd": "/",
    "capabilities": {
      "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
      "ambient": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    },
    "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
    "noNewPrivileges": true
  },
  "root": {"path": "rootfs", "readonly": true},
  "hostname": "runc",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
     "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
     "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
     "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
    {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
     "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs",
     "options": ["nosuid", "noexec", "nodev", "ro"]},
    {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
     "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}
  ],
  "linux": {
    "resources": {"devices": [{"allow": false, "access": "rwm"}]},
    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}],
    "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
                    "/proc/scsi"],
    "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
  }
})";
}  // namespace

std::string DefaultSpecJson(bool rootless, uid_t uid, gid_t gid) {
  using Json = nlohmann::ordered_json;
  Json spec = Json::parse(kDefault);
  if (rootless) {
    // As `runc spec --rootless`: no network namespace, a user namespace
    // mapping root to the caller, /sys bound from the host, no gid=5.
    Json& linux = spec["linux"];
    linux.erase("resources");
    Json ns = Json::array();
    for (const auto& n : linux["namespaces"]) {
      if (n["type"] != "network") ns.push_back(n);
    }
    ns.push_back({{"type", "user"}});
    Json maps_uid = Json::array({Json{{"containerID", 0}, {"hostID", uid}, {"size", 1}}});
    Json maps_gid = Json::array({Json{{"containerID", 0}, {"hostID", gid}, {"size", 1}}});
    Json rebuilt;
    rebuilt["uidMappings"] = maps_uid;
    rebuilt["gidMappings"] = maps_gid;
    rebuilt["namespaces"] = ns;
    rebuilt["maskedPaths"] = linux["maskedPaths"];
    rebuilt["readonlyPaths"] = linux["readonlyPaths"];
    linux = rebuilt;
    for (auto& m : spec["mounts"]) {
      if (m["destination"] == "/dev/pts") {
        m["options"] =
            Json::array({"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"});
      } else if (m["destination"] == "/sys") {
        m["type"] = "none";
        m["source"] = "/sys";
        m["options"] = Json::array({"rbind", "nosuid", "noexec", "nodev", "ro"});
      }
    }
  }
  return spec.dump(1, '\t');
}

}  // namespace berth::runtime
