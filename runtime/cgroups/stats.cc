#include "runtime/cgroups/stats.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "common/file_util.h"
#include "runtime/cgroups/manager.h"
#include "runtime/cgroups/resources.h"

namespace berth::runtime {
namespace {

uint64_t ReadU64(const std::string& path) {
  auto text = ReadFile(path);
  uint64_t v = 0;
  if (text.ok()) (void)absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &v);
  return v;
}

// "key value" lines (memory.stat, cpu.stat) -> map.
std::map<std::string, uint64_t> ReadKeyed(const std::string& path) {
  std::map<std::string, uint64_t> out;
  auto text = ReadFile(path);
  if (!text.ok()) return out;
  for (absl::string_view line : absl::StrSplit(*text, '\n', absl::SkipEmpty())) {
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    uint64_t v;
    if (f.size() == 2 && absl::SimpleAtoi(f[1], &v)) out[std::string(f[0])] = v;
  }
  return out;
}

nlohmann::json V1Stats(const std::map<std::string, std::string>& paths) {
  nlohmann::json data = nlohmann::json::object();
  if (std::string d = ControllerDir(paths, "cpuacct"); !d.empty()) {
    nlohmann::json percpu = nlohmann::json::array();
    auto text = ReadFile(d + "/cpuacct.usage_percpu");
    if (text.ok()) {
      for (absl::string_view v :
           absl::StrSplit(absl::StripAsciiWhitespace(*text), ' ', absl::SkipEmpty())) {
        uint64_t n = 0;
        (void)absl::SimpleAtoi(v, &n);
        percpu.push_back(n);
      }
    }
    auto st = ReadKeyed(d + "/cpuacct.stat");  // USER_HZ ticks
    const uint64_t ns_per_tick = 1000000000ull / 100;
    data["cpu"]["usage"] = {{"total", ReadU64(d + "/cpuacct.usage")},
                            {"percpu", percpu},
                            {"kernel", st["system"] * ns_per_tick},
                            {"user", st["user"] * ns_per_tick}};
  }
  if (std::string d = ControllerDir(paths, "cpu"); !d.empty()) {
    auto st = ReadKeyed(d + "/cpu.stat");
    data["cpu"]["throttling"] = {{"periods", st["nr_periods"]},
                                 {"throttled_periods", st["nr_throttled"]},
                                 {"throttled_time", st["throttled_time"]}};
  }
  if (std::string d = ControllerDir(paths, "memory"); !d.empty()) {
    auto entry = [&](const std::string& prefix) {
      return nlohmann::json{{"limit", ReadU64(d + "/" + prefix + "limit_in_bytes")},
                            {"usage", ReadU64(d + "/" + prefix + "usage_in_bytes")},
                            {"max", ReadU64(d + "/" + prefix + "max_usage_in_bytes")},
                            {"failcnt", ReadU64(d + "/" + prefix + "failcnt")}};
    };
    data["memory"] = {{"usage", entry("memory.")},
                      {"swap", entry("memory.memsw.")},
                      {"kernel", entry("memory.kmem.")},
                      {"raw", ReadKeyed(d + "/memory.stat")}};
  }
  if (std::string d = ControllerDir(paths, "pids"); !d.empty()) {
    auto max = ReadFile(d + "/pids.max");
    uint64_t limit = 0;
    if (max.ok()) (void)absl::SimpleAtoi(absl::StripAsciiWhitespace(*max), &limit);
    data["pids"] = {{"current", ReadU64(d + "/pids.current")}, {"limit", limit}};
  }
  data["blkio"] = nlohmann::json::object();
  data["hugetlb"] = nlohmann::json::object();
  return data;
}

nlohmann::json V2Stats(const std::string& d) {
  nlohmann::json data = nlohmann::json::object();
  auto cpu = ReadKeyed(d + "/cpu.stat");
  data["cpu"]["usage"] = {{"total", cpu["usage_usec"] * 1000},
                          {"kernel", cpu["system_usec"] * 1000},
                          {"user", cpu["user_usec"] * 1000}};
  data["cpu"]["throttling"] = {{"periods", cpu["nr_periods"]},
                               {"throttled_periods", cpu["nr_throttled"]},
                               {"throttled_time", cpu["throttled_usec"] * 1000}};
  auto max = ReadFile(d + "/memory.max");
  uint64_t limit = 0;
  if (max.ok()) (void)absl::SimpleAtoi(absl::StripAsciiWhitespace(*max), &limit);
  data["memory"] = {{"usage",
                     {{"usage", ReadU64(d + "/memory.current")},
                      {"limit", limit},
                      {"max", ReadU64(d + "/memory.peak")}}},
                    {"swap", {{"usage", ReadU64(d + "/memory.swap.current")}}},
                    {"raw", ReadKeyed(d + "/memory.stat")}};
  data["pids"] = {{"current", ReadU64(d + "/pids.current")}};
  data["blkio"] = nlohmann::json::object();
  data["hugetlb"] = nlohmann::json::object();
  return data;
}

}  // namespace

nlohmann::json CgroupStats(CgroupMode mode, const std::map<std::string, std::string>& paths) {
  if (mode == CgroupMode::kV2) {
    auto it = paths.find("");
    return it == paths.end() ? nlohmann::json::object() : V2Stats(it->second);
  }
  return V1Stats(paths);
}

}  // namespace berth::runtime
