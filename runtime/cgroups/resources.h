// linux.resources as typed values, and how they are written to cgroupfs:
// v1 (one file per controller hierarchy) and v2 (the unified tree). Writers
// take directories, so v2 is unit-tested on a plain directory.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/log.h"
#include "nlohmann/json.hpp"

namespace berth::runtime {

struct DeviceRule {
  bool allow = false;
  char type = 'a';               // a, c, b
  std::optional<int64_t> major;  // none: any
  std::optional<int64_t> minor;
  std::string access = "rwm";
  std::string V1Line() const;  // "c 1:3 rwm", "a *:* rwm"
};

struct ThrottleDevice {
  int64_t major = 0, minor = 0;
  uint64_t rate = 0;
};

struct WeightDevice {
  int64_t major = 0, minor = 0;
  std::optional<uint16_t> weight, leaf_weight;
};

struct Resources {
  struct {
    std::optional<int64_t> limit, reservation, swap;
    std::optional<uint64_t> swappiness;
    std::optional<bool> disable_oom_killer;
  } memory;
  struct {
    std::optional<uint64_t> shares, period, realtime_period;
    std::optional<int64_t> quota, realtime_runtime, idle;
    std::string cpus, mems;
  } cpu;
  std::optional<int64_t> pids_limit;
  struct {
    std::optional<uint16_t> weight, leaf_weight;
    std::vector<WeightDevice> weight_device;
    std::vector<ThrottleDevice> read_bps, write_bps, read_iops, write_iops;
  } block_io;
  std::vector<std::pair<std::string, uint64_t>> hugepage_limits;  // "2MB" -> bytes
  std::vector<DeviceRule> devices;
  std::optional<uint32_t> net_cls_classid;
  std::vector<std::pair<std::string, uint32_t>> net_prio;  // interface -> priority
  std::map<std::string, std::string> unified;
};

// Parses linux.resources (also `update -r`). Errors name the field:
// `linux.resources.memory.limit: expected an integer, got "1g"`.
absl::StatusOr<Resources> ParseResources(const nlohmann::json& j,
                                         const std::string& prefix = "linux.resources");

// The device rules a container always gets after its own (runc's list):
// mknod of anything, and the default devices, pts and ptmx.
const std::vector<DeviceRule>& DefaultAllowedDevices();

// rules followed by DefaultAllowedDevices(): what the kernel is given.
std::vector<DeviceRule> WithDefaultDevices(const std::vector<DeviceRule>& rules);

// Writes resources into v1 hierarchies: paths maps "memory", "cpu,cpuacct",
// ... to the container's directory. Files the kernel lacks are skipped with
// a warning, as runc does.
absl::Status ApplyV1(const Resources& r, const std::map<std::string, std::string>& paths,
                     Logger* log);

// Writes resources into a v2 directory (controllers enabled by the caller).
absl::Status ApplyV2(const Resources& r, const std::string& dir, Logger* log);

// The directory of the v1 hierarchy that has `controller` ("cpu" is in
// "cpu,cpuacct"), or "" if it is not mounted.
std::string ControllerDir(const std::map<std::string, std::string>& paths,
                          absl::string_view controller);

// v2 conversions (runc's, from the OCI v1-shaped values).
uint64_t CpuSharesToWeight(uint64_t shares);
uint64_t BlkioWeightToIoWeight(uint64_t weight);

// The v2 controllers a set of resources needs ("memory", "cpu", ...).
std::vector<std::string> V2ControllersFor(const Resources& r);

}  // namespace berth::runtime
