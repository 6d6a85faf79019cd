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
  // Stats every interval, and an "oom" event when the kernel's OOM-kill
  // counter grows, until the container stops.
  uint64_t ooms = 0;
  for (bool first = true;; first = false) {
    auto stats = ContainerStats(ctx.store, id);
    if (!stats.ok()) return first ? stats.status() : absl::StatusOr<int>(0);
    const auto& raw = (*stats)["data"]["memory"]["raw"];
    uint64_t now = raw.is_object() ? raw.value("oom_kill", uint64_t{0}) : 0;
    if (now > ooms && !first) {
      nlohmann::ordered_json oom;
      oom["type"] = "oom";
      oom["id"] = id;
      printf("%s\n", oom.dump().c_str());
    }
    ooms = now;
    printf("%s\n", stats->dump().c_str());
    fflush(stdout);
    std::this_thread::sleep_for(std::chrono::milliseconds(interval));
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
