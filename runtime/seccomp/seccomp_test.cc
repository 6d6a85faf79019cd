#include "runtime/seccomp/seccomp.h"

#include <catch2/catch.hpp>

using berth::runtime::CompileSeccomp;

namespace {
std::string CompileError(const char* json) {
  auto f = CompileSeccomp(nlohmann::json::parse(json));
  REQUIRE_FALSE(f.ok());
  return std::string(f.status().message());
}
}  // namespace

TEST_CASE("no linux.seccomp means no filter") {
  auto f = CompileSeccomp(nlohmann::json());
  REQUIRE(f.ok());
  CHECK(*f == nullptr);
}

TEST_CASE("a profile with every action, args and arches compiles") {
  auto f = CompileSeccomp(nlohmann::json::parse(R"({
    "defaultAction": "SCMP_ACT_ALLOW",
    "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
    "flags": ["SECCOMP_FILTER_FLAG_LOG"],
    "syscalls": [
      {"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
      {"names": ["personality"], "action": "SCMP_ACT_ERRNO",
       "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_NE"}]},
      {"names": ["acct"], "action": "SCMP_ACT_KILL_PROCESS"},
      {"names": ["swapon"], "action": "SCMP_ACT_TRAP"},
      {"names": ["swapoff"], "action": "SCMP_ACT_LOG"},
      {"names": ["no_such_syscall_berth"], "action": "SCMP_ACT_ERRNO"}
    ]})"));
  INFO(f.status().message());
  REQUIRE(f.ok());
  CHECK(*f != nullptr);
}

TEST_CASE("bad seccomp input names the field and value") {
  CHECK(CompileError(R"({"defaultAction": "SCMP_ACT_NOPE"})") ==
        "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_NOPE\"");
  CHECK(
      CompileError(R"({"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_Z80"]})") ==
      "linux.seccomp.architectures[0]: unknown architecture \"SCMP_ARCH_Z80\"");
  CHECK(CompileError(R"({"defaultAction": "SCMP_ACT_ALLOW",
      "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "op": "SCMP_CMP_LIKE"}]}]})") ==
        "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_LIKE\"");
  CHECK(
      CompileError(
          R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]})") ==
      "linux.seccomp.listenerPath: SCMP_ACT_NOTIFY needs a listenerPath");
}
