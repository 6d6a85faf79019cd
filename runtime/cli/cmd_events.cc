#include <unistd.h>

#include <chrono>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "runtime/cli/cli.h"
#include "runtime/container/container.h"

namespace berth::runtime::cli {
namespace {

// Go durations as runc takes them: "5s", "100ms", "1m".
absl::StatusOr<int64_t> ParseDurationMs(const std::string& text) {
  size_t end = text.find_first_not_of("0123456789.");
  double num;
  if (end == 0 || !absl::SimpleAtod(text.substr(0, end), &num)) {
    return absl::InvalidArgumentError("--interval: invalid duration \"" + text + "\"");
  }
  std::string unit = end == std::string::npos ? "" : text.substr(end);
  if (unit == "ms") return static_cast<int64_t>(num);
  if (unit == "s") return static_cast<int64_t>(num * 1000);
  if (unit == "m") return static_cast<int64_t>(num * 60000);
  return absl::InvalidArgumentError("--interval: invalid duration \"" + text + "\"");
}

absl::StatusOr<int> RunEvents(Context& ctx, const ParsedFlags& f) {
  RETURN_IF_ERROR(ExpectArgs(f, "events", 1));
  const std::string& id = f.positional()[0];
  if (f.Has("stats")) {
    ASSIGN_OR_RETURN(nlohmann::ordered_json stats, ContainerStats(ctx.store, id));
    printf("%s\n", stats.dump().c_str());
    return 0;
  }
  ASSIGN_OR_RETURN(int64_t interval, ParseDurationMs(f.GetOr("interval", "5s")));
  if (interval <= 0) return absl::InvalidArgumentError("duration interval must be greater than 0");
  // Stats every interval; an "oom" event as soon as the kernel's OOM-kill
  // counter grows (checked every 100 ms); until the container stops.
  using Clock = std::chrono::steady_clock;
  const auto period = std::chrono::milliseconds(interval);
  const auto tick = std::min(period, std::chrono::milliseconds(100));
  auto next_stats = Clock::now();
  ASSIGN_OR_RETURN(uint64_t ooms, ContainerOomKills(ctx.store, id));
  for (;;) {
    auto now_ooms = ContainerOomKills(ctx.store, id);
    if (!now_ooms.ok()) return 0;
    if (*now_ooms > ooms) {
      nlohmann::ordered_json oom;
      oom["type"] = "oom";
      oom["id"] = id;
      printf("%s\n", oom.dump().c_str());
      fflush(stdout);
    }
    ooms = *now_ooms;
    if (Clock::now() >= next_stats) {
      auto stats = ContainerStats(ctx.store, id);
      if (!stats.ok()) return 0;
      printf("%s\n", stats->dump().c_str());
      fflush(stdout);
      next_stats += period;
    }
    std::this_thread::sleep_for(tick);
  }
}

}  // namespace

const Command kEvents = {
    "events",
    "events [command options] <container-id>",
    "display container events such as OOM notifications, cpu, memory, and IO usage statistics",
    {{{"stats"}, false}, {{"interval"}, true}},
    RunEvents};

}  // namespace berth::runtime::cli
