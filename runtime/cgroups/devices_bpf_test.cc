#include "runtime/cgroups/devices_bpf.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "common/file_util.h"

using namespace berth::runtime;

TEST_CASE("the device filter checks rules last-first and denies the rest") {
  std::vector<DeviceRule> rules = {{true, 'c', 1, 3, "rwm"}};
  auto prog = DeviceFilterProgram(rules);
  // 6 loads, one block (type, major, minor checks + verdict), default deny.
  REQUIRE(prog.size() == 6 + 5 + 2);
  CHECK(prog[6].code == (BPF_JMP | BPF_JNE | BPF_K));
  CHECK(prog[6].imm == BPF_DEVCG_DEV_CHAR);
  CHECK(prog[6].off == 4);   // past the block
  CHECK(prog[9].imm == 1);   // allow
  CHECK(prog[11].imm == 0);  // default deny

  // An unconditional rule ends the program (no unreachable code).
  auto all = DeviceFilterProgram(
      {{false, 'a', std::nullopt, std::nullopt, "rwm"}, {true, 'c', 1, 3, "r"}});
  CHECK(all.back().code == (BPF_JMP | BPF_EXIT));
  CHECK(all[all.size() - 2].imm == 0);
}

// On a real kernel: a process in a cgroup v2 directory with the filter
// attached may open /dev/null but not /dev/zero.
TEST_CASE("the kernel enforces the device filter on a cgroup v2 directory") {
  std::string root;
  for (const char* r : {"/sys/fs/cgroup/unified", "/sys/fs/cgroup"}) {
    if (berth::PathExists(std::string(r) + "/cgroup.procs") &&
        !berth::PathExists(std::string(r) + "/tasks")) {
      root = r;
      break;
    }
  }
  if (geteuid() != 0 || root.empty()) {
    WARN("skipped: needs root and a cgroup v2 hierarchy");
    return;
  }
  std::string dir = root + "/berth-devtest-" + std::to_string(getpid());
  REQUIRE(mkdir(dir.c_str(), 0755) == 0);
  std::vector<DeviceRule> rules = {{false, 'a', std::nullopt, std::nullopt, "rwm"},
                                   {true, 'c', 1, 3, "rw"}};
  absl::Status st = AttachDeviceFilter(dir, rules);
  INFO(st.message());
  REQUIRE(st.ok());
  pid_t pid = fork();
  if (pid == 0) {
    if (!berth::WriteFile(dir + "/cgroup.procs", "0").ok()) _exit(10);
    int null_fd = open("/dev/null", O_RDWR);
    int zero_fd = open("/dev/zero", O_RDONLY);
    _exit(null_fd >= 0 && zero_fd < 0 && errno == EPERM ? 0 : 11);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  rmdir(dir.c_str());
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
