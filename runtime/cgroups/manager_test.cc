#include "runtime/cgroups/manager.h"

#include <unistd.h>

#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "common/file_util.h"

using namespace berth::runtime;

TEST_CASE("cgroup paths follow runc's rule") {
  CHECK(ResolveCgroupPath("", "/user.slice", "c1") == "/user.slice/c1");
  CHECK(ResolveCgroupPath("/berth/c1", "/user.slice", "c1") == "/berth/c1");
  CHECK(ResolveCgroupPath("rel/x", "/a", "c1") == "/a/rel/x");
  CHECK(ResolveCgroupPath("/../../etc", "/", "c1") == "/etc");
}

// cgroup v2 behind the seam: a plain directory stands in for /sys/fs/cgroup.
TEST_CASE("v2 manager creates, joins, lists and removes under its root") {
  char dir[] = "/tmp/berth-cg2-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  CgroupLayout layout;
  layout.mode = CgroupMode::kV2;
  layout.unified_root = dir;
  layout.self[""] = "/";
  auto cg = NewCgroupManager(layout, "/berth/c1", "c1");
  CHECK(cg->mode() == CgroupMode::kV2);
  CHECK(cg->Paths().at("") == std::string(dir) + "/berth/c1");
  REQUIRE(cg->Create().ok());
  REQUIRE(berth::WriteFile(std::string(dir) + "/berth/c1/cgroup.procs", "", true).ok());
  REQUIRE(cg->Join(1234).ok());
  auto pids = cg->Pids();
  REQUIRE(pids.ok());
  CHECK(*pids == std::vector<pid_t>{1234});
  unlink((std::string(dir) + "/berth/c1/cgroup.procs").c_str());
  REQUIRE(cg->Destroy().ok());
  CHECK_FALSE(berth::PathExists(std::string(dir) + "/berth/c1"));
  CHECK(cg->Destroy().ok());  // already gone is fine
  REQUIRE(berth::RemoveAll(dir).ok());
}

TEST_CASE("hybrid layout: one path per v1 hierarchy plus the unified one") {
  CgroupLayout layout;
  layout.mode = CgroupMode::kHybrid;
  layout.unified_root = "/sys/fs/cgroup/unified";
  layout.v1_mounts = {{"memory", "/sys/fs/cgroup/memory"},
                      {"cpu,cpuacct", "/sys/fs/cgroup/cpu,cpuacct"}};
  layout.self = {{"memory", "/outer"}, {"", "/"}};
  auto cg = NewCgroupManager(layout, "", "c1");
  auto paths = cg->Paths();
  CHECK(paths.at("memory") == "/sys/fs/cgroup/memory/outer/c1");
  CHECK(paths.at("cpu,cpuacct") == "/sys/fs/cgroup/cpu,cpuacct/c1");
  CHECK(paths.at("unified") == "/sys/fs/cgroup/unified/c1");
}

TEST_CASE("exec --cgroup: sub-cgroup paths per controller, checked") {
  char dir[] = "/tmp/berth-cgsub-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  std::string d = dir;
  for (const char* sub : {"/mem/c", "/mem/c/sub", "/cpu/c", "/cpu/c/sub", "/u/c"}) {
    REQUIRE(berth::MkdirAll(d + sub).ok());
  }
  std::map<std::string, std::string> paths = {
      {"memory", d + "/mem/c"}, {"cpu,cpuacct", d + "/cpu/c"}, {"unified", d + "/u/c"}};
  auto p = SubCgroupPaths(paths, {"memory:sub", "cpuacct:./sub/"});
  REQUIRE(p.ok());
  CHECK(p->at("memory") == d + "/mem/c/sub");
  CHECK(p->at("cpu,cpuacct") == d + "/cpu/c/sub");
  CHECK(p->at("unified") == d + "/u/c");
  CHECK(SubCgroupPaths(paths, {"/"})->at("memory") == d + "/mem/c");
  CHECK(SubCgroupPaths(paths, {".."}).status().message() ==
        "--cgroup: .. is not a sub cgroup path");
  CHECK(SubCgroupPaths(paths, {"whaaat:/"}).status().message() ==
        "--cgroup: unknown controller whaaat");
  auto missing = SubCgroupPaths(paths, {"cpu:nope"});
  CHECK(absl::StrContains(missing.status().message(), "/nope/cgroup.procs: no such file "));
  for (const char* sub :
       {"/mem/c/sub", "/mem/c", "/mem", "/cpu/c/sub", "/cpu/c", "/cpu", "/u/c", "/u", ""}) {
    rmdir((d + sub).c_str());
  }
}
