#include <unistd.h>

#include <iostream>
#include <iterator>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "runtime/cli/cli.h"
#include "runtime/container/container.h"

namespace berth::runtime::cli {
namespace {

// "512", "10m", "1.5g", "-1": as docker/go-units' RAMInBytes (binary units).
absl::StatusOr<int64_t> ParseBytes(const std::string& flag, const std::string& text) {
  if (text == "-1") return -1;
  std::string t = absl::AsciiStrToLower(text);
  size_t end = t.find_first_not_of("0123456789.");
  double num;
  if (end == 0 || !absl::SimpleAtod(t.substr(0, end), &num)) {
    return absl::InvalidArgumentError(absl::StrCat("--", flag, ": invalid size \"", text, "\""));
  }
  std::string unit = end == std::string::npos ? "" : t.substr(end);
  static const std::pair<const char*, double> kUnits[] = {{"", 1},
                                                          {"b", 1},
                                                          {"k", 1024},
                                                          {"kb", 1024},
                                                          {"kib", 1024},
                                                          {"m", 1 << 20},
                                                          {"mb", 1 << 20},
                                                          {"mib", 1 << 20},
                                                          {"g", 1 << 30},
                                                          {"gb", 1 << 30},
                                                          {"gib", 1 << 30},
                                                          {"t", 1099511627776.0},
                                                          {"tb", 1099511627776.0}};
  for (auto [name, mult] : kUnits) {
    if (unit == name) return static_cast<int64_t>(num * mult);
  }
  return absl::InvalidArgumentError(absl::StrCat("--", flag, ": invalid size \"", text, "\""));
}

absl::Status ParseInt(const ParsedFlags& f, const char* flag, std::optional<int64_t>* out) {
  if (auto v = f.Get(flag)) {
    int64_t n;
    if (!absl::SimpleAtoi(*v, &n))
      return absl::InvalidArgumentError(absl::StrCat("--", flag, ": invalid number \"", *v, "\""));
    *out = n;
  }
  return absl::OkStatus();
}

template <typename T>
absl::Status ParseUnsigned(const ParsedFlags& f, const char* flag, std::optional<T>* out) {
  std::optional<int64_t> v;
  RETURN_IF_ERROR(ParseInt(f, flag, &v));
  if (v && *v < 0)
    return absl::InvalidArgumentError(absl::StrCat("--", flag, ": must not be negative"));
  if (v) *out = static_cast<T>(*v);
  return absl::OkStatus();
}

absl::StatusOr<Resources> FromFlags(const ParsedFlags& f) {
  if (auto file = f.Get("resources")) {
    std::string text;
    if (*file == "-") {
      text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
      ASSIGN_OR_RETURN(text, ReadFile(*file));
    }
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded())
      return absl::InvalidArgumentError(absl::StrCat("--resources ", *file, ": invalid JSON"));
    return ParseResources(j, "resources");
  }
  Resources r;
  for (auto [flag, field] : {std::pair{"memory", &r.memory.limit},
                             {"memory-reservation", &r.memory.reservation},
                             {"memory-swap", &r.memory.swap}}) {
    if (auto v = f.Get(flag)) {
      ASSIGN_OR_RETURN(*field, ParseBytes(flag, *v));
    }
  }
  RETURN_IF_ERROR(ParseUnsigned(f, "cpu-share", &r.cpu.shares));
  RETURN_IF_ERROR(ParseUnsigned(f, "cpu-period", &r.cpu.period));
  RETURN_IF_ERROR(ParseInt(f, "cpu-quota", &r.cpu.quota));
  RETURN_IF_ERROR(ParseUnsigned(f, "cpu-rt-period", &r.cpu.realtime_period));
  RETURN_IF_ERROR(ParseInt(f, "cpu-rt-runtime", &r.cpu.realtime_runtime));
  RETURN_IF_ERROR(ParseInt(f, "pids-limit", &r.pids_limit));
  RETURN_IF_ERROR(ParseUnsigned(f, "blkio-weight", &r.block_io.weight));
  r.cpu.cpus = f.GetOr("cpuset-cpus", "");
  r.cpu.mems = f.GetOr("cpuset-mems", "");
  return r;
}

absl::StatusOr<int> RunUpdate(Context& ctx, const ParsedFlags& f) {
  RETURN_IF_ERROR(ExpectArgs(f, "update", 1));
  ASSIGN_OR_RETURN(Resources r, FromFlags(f));
  RETURN_IF_ERROR(UpdateContainer(ctx.store, f.positional()[0], r, ctx.log));
  return 0;
}

}  // namespace

const Command kUpdate = {"update",
                         "update [command options] <container-id>",
                         "update container resource constraints",
                         {{{"resources", "r"}, true},
                          {{"memory"}, true},
                          {{"memory-reservation"}, true},
                          {{"memory-swap"}, true},
                          {{"kernel-memory"}, true},
                          {{"kernel-memory-tcp"}, true},
                          {{"cpu-share", "cpu-shares"}, true},
                          {{"cpu-period"}, true},
                          {{"cpu-quota"}, true},
                          {{"cpu-rt-period"}, true},
                          {{"cpu-rt-runtime"}, true},
                          {{"cpuset-cpus"}, true},
                          {{"cpuset-mems"}, true},
                          {{"pids-limit"}, true},
                          {{"blkio-weight"}, true},
                          {{"l3-cache-schema"}, true},
                          {{"mem-bw-schema"}, true}},
                         RunUpdate};

}  // namespace berth::runtime::cli
