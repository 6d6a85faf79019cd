#include "runtime/rootfs/mounts.h"

#include <sys/mount.h>

#include <catch2/catch.hpp>

#include "runtime/os/recording_syscalls.h"
#include "runtime/spec/default_spec.h"

using namespace berth::runtime;

TEST_CASE("mount options split into flags, propagation and data") {
  MountOptions o =
      ParseMountOptions({"nosuid", "noexec", "nodev", "ro", "mode=755", "size=65536k", "rslave"});
  CHECK(o.flags == (MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY));
  CHECK(o.propagation == (MS_SLAVE | MS_REC));
  CHECK(o.data == "mode=755,size=65536k");
  CHECK(ParseMountOptions({"rbind", "ro", "rw"}).flags == (MS_BIND | MS_REC));
  CHECK(ParseMountOptions({"bind"}).bind());
  CHECK(ParsePropagation("rshared") == (MS_SHARED | MS_REC));
  CHECK(ParsePropagation("") == 0);
}

TEST_CASE("SecureJoin keeps symlinks inside the root") {
  RecordingSyscalls sys;
  sys.symlinks["/r/abs"] = "/etc";            // absolute: relative to the root
  sys.symlinks["/r/up"] = "../../../../etc";  // climbing out stops at the root
  sys.symlinks["/r/etc/loop"] = "loop";
  CHECK(*SecureJoin(sys, "/r", "/abs/passwd") == "/r/etc/passwd");
  CHECK(*SecureJoin(sys, "/r", "/up/passwd") == "/r/etc/passwd");
  CHECK(*SecureJoin(sys, "/r", "/../../x") == "/r/x");
  CHECK(*SecureJoin(sys, "/r", "/") == "/r");
  CHECK_FALSE(SecureJoin(sys, "/r", "/etc/loop").ok());
}

