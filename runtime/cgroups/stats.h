// Reading a container's usage from cgroupfs, as runc's `events --stats`
// reports it: {"cpu":{"usage":...,"throttling":...},"memory":{...},
// "pids":{...},"blkio":{...},"hugetlb":{...}}.
#pragma once

#include <map>
#include <string>

#include "nlohmann/json.hpp"

namespace berth::runtime {

enum class CgroupMode;

nlohmann::json CgroupStats(CgroupMode mode, const std::map<std::string, std::string>& paths);

}  // namespace berth::runtime
