#include "runtime/container/state.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "common/file_util.h"

using namespace berth::runtime;

namespace {
std::string TempDir() {
  char dir[] = "/tmp/berth-state-XXXXXX";
  REQUIRE(mkdtemp(dir) != nullptr);
  return dir;
}
}  // namespace

TEST_CASE("container ids follow runc's rule") {
  CHECK(ValidateContainerId("abc-1.2_x+y").ok());
  CHECK(ValidateContainerId("../x").message() == "invalid container id format: ../x");
  CHECK_FALSE(ValidateContainerId("a/b").ok());
  CHECK_FALSE(ValidateContainerId("..").ok());
  CHECK_FALSE(ValidateContainerId("").ok());
}

TEST_CASE("state survives a save/load round trip; duplicates and unknown ids are named") {
  std::string root = TempDir();
  StateStore store(root);
  REQUIRE(store.Reserve("c1").ok());
  CHECK(store.Reserve("c1").message() == "container with id exists: c1");
  ContainerState s;
  s.id = "c1";
  s.pid = 4242;
  s.start_time = 77;
  s.bundle = "/b";
  s.rootfs = "/b/rootfs";
  s.created = NowRfc3339Nano();
  s.cgroup_mode = CgroupMode::kHybrid;
  s.cgroup_paths = {{"memory", "/sys/fs/cgroup/memory/c1"}};
  s.config = {{"ociVersion", "1.0.2"}, {"annotations", {{"k", "v"}}}};
  REQUIRE(store.Save(s).ok());
  auto loaded = store.Load("c1");
  REQUIRE(loaded.ok());
  CHECK(loaded->pid == 4242);
  CHECK(loaded->start_time == 77);
  CHECK(loaded->cgroup_mode == CgroupMode::kHybrid);
  CHECK(loaded->cgroup_paths.at("memory") == "/sys/fs/cgroup/memory/c1");
  CHECK(store.List() == std::vector<std::string>{"c1"});
  CHECK(store.Load("nope").status().message() == "container does not exist");
  REQUIRE(berth::WriteFile(root + "/c1/state.json", "{broken").ok());
  CHECK(store.Load("c1").status().code() == absl::StatusCode::kDataLoss);
  REQUIRE(store.Remove("c1").ok());
  CHECK(store.List().empty());
  rmdir(root.c_str());
}

TEST_CASE("status: created while the fifo exists, running after, stopped when the pid is gone") {
  std::string root = TempDir();
  StateStore store(root);
  REQUIRE(store.Reserve("me").ok());
  ContainerState s;
  s.id = "me";
  s.pid = getpid();
  s.start_time = ProcessStartTime(getpid());
  REQUIRE(s.start_time > 0);
  REQUIRE(mkfifo(store.FifoPath("me").c_str(), 0600) == 0);
  CHECK(ComputeStatus(store, s) == ContainerStatus::kCreated);
  unlink(store.FifoPath("me").c_str());
  CHECK(ComputeStatus(store, s) == ContainerStatus::kRunning);
  s.start_time += 1;  // the pid was reused by another process
  CHECK(ComputeStatus(store, s) == ContainerStatus::kStopped);
  s.pid = 0;
  CHECK(ComputeStatus(store, s) == ContainerStatus::kStopped);
  CHECK_FALSE(OciState(s, ContainerStatus::kStopped).contains("pid"));
  REQUIRE(store.Remove("me").ok());
  rmdir(root.c_str());
}

TEST_CASE("created timestamps look like Go's RFC3339Nano") {
  std::string t = NowRfc3339Nano();
  CHECK(t.size() >= 20);
  CHECK(t.back() == 'Z');
  CHECK(t[10] == 'T');
}
