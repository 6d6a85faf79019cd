#include "runtime/cgroups/resources.h"

#include <unistd.h>

#include <catch2/catch.hpp>

#include "common/file_util.h"
#include "runtime/cgroups/manager.h"

using namespace berth::runtime;

namespace {
Resources MustParse(const char* json) {
  auto r = ParseResources(nlohmann::json::parse(json));
  INFO(r.status().message());
  REQUIRE(r.ok());
  return *r;
}

// A fake cgroup v2 tree: root (offering controllers) / berth / c1.
struct FakeV2 {
  std::string root;
  FakeV2() {
    char dir[] = "/tmp/berth-v2res-XXXXXX";
    REQUIRE(mkdtemp(dir) != nullptr);
    root = dir;
    REQUIRE(berth::MkdirAll(root + "/berth/c1").ok());
    for (const std::string& d : {root, root + "/berth"}) {
      REQUIRE(
          berth::WriteFile(d + "/cgroup.controllers", "cpuset cpu io memory hugetlb pids\n", true)
              .ok());
      REQUIRE(berth::WriteFile(d + "/cgroup.subtree_control", "", true).ok());
    }
    for (const char* f : {"memory.max", "memory.low", "memory.swap.max", "cpu.weight", "cpu.max",
                          "pids.max", "io.weight", "io.max", "cgroup.procs"}) {
      REQUIRE(berth::WriteFile(root + "/berth/c1/" + f, "", true).ok());
    }
  }
  ~FakeV2() { (void)berth::RemoveAll(root); }
  std::string Read(const std::string& rel) { return *berth::ReadFile(root + "/" + rel); }
};
}  // namespace

TEST_CASE("linux.resources parse into typed values; bad values name the field") {
  Resources r = MustParse(R"({"memory": {"limit": 1048576, "swap": -1, "disableOOMKiller": true},
    "cpu": {"shares": 1024, "quota": 20000, "cpus": "0-1"}, "pids": {"limit": 10},
    "devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rw"}],
    "hugepageLimits": [{"pageSize": "2MB", "limit": 0}], "unified": {"memory.high": "100000"}})");
  CHECK(*r.memory.limit == 1048576);
  CHECK(*r.memory.swap == -1);
  CHECK(*r.memory.disable_oom_killer);
  CHECK(r.cpu.cpus == "0-1");
  CHECK(*r.pids_limit == 10);
  REQUIRE(r.devices.size() == 2);
  CHECK(r.devices[0].V1Line() == "a *:* rwm");
  CHECK(r.devices[1].V1Line() == "c 1:3 rw");
  CHECK(r.unified.at("memory.high") == "100000");

  auto bad = ParseResources(nlohmann::json::parse(R"({"memory": {"limit": "1g"}})"));
  CHECK(bad.status().message() == "linux.resources.memory.limit: expected an integer, got \"1g\"");
  bad = ParseResources(nlohmann::json::parse(R"({"cpu": {"shares": -5}})"));
  CHECK(bad.status().message() ==
        "linux.resources.cpu.shares: expected a non-negative integer, got -5");
  bad = ParseResources(nlohmann::json::parse(R"({"devices": [{"allow": true, "type": "x"}]})"));
  CHECK(bad.status().message() ==
        "linux.resources.devices[0].type: expected \"a\", \"c\" or \"b\", got \"x\"");
  bad = ParseResources(nlohmann::json::parse(R"({"unified": {"../../etc/passwd": "x"}})"));
  CHECK_FALSE(bad.ok());
}

TEST_CASE("zero means unset, as runc and dockerd have it") {
  Resources r = MustParse(
      R"({"memory": {"limit": 0, "swap": 0}, "cpu": {"shares": 0, "quota": 0, "period": 0},
                              "pids": {"limit": 0}, "blockIO": {"weight": 0}})");
  CHECK_FALSE(r.memory.limit);
  CHECK_FALSE(r.memory.swap);
  CHECK_FALSE(r.cpu.shares);
  CHECK_FALSE(r.cpu.quota);
  CHECK_FALSE(r.pids_limit);
  CHECK_FALSE(r.block_io.weight);
  CHECK(V2ControllersFor(r).empty());
}

TEST_CASE("v1 values convert to v2 as runc converts them") {
  CHECK(CpuSharesToWeight(2) == 1);
  CHECK(CpuSharesToWeight(1024) == 39);
  CHECK(CpuSharesToWeight(262144) == 10000);
  CHECK(BlkioWeightToIoWeight(10) == 1);
  CHECK(BlkioWeightToIoWeight(1000) == 10000);
}

TEST_CASE("v2: controllers are enabled down the tree, then the files written") {
  FakeV2 fs;
  CgroupLayout layout;
  layout.mode = CgroupMode::kV2;
  layout.unified_root = fs.root;
  layout.self[""] = "/";
  auto cg = NewCgroupManager(layout, "/berth/c1", "c1");
  Resources r = MustParse(
      R"({"memory": {"limit": 1048576, "swap": 3145728}, "cpu": {"shares": 1024, "quota": 20000},
                              "pids": {"limit": 10}, "blockIO": {"weight": 500}})");
  REQUIRE(cg->Set(r, nullptr).ok());
  CHECK(fs.Read("cgroup.subtree_control") == "+memory +cpu +pids +io");
  CHECK(fs.Read("berth/cgroup.subtree_control") == "+memory +cpu +pids +io");
  CHECK(fs.Read("berth/c1/memory.max") == "1048576");
  CHECK(fs.Read("berth/c1/memory.swap.max") == "2097152");  // swap alone
  CHECK(fs.Read("berth/c1/cpu.weight") == "39");
  CHECK(fs.Read("berth/c1/cpu.max") == "20000 100000");
  CHECK(fs.Read("berth/c1/pids.max") == "10");
  CHECK(fs.Read("berth/c1/io.weight") == "default 4950");

  Resources unified = MustParse(R"({"unified": {"memory.nope": "1"}})");
  CHECK(cg->Set(unified, nullptr).message() ==
        "linux.resources.unified: invalid configuration: memory.nope is not a file of this "
        "cgroup (controller not enabled, or a cgroup v1 controller?)");
}

TEST_CASE("device access letters other than r, w, m are dropped, as runc") {
  Resources r = MustParse(
      R"({"devices": [{"allow": false, "type": "c", "major": 1, "minor": 11, "access": "rwa"}]})");
  REQUIRE(r.devices.size() == 1);
  CHECK(r.devices[0].V1Line() == "c 1:11 rw");
  auto bad =
      ParseResources(nlohmann::json::parse(R"({"devices": [{"allow": true, "access": "x"}]})"));
  CHECK(!bad.ok());
}