TEST_CASE("PrepareRootfs mounts in runc's order") {
  RecordingSyscalls sys;
  auto spec = ParseSpec(DefaultSpecJson(false, 0, 0));
  REQUIRE(spec.ok());
  RootfsConfig rc;
  rc.rootfs = "/b/rootfs";
  rc.cgroup_v2 = true;
  REQUIRE(PrepareRootfs(sys, *spec, rc).ok());
  auto m = sys.Mounts();
  REQUIRE(m.size() >= 9);
  CHECK(m[0] == RecordedCall{"mount", "", "/", "", MS_SLAVE | MS_REC, ""});
  CHECK(m[1] == RecordedCall{"mount", "/b/rootfs", "/b/rootfs", "", MS_BIND | MS_REC, ""});
  CHECK(m[2] == RecordedCall{"mount", "proc", "/b/rootfs/proc", "proc", 0, ""});
  CHECK(m[3] == RecordedCall{"mount", "tmpfs", "/b/rootfs/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME,
                             "mode=755,size=65536k"});
  CHECK(m[4] == RecordedCall{"mount", "devpts", "/b/rootfs/dev/pts", "devpts",
                             MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5"});
  CHECK(m[7] == RecordedCall{"mount", "sysfs", "/b/rootfs/sys", "sysfs",
                             MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RDONLY, ""});
  CHECK(m[8] == RecordedCall{"mount", "cgroup2", "/b/rootfs/sys/fs/cgroup", "cgroup2",
                             MS_NOSUID | MS_NOEXEC | MS_NODEV | MS_RELATIME | MS_RDONLY, ""});
  // Devices are created with mknod (no user namespace), /dev/ptmx points into devpts.
  int mknods = 0;
  bool ptmx = false;
  for (const auto& c : sys.calls) {
    mknods += c.op == "mknod";
    ptmx |= c.op == "symlink" && c.target == "/b/rootfs/dev/ptmx" && c.source == "pts/ptmx";
  }
  CHECK(mknods == 6);
  CHECK(ptmx);
}

TEST_CASE("in a user namespace devices are bind mounts of the host's") {
  RecordingSyscalls sys;
  sys.files["/sys"] = FileKind::kDirectory;  // the rootless spec binds the host's /sys
  auto spec = ParseSpec(DefaultSpecJson(true, 0, 0));
  REQUIRE(spec.ok());
  RootfsConfig rc;
  rc.rootfs = "/b/rootfs";
  rc.in_user_namespace = true;
  rc.cgroup_v2 = true;
  REQUIRE(PrepareRootfs(sys, *spec, rc).ok());
  bool null_bound = false;
  for (const auto& c : sys.calls) {
    CHECK(c.op != "mknod");
    null_bound |= c == RecordedCall{"mount", "/dev/null", "/b/rootfs/dev/null", "", MS_BIND, ""};
  }
  CHECK(null_bound);
}

TEST_CASE("a bind mount with ro is a bind then a read-only remount") {
  RecordingSyscalls sys;
  sys.files["/host/data"] = FileKind::kDirectory;
  Spec spec;
  spec.mounts.push_back({"/data", "bind", "/host/data", {"rbind", "ro", "nosuid"}});
  RootfsConfig rc;
  rc.rootfs = "/r";
  rc.cgroup_v2 = true;
  REQUIRE(PrepareRootfs(sys, spec, rc).ok());
  auto m = sys.Mounts();
  REQUIRE(m.size() == 4);
  CHECK(m[2] == RecordedCall{"mount", "/host/data", "/r/data", "", MS_BIND | MS_REC, ""});
  CHECK(m[3] ==
        RecordedCall{"mount", "", "/r/data", "", MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID, ""});
}

TEST_CASE("a missing bind source fails naming it, and a failed mount stops the plan") {
  RecordingSyscalls sys;
  Spec spec;
  spec.mounts.push_back({"/data", "bind", "/no/such", {"bind"}});
  RootfsConfig rc;
  rc.rootfs = "/r";
  absl::Status st = PrepareRootfs(sys, spec, rc);
  CHECK(st.message() == "mount source /no/such for /data does not exist");

  RecordingSyscalls sys2;
  sys2.fail["mount /r/proc"] = absl::PermissionDeniedError("mount proc at /r/proc: EPERM");
  Spec spec2;
  spec2.mounts.push_back({"/proc", "proc", "proc", {}});
  spec2.mounts.push_back({"/tmp", "tmpfs", "tmpfs", {}});
  st = PrepareRootfs(sys2, spec2, rc);
  CHECK(st.message() == "mounts: /proc: mount proc at /r/proc: EPERM");
  CHECK(sys2.Mounts().size() == 3);  // "/", rootfs, proc: nothing after the failure
}

TEST_CASE("pivot_root detaches the old root; --no-pivot moves and chroots") {
  RecordingSyscalls sys;
  REQUIRE(EnterRootfs(sys, "/r", false).ok());
  REQUIRE(sys.calls.size() == 5);
  CHECK(sys.calls[1] == RecordedCall{"pivot_root", ".", "."});
  CHECK(sys.calls[3] == RecordedCall{"umount2", "", ".", "", MNT_DETACH, ""});

  RecordingSyscalls nopivot;
  REQUIRE(EnterRootfs(nopivot, "/r", true).ok());
  CHECK(nopivot.calls[1] == RecordedCall{"mount", "/r", "/", "", MS_MOVE, ""});
  CHECK(nopivot.calls[2] == RecordedCall{"chroot", "", "."});
}

TEST_CASE("masked paths: tmpfs over directories, /dev/null over files; missing ones skipped") {
  RecordingSyscalls sys;
  sys.files["/proc/kcore"] = FileKind::kOther;
  sys.files["/proc/acpi"] = FileKind::kDirectory;
  sys.files["/proc/sys"] = FileKind::kDirectory;
  Spec spec;
  spec.linux.masked_paths = {"/proc/kcore", "/proc/acpi", "/proc/missing"};
  spec.linux.readonly_paths = {"/proc/sys"};
  spec.root.readonly = true;
  REQUIRE(FinalizeRootfs(sys, spec).ok());
  auto m = sys.Mounts();
  REQUIRE(m.size() == 5);
  CHECK(m[0] == RecordedCall{"mount", "/proc/sys", "/proc/sys", "", MS_BIND | MS_REC, ""});
  CHECK(m[1] == RecordedCall{"mount", "", "/proc/sys", "", MS_BIND | MS_REMOUNT | MS_RDONLY, ""});
  CHECK(m[2] == RecordedCall{"mount", "/dev/null", "/proc/kcore", "", MS_BIND, ""});
  CHECK(m[3] == RecordedCall{"mount", "tmpfs", "/proc/acpi", "tmpfs", MS_RDONLY, ""});
  CHECK(m[4] == RecordedCall{"mount", "", "/", "", MS_BIND | MS_REMOUNT | MS_RDONLY, ""});
}

TEST_CASE("cgroup v1: a tmpfs, then the container's own directory per hierarchy") {
  RecordingSyscalls sys;
  Spec spec;
  spec.mounts.push_back({"/sys/fs/cgroup", "cgroup", "cgroup", {"nosuid", "ro"}});
  RootfsConfig rc;
  rc.rootfs = "/r";
  rc.cgroup_paths = {{"cpu,cpuacct", "/sys/fs/cgroup/cpu,cpuacct/c1"},
                     {"name=systemd", "/sys/fs/cgroup/systemd/c1"},
                     {"unified", "/sys/fs/cgroup/unified/c1"}};
  REQUIRE(PrepareRootfs(sys, spec, rc).ok());
  auto m = sys.Mounts();
  REQUIRE(m.size() == 8);
  CHECK(m[2] == RecordedCall{"mount", "tmpfs", "/r/sys/fs/cgroup", "tmpfs",
                             MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755"});
  CHECK(m[3] == RecordedCall{"mount", "/sys/fs/cgroup/cpu,cpuacct/c1",
                             "/r/sys/fs/cgroup/cpu,cpuacct", "", MS_BIND, ""});
  CHECK(m[4] == RecordedCall{"mount", "", "/r/sys/fs/cgroup/cpu,cpuacct", "",
                             MS_BIND | MS_REMOUNT | MS_NOSUID | MS_RDONLY, ""});
  CHECK(m[5].target == "/r/sys/fs/cgroup/systemd");
  CHECK(m[7] == RecordedCall{"mount", "", "/r/sys/fs/cgroup", "",
                             MS_BIND | MS_REMOUNT | MS_NOSUID | MS_RDONLY, ""});
  int links = 0;
  for (const auto& c : sys.calls) links += c.op == "symlink" && c.source == "cpu,cpuacct";
  CHECK(links == 2);

  // In a cgroup namespace (and no user namespace) each hierarchy is mounted fresh.
  RecordingSyscalls fresh;
  rc.cgroup_namespace = true;
  REQUIRE(PrepareRootfs(fresh, spec, rc).ok());
  CHECK(fresh.Mounts()[3] == RecordedCall{"mount", "cgroup", "/r/sys/fs/cgroup/cpu,cpuacct",
                                          "cgroup", MS_NOSUID | MS_RDONLY, "cpu,cpuacct"});
  CHECK(fresh.Mounts()[4].data == "none,name=systemd");
}

TEST_CASE("--no-pivot hides the host's proc and sysfs before the chroot") {
  std::string mountinfo =
      "22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
      "23 1 0:22 / /sys rw - sysfs sysfs rw\n"
      "24 22 0:23 / /proc/sys/fs/binfmt_misc rw - binfmt_misc binfmt_misc rw\n"
      "25 1 0:21 /sys /mnt/psys rw - proc proc rw\n"
      "26 1 0:24 / /r/proc rw - proc proc rw\n";
  auto mounts = HostPseudoMounts(mountinfo, "/r");
  CHECK(mounts == std::vector<std::string>{"/proc", "/sys"});  // not partial, not inside /r

  RecordingSyscalls sys;
  sys.fail["umount2 /sys"] = absl::PermissionDeniedError("umount /sys: EPERM");
  REQUIRE(EnterRootfs(sys, "/r", true, mounts).ok());
  auto m = sys.Mounts();
  CHECK(m[0] == RecordedCall{"mount", "", "/proc", "", MS_SLAVE | MS_REC, ""});
  CHECK(m[2] ==
        RecordedCall{"mount", "tmpfs", "/sys", "tmpfs", 0, ""});  // covered when detach is refused
  CHECK(m[3] == RecordedCall{"mount", "/r", "/", "", MS_MOVE, ""});
}

TEST_CASE("a bind mount cloned by the runtime is attached with move_mount") {
  RecordingSyscalls sys;
  auto spec = ParseSpec(DefaultSpecJson(false, 0, 0));
  REQUIRE(spec.ok());
  spec->mounts = {Mount{"/data", "none", "/host/private", {"bind", "ro"}}};
  sys.files["/proc/self/fd/7"] = FileKind::kDirectory;
  RootfsConfig rc;
  rc.rootfs = "/b/rootfs";
  rc.mount_source_fds[0] = 7;
  REQUIRE(PrepareRootfs(sys, *spec, rc).ok());
  bool moved = false;
  for (const auto& c : sys.calls) {
    if (c.op == "move_mount") {
      CHECK(c == RecordedCall{"move_mount", "fd:7", "/b/rootfs/data"});
      moved = true;
    }
    // Never by path: the container's root may not reach it.
    CHECK(!(c.op == "mount" && c.source == "/host/private"));
  }
  CHECK(moved);
}
