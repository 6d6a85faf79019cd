#include "runtime/cgroups/resources.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/file_util.h"
#include "common/status.h"
#include "runtime/cgroups/devices_bpf.h"

namespace berth::runtime {
namespace {

using nlohmann::json;

struct Field {
  const json& v;
  std::string path;
  Field operator[](const char* key) const {
    static const json kNull;
    std::string p = absl::StrCat(path, ".", key);
    if (!v.is_object()) return {kNull, p};
    auto it = v.find(key);
    return {it == v.end() ? kNull : *it, p};
  }
  bool present() const { return !v.is_null(); }
};

absl::Status Bad(const Field& f, const char* expected) {
  std::string got = f.v.dump();
  return absl::InvalidArgumentError(absl::StrCat(f.path, ": expected ", expected, ", got ", got));
}

template <typename T>
absl::Status GetInt(const Field& f, std::optional<T>* out) {
  if (!f.present()) return absl::OkStatus();
  if (!f.v.is_number_integer()) return Bad(f, "an integer");
  if (std::is_unsigned_v<T> && f.v.is_number_integer() && !f.v.is_number_unsigned()) {
    return Bad(f, "a non-negative integer");
  }
  *out = f.v.get<T>();
  return absl::OkStatus();
}

absl::Status GetString(const Field& f, std::string* out) {
  if (!f.present()) return absl::OkStatus();
  if (!f.v.is_string()) return Bad(f, "a string");
  *out = f.v.get<std::string>();
  return absl::OkStatus();
}

absl::Status GetThrottles(const Field& f, std::vector<ThrottleDevice>* out) {
  if (!f.present()) return absl::OkStatus();
  if (!f.v.is_array()) return Bad(f, "an array");
  for (size_t i = 0; i < f.v.size(); ++i) {
    Field d{f.v[i], absl::StrCat(f.path, "[", i, "]")};
    std::optional<int64_t> major, minor;
    std::optional<uint64_t> rate;
    RETURN_IF_ERROR(GetInt(d["major"], &major));
    RETURN_IF_ERROR(GetInt(d["minor"], &minor));
    RETURN_IF_ERROR(GetInt(d["rate"], &rate));
    out->push_back({major.value_or(0), minor.value_or(0), rate.value_or(0)});
  }
  return absl::OkStatus();
}

// Writes value to dir/file; a file the kernel lacks is a warning.
absl::Status Write(const std::string& dir, const std::string& file, const std::string& value,
                   Logger* log) {
  std::string path = absl::StrCat(dir, "/", file);
  if (!PathExists(path)) {
    if (log != nullptr)
      log->Warn(absl::StrCat("cgroup file ", path, " does not exist: ", file, " not set"));
    return absl::OkStatus();
  }
  return Annotate(WriteFile(path, value), absl::StrCat("set ", file, "=", value));
}

// A period shorter than the current one may be refused (EINVAL) while the
// old quota over the new period would exceed the parent's limit: then the
// quota goes first and the period is written again after it (runc's order).
absl::Status WriteCfsPeriodQuota(const std::string& d, std::optional<uint64_t> period,
                                 std::optional<int64_t> quota, Logger* log) {
  bool retry_period = false;
  if (period) {
    absl::Status st = Write(d, "cpu.cfs_period_us", std::to_string(*period), log);
    retry_period = st.code() == absl::StatusCode::kInvalidArgument && quota.has_value();
    if (!st.ok() && !retry_period) return st;
  }
  if (quota) RETURN_IF_ERROR(Write(d, "cpu.cfs_quota_us", std::to_string(*quota), log));
  if (retry_period) RETURN_IF_ERROR(Write(d, "cpu.cfs_period_us", std::to_string(*period), log));
  return absl::OkStatus();
}

std::string Dev(int64_t major, int64_t minor) { return absl::StrCat(major, ":", minor); }

std::string Limit(int64_t v) { return v < 0 ? "-1" : std::to_string(v); }
std::string Max(int64_t v) { return v < 0 ? "max" : std::to_string(v); }

}  // namespace

std::string ControllerDir(const std::map<std::string, std::string>& paths,
                          absl::string_view controller) {
  for (const auto& [h, dir] : paths) {
    for (absl::string_view c : absl::StrSplit(h, ',')) {
      if (c == controller) return dir;
    }
  }
  return "";
}

std::string DeviceRule::V1Line() const {
  auto num = [](const std::optional<int64_t>& n) {
    return n && *n >= 0 ? std::to_string(*n) : std::string("*");
  };
  return absl::StrCat(std::string(1, type), " ", num(major), ":", num(minor), " ", access);
}

const std::vector<DeviceRule>& DefaultAllowedDevices() {
  static const std::vector<DeviceRule> kRules = {
      {true, 'c', std::nullopt, std::nullopt, "m"},
      {true, 'b', std::nullopt, std::nullopt, "m"},
      {true, 'c', 1, 3, "rwm"},
      {true, 'c', 1, 8, "rwm"},
      {true, 'c', 1, 7, "rwm"},
      {true, 'c', 5, 0, "rwm"},
      {true, 'c', 1, 5, "rwm"},
      {true, 'c', 1, 9, "rwm"},
      {true, 'c', 136, std::nullopt, "rwm"},
      {true, 'c', 5, 2, "rwm"},
      {true, 'c', 10, 200, "rwm"},
  };
  return kRules;
}

std::vector<DeviceRule> WithDefaultDevices(const std::vector<DeviceRule>& rules) {
  std::vector<DeviceRule> all = rules;
  all.insert(all.end(), DefaultAllowedDevices().begin(), DefaultAllowedDevices().end());
  return all;
}

absl::StatusOr<Resources> ParseResources(const json& j, const std::string& prefix) {
  Resources r;
  if (j.is_null()) return r;
  Field root{j, prefix};
  if (!j.is_object()) return Bad(root, "an object");
  Field m = root["memory"];
  RETURN_IF_ERROR(GetInt(m["limit"], &r.memory.limit));
  RETURN_IF_ERROR(GetInt(m["reservation"], &r.memory.reservation));
  RETURN_IF_ERROR(GetInt(m["swap"], &r.memory.swap));
  RETURN_IF_ERROR(GetInt(m["swappiness"], &r.memory.swappiness));
  if (r.memory.swappiness && *r.memory.swappiness > 100) return Bad(m["swappiness"], "0..100");
  if (m["disableOOMKiller"].present()) {
    if (!m["disableOOMKiller"].v.is_boolean()) return Bad(m["disableOOMKiller"], "a boolean");
    r.memory.disable_oom_killer = m["disableOOMKiller"].v.get<bool>();
  }
  Field c = root["cpu"];
  RETURN_IF_ERROR(GetInt(c["shares"], &r.cpu.shares));
  RETURN_IF_ERROR(GetInt(c["quota"], &r.cpu.quota));
  RETURN_IF_ERROR(GetInt(c["period"], &r.cpu.period));
  RETURN_IF_ERROR(GetInt(c["realtimeRuntime"], &r.cpu.realtime_runtime));
  RETURN_IF_ERROR(GetInt(c["realtimePeriod"], &r.cpu.realtime_period));
  RETURN_IF_ERROR(GetInt(c["idle"], &r.cpu.idle));
  RETURN_IF_ERROR(GetString(c["cpus"], &r.cpu.cpus));
  RETURN_IF_ERROR(GetString(c["mems"], &r.cpu.mems));
  RETURN_IF_ERROR(GetInt(root["pids"]["limit"], &r.pids_limit));
  Field b = root["blockIO"];
  RETURN_IF_ERROR(GetInt(b["weight"], &r.block_io.weight));
  RETURN_IF_ERROR(GetInt(b["leafWeight"], &r.block_io.leaf_weight));
  if (Field wd = b["weightDevice"]; wd.present()) {
    if (!wd.v.is_array()) return Bad(wd, "an array");
    for (size_t i = 0; i < wd.v.size(); ++i) {
      Field d{wd.v[i], absl::StrCat(wd.path, "[", i, "]")};
      WeightDevice w;
      std::optional<int64_t> major, minor;
      RETURN_IF_ERROR(GetInt(d["major"], &major));
      RETURN_IF_ERROR(GetInt(d["minor"], &minor));
      RETURN_IF_ERROR(GetInt(d["weight"], &w.weight));
      RETURN_IF_ERROR(GetInt(d["leafWeight"], &w.leaf_weight));
      w.major = major.value_or(0);
      w.minor = minor.value_or(0);
      r.block_io.weight_device.push_back(w);
    }
  }
  RETURN_IF_ERROR(GetThrottles(b["throttleReadBpsDevice"], &r.block_io.read_bps));
  RETURN_IF_ERROR(GetThrottles(b["throttleWriteBpsDevice"], &r.block_io.write_bps));
  RETURN_IF_ERROR(GetThrottles(b["throttleReadIOPSDevice"], &r.block_io.read_iops));
  RETURN_IF_ERROR(GetThrottles(b["throttleWriteIOPSDevice"], &r.block_io.write_iops));
  if (Field h = root["hugepageLimits"]; h.present()) {
    if (!h.v.is_array()) return Bad(h, "an array");
    for (size_t i = 0; i < h.v.size(); ++i) {
      Field e{h.v[i], absl::StrCat(h.path, "[", i, "]")};
      std::string size;
      std::optional<uint64_t> limit;
      RETURN_IF_ERROR(GetString(e["pageSize"], &size));
      RETURN_IF_ERROR(GetInt(e["limit"], &limit));
      r.hugepage_limits.emplace_back(size, limit.value_or(0));
    }
  }
  if (Field d = root["devices"]; d.present()) {
    if (!d.v.is_array()) return Bad(d, "an array");
    for (size_t i = 0; i < d.v.size(); ++i) {
      Field e{d.v[i], absl::StrCat(d.path, "[", i, "]")};
      DeviceRule rule;
      if (!e["allow"].v.is_boolean()) return Bad(e["allow"], "a boolean");
      rule.allow = e["allow"].v.get<bool>();
      std::string type = "a";
      RETURN_IF_ERROR(GetString(e["type"], &type));
      if (type.size() != 1 || std::string("acb").find(type[0]) == std::string::npos) {
        return Bad(e["type"], "\"a\", \"c\" or \"b\"");
      }
      rule.type = type[0];
      RETURN_IF_ERROR(GetInt(e["major"], &rule.major));
      RETURN_IF_ERROR(GetInt(e["minor"], &rule.minor));
      RETURN_IF_ERROR(GetString(e["access"], &rule.access));
      if (rule.access.empty()) rule.access = "rwm";
      // runc accepts any letters and acts on r, w and m only: keep those.
      rule.access.erase(std::remove_if(rule.access.begin(), rule.access.end(),
                                       [](char c) { return c != 'r' && c != 'w' && c != 'm'; }),
                        rule.access.end());
      if (rule.access.empty()) return Bad(e["access"], "at least one of \"r\", \"w\", \"m\"");
      r.devices.push_back(rule);
    }
  }
  Field n = root["network"];
  RETURN_IF_ERROR(GetInt(n["classID"], &r.net_cls_classid));
  if (Field p = n["priorities"]; p.present() && p.v.is_array()) {
    for (const auto& e : p.v) r.net_prio.emplace_back(e.value("name", ""), e.value("priority", 0u));
  }
  // As runc (and what dockerd sends): zero means "not set" for these.
  auto unset_zero = [](auto& v) {
    if (v && *v == 0) v.reset();
  };
  unset_zero(r.memory.limit);
  unset_zero(r.memory.reservation);
  unset_zero(r.memory.swap);
  unset_zero(r.cpu.shares);
  unset_zero(r.cpu.quota);
  unset_zero(r.cpu.period);
  unset_zero(r.cpu.realtime_runtime);
  unset_zero(r.cpu.realtime_period);
  unset_zero(r.pids_limit);
  unset_zero(r.block_io.weight);
  unset_zero(r.block_io.leaf_weight);
  unset_zero(r.net_cls_classid);
  if (Field u = root["unified"]; u.present()) {
    if (!u.v.is_object()) return Bad(u, "an object");
    for (auto& [k, v] : u.v.items()) {
      if (!v.is_string()) return Bad(Field{v, absl::StrCat(u.path, ".", k)}, "a string");
      if (k.find('/') != std::string::npos)
        return Bad(Field{v, absl::StrCat(u.path, ".", k)}, "a file name");
      r.unified[k] = v.get<std::string>();
    }
  }
  return r;
}

uint64_t CpuSharesToWeight(uint64_t shares) {
  if (shares == 0) return 0;
  return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t BlkioWeightToIoWeight(uint64_t weight) {
  if (weight == 0) return 0;
  return 1 + (weight - 10) * 9999 / 990;
}

absl::Status ApplyV1(const Resources& r, const std::map<std::string, std::string>& paths,
                     Logger* log) {
  if (std::string d = ControllerDir(paths, "memory"); !d.empty()) {
    auto m = r.memory;
    // No memory limit means no swap limit either, as runc (when the kernel
    // has memsw at all).
    if (m.limit && *m.limit < 0 && !m.swap && PathExists(d + "/memory.memsw.limit_in_bytes"))
      m.swap = -1;
    if (m.limit || m.swap) {
      // memsw must stay >= the limit at every step: order the two writes.
      auto cur = ReadFile(d + "/memory.memsw.limit_in_bytes");
      int64_t cur_memsw = cur.ok() ? std::atoll(cur->c_str()) : -1;
      bool memsw_first = m.swap && m.limit && (*m.limit < 0 || *m.limit > cur_memsw);
      if (memsw_first)
        RETURN_IF_ERROR(Write(d, "memory.memsw.limit_in_bytes", Limit(*m.swap), log));
      if (m.limit) RETURN_IF_ERROR(Write(d, "memory.limit_in_bytes", Limit(*m.limit), log));
      if (m.swap && !memsw_first)
        RETURN_IF_ERROR(Write(d, "memory.memsw.limit_in_bytes", Limit(*m.swap), log));
    }
    if (m.reservation)
      RETURN_IF_ERROR(Write(d, "memory.soft_limit_in_bytes", Limit(*m.reservation), log));
    if (m.swappiness)
      RETURN_IF_ERROR(Write(d, "memory.swappiness", std::to_string(*m.swappiness), log));
    if (m.disable_oom_killer)
      RETURN_IF_ERROR(Write(d, "memory.oom_control", *m.disable_oom_killer ? "1" : "0", log));
  }
  if (std::string d = ControllerDir(paths, "cpu"); !d.empty()) {
    const auto& c = r.cpu;
    if (c.shares) RETURN_IF_ERROR(Write(d, "cpu.shares", std::to_string(*c.shares), log));
    RETURN_IF_ERROR(WriteCfsPeriodQuota(d, c.period, c.quota, log));
    if (c.realtime_period)
      RETURN_IF_ERROR(Write(d, "cpu.rt_period_us", std::to_string(*c.realtime_period), log));
    if (c.realtime_runtime)
      RETURN_IF_ERROR(Write(d, "cpu.rt_runtime_us", std::to_string(*c.realtime_runtime), log));
  }
  if (std::string d = ControllerDir(paths, "cpuset"); !d.empty()) {
    if (!r.cpu.cpus.empty()) RETURN_IF_ERROR(Write(d, "cpuset.cpus", r.cpu.cpus, log));
    if (!r.cpu.mems.empty()) RETURN_IF_ERROR(Write(d, "cpuset.mems", r.cpu.mems, log));
  }
  if (std::string d = ControllerDir(paths, "pids"); !d.empty() && r.pids_limit) {
    RETURN_IF_ERROR(
        Write(d, "pids.max", *r.pids_limit > 0 ? std::to_string(*r.pids_limit) : "max", log));
  }
  if (std::string d = ControllerDir(paths, "blkio"); !d.empty()) {
    const auto& b = r.block_io;
    if (b.weight) {
      const char* file = PathExists(d + "/blkio.weight") ? "blkio.weight" : "blkio.bfq.weight";
      RETURN_IF_ERROR(Write(d, file, std::to_string(*b.weight), log));
    }
    if (b.leaf_weight)
      RETURN_IF_ERROR(Write(d, "blkio.leaf_weight", std::to_string(*b.leaf_weight), log));
    // Without CFQ the per-device weights are BFQ's.
    const char* weight_device =
        PathExists(d + "/blkio.weight_device") ? "blkio.weight_device" : "blkio.bfq.weight_device";
    for (const auto& w : b.weight_device) {
      if (w.weight)
        RETURN_IF_ERROR(
            Write(d, weight_device, absl::StrCat(Dev(w.major, w.minor), " ", *w.weight), log));
      if (w.leaf_weight)
        RETURN_IF_ERROR(Write(d, "blkio.leaf_weight_device",
                              absl::StrCat(Dev(w.major, w.minor), " ", *w.leaf_weight), log));
    }
    for (const auto& [file, list] : {std::pair{"blkio.throttle.read_bps_device", &b.read_bps},
                                     {"blkio.throttle.write_bps_device", &b.write_bps},
                                     {"blkio.throttle.read_iops_device", &b.read_iops},
                                     {"blkio.throttle.write_iops_device", &b.write_iops}}) {
      for (const auto& t : *list)
        RETURN_IF_ERROR(Write(d, file, absl::StrCat(Dev(t.major, t.minor), " ", t.rate), log));
    }
  }
  if (std::string d = ControllerDir(paths, "hugetlb"); !d.empty()) {
    for (const auto& [size, limit] : r.hugepage_limits) {
      RETURN_IF_ERROR(
          Write(d, absl::StrCat("hugetlb.", size, ".limit_in_bytes"), std::to_string(limit), log));
    }
  }
  if (std::string d = ControllerDir(paths, "devices"); !d.empty() && !r.devices.empty()) {
    for (const auto& rule : WithDefaultDevices(r.devices)) {
      RETURN_IF_ERROR(Write(d, rule.allow ? "devices.allow" : "devices.deny", rule.V1Line(), log));
    }
  }
  if (std::string d = ControllerDir(paths, "net_cls"); !d.empty() && r.net_cls_classid) {
    RETURN_IF_ERROR(Write(d, "net_cls.classid", std::to_string(*r.net_cls_classid), log));
  }
  if (std::string d = ControllerDir(paths, "net_prio"); !d.empty()) {
    for (const auto& [ifname, prio] : r.net_prio)
      RETURN_IF_ERROR(Write(d, "net_prio.ifpriomap", absl::StrCat(ifname, " ", prio), log));
  }
  return absl::OkStatus();
}

absl::Status ApplyV2(const Resources& r, const std::string& d, Logger* log) {
  const auto& m = r.memory;
  if (m.limit) RETURN_IF_ERROR(Write(d, "memory.max", Max(*m.limit), log));
  if (m.reservation) RETURN_IF_ERROR(Write(d, "memory.low", Max(*m.reservation), log));
  if (m.swap) {
    // OCI's swap is memory+swap; v2's memory.swap.max is swap alone.
    int64_t swap = *m.swap < 0 ? -1 : (m.limit && *m.limit >= 0 ? *m.swap - *m.limit : *m.swap);
    if (swap < -1)
      return absl::InvalidArgumentError("linux.resources.memory.swap: below memory.limit");
    RETURN_IF_ERROR(Write(d, "memory.swap.max", Max(swap), log));
  }
  if (m.swappiness && log != nullptr)
    log->Warn("memory.swappiness is not supported on cgroup v2: ignored");
  if (m.disable_oom_killer && *m.disable_oom_killer && log != nullptr) {
    log->Warn("disableOOMKiller is not supported on cgroup v2: ignored");
  }
  const auto& c = r.cpu;
  if (c.shares)
    RETURN_IF_ERROR(Write(d, "cpu.weight", std::to_string(CpuSharesToWeight(*c.shares)), log));
  if (c.quota || c.period) {
    std::string quota = c.quota && *c.quota > 0 ? std::to_string(*c.quota) : "max";
    RETURN_IF_ERROR(Write(d, "cpu.max", absl::StrCat(quota, " ", c.period.value_or(100000)), log));
  }
  if (c.idle) RETURN_IF_ERROR(Write(d, "cpu.idle", std::to_string(*c.idle), log));
  if (!c.cpus.empty()) RETURN_IF_ERROR(Write(d, "cpuset.cpus", c.cpus, log));
  if (!c.mems.empty()) RETURN_IF_ERROR(Write(d, "cpuset.mems", c.mems, log));
  if (r.pids_limit)
    RETURN_IF_ERROR(
        Write(d, "pids.max", *r.pids_limit > 0 ? std::to_string(*r.pids_limit) : "max", log));
  const auto& b = r.block_io;
  if (b.weight)
    RETURN_IF_ERROR(
        Write(d, "io.weight", absl::StrCat("default ", BlkioWeightToIoWeight(*b.weight)), log));
  for (const auto& [key, list] : {std::pair{"rbps", &b.read_bps},
                                  {"wbps", &b.write_bps},
                                  {"riops", &b.read_iops},
                                  {"wiops", &b.write_iops}}) {
    for (const auto& t : *list)
      RETURN_IF_ERROR(
          Write(d, "io.max", absl::StrCat(Dev(t.major, t.minor), " ", key, "=", t.rate), log));
  }
  for (const auto& [size, limit] : r.hugepage_limits) {
    RETURN_IF_ERROR(Write(d, absl::StrCat("hugetlb.", size, ".max"), std::to_string(limit), log));
  }
  if (!r.devices.empty()) {
    RETURN_IF_ERROR(
        Annotate(AttachDeviceFilter(d, WithDefaultDevices(r.devices)), "linux.resources.devices"));
  }
  for (const auto& [key, value] : r.unified) {
    std::string path = absl::StrCat(d, "/", key);
    if (!PathExists(path)) {
      return absl::NotFoundError(
          absl::StrCat("linux.resources.unified: invalid configuration: ", key,
                       " is not a file of this cgroup (controller not enabled, or a cgroup v1 "
                       "controller?)"));
    }
    RETURN_IF_ERROR(
        Annotate(WriteFile(path, value), absl::StrCat("linux.resources.unified.", key)));
  }
  return absl::OkStatus();
}

std::vector<std::string> V2ControllersFor(const Resources& r) {
  std::vector<std::string> out;
  if (r.memory.limit || r.memory.reservation || r.memory.swap) out.push_back("memory");
  if (r.cpu.shares || r.cpu.quota || r.cpu.period || r.cpu.idle) out.push_back("cpu");
  if (!r.cpu.cpus.empty() || !r.cpu.mems.empty()) out.push_back("cpuset");
  if (r.pids_limit) out.push_back("pids");
  const auto& b = r.block_io;
  if (b.weight || !b.read_bps.empty() || !b.write_bps.empty() || !b.read_iops.empty() ||
      !b.write_iops.empty()) {
    out.push_back("io");
  }
  if (!r.hugepage_limits.empty()) out.push_back("hugetlb");
  for (const auto& [key, value] : r.unified) {
    std::string controller = key.substr(0, key.find('.'));
    if (controller != "cgroup" && std::find(out.begin(), out.end(), controller) == out.end())
      out.push_back(controller);
  }
  return out;
}

}  // namespace berth::runtime
