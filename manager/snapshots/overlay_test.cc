// Tests of the overlay snapshotter against the real kernel: they need root
// (mount(2), trusted.* xattrs, whiteout device nodes) and skip otherwise.
// Everything lives in a /tmp temp dir that is unmounted and removed at the end,
// even when a check fails.
#include "manager/snapshots/overlay.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/file_util.h"
#include "manager/snapshots/mount.h"

namespace berth::manager {
namespace {

#define SKIP_UNLESS_ROOT()                            \
  do {                                                \
    if (::geteuid() != 0) {                           \
      WARN("skipped: needs root for real overlayfs"); \
      return;                                         \
    }                                                 \
  } while (0)

// Mount points at or under prefix, from /proc/self/mountinfo (field 5).
std::vector<std::string> MountPointsUnder(const std::string& prefix) {
  std::vector<std::string> out;
  absl::StatusOr<std::string> info = ReadFile("/proc/self/mountinfo");
  if (!info.ok()) return out;
  std::istringstream in(*info);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string f[5];
    for (auto& s : f) fields >> s;
    if (f[4] == prefix || absl::StartsWith(f[4], prefix + "/")) out.push_back(f[4]);
  }
  return out;
}

// A temp dir that is unmounted (deepest first) and removed on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = "/tmp/berth-snapshots-XXXXXX";
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path_ = tmpl;
  }
  ~TempDir() {
    std::vector<std::string> mounts = MountPointsUnder(path_);
    std::sort(mounts.rbegin(), mounts.rend());
    for (const std::string& m : mounts) (void)UnmountAll(m);
    (void)RemoveAll(path_);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// MountAll in the constructor, UnmountAll in the destructor.
class ScopedMount {
 public:
  ScopedMount(const std::vector<MountSpec>& mounts, std::string target)
      : target_(std::move(target)) {
    REQUIRE(MkdirAll(target_).ok());
    absl::Status st = MountAll(mounts, target_);
    INFO(st.ToString());
    REQUIRE(st.ok());
  }
  ~ScopedMount() { (void)UnmountAll(target_); }

 private:
  std::string target_;
};

void Write(const std::string& path, const std::string& data) {
  absl::Status st = WriteFile(path, data, /*create=*/true);
  INFO(st.ToString());
  REQUIRE(st.ok());
}

std::unique_ptr<OverlaySnapshotter> OpenOrDie(const std::string& root) {
  auto s = OverlaySnapshotter::Open(root);
  INFO(s.status().ToString());
  REQUIRE(s.ok());
  return std::move(*s);
}

// Prepares `key` on `parent`, lets fill() write into its upper dir, commits it
// as `name`.
template <typename F>
void Layer(OverlaySnapshotter& s, const std::string& name, const std::string& parent, F fill) {
  std::string key = name + "-active";
  auto mounts = s.Prepare(key, parent, {});
  INFO(mounts.status().ToString());
  REQUIRE(mounts.ok());
  auto upper = s.UpperDir(key);
  REQUIRE(upper.ok());
  fill(*upper);
  absl::Status st = s.Commit(name, key, {{"layer", name}});
  INFO(st.ToString());
  REQUIRE(st.ok());
}

std::vector<std::string> Entries(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    out.push_back(e.path().filename());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// l1: a, d/x   l2: b   l3: whiteout of a, opaque d with d/y
void BuildThreeLayers(OverlaySnapshotter& s) {
  Layer(s, "l1", "", [](const std::string& up) {
    Write(up + "/a", "from l1");
    REQUIRE(::mkdir((up + "/d").c_str(), 0755) == 0);
    Write(up + "/d/x", "x");
  });
  Layer(s, "l2", "l1", [](const std::string& up) { Write(up + "/b", "from l2"); });
  Layer(s, "l3", "l2", [](const std::string& up) {
    REQUIRE(::mknod((up + "/a").c_str(), S_IFCHR | 0000, makedev(0, 0)) == 0);
    REQUIRE(::mkdir((up + "/d").c_str(), 0755) == 0);
    REQUIRE(::setxattr((up + "/d").c_str(), "trusted.overlay.opaque", "y", 1, 0) == 0);
    Write(up + "/d/y", "y");
  });
}

TEST_CASE("overlay: three layers with whiteout and opaque dir, read-only view", "[snapshots]") {
  SKIP_UNLESS_ROOT();
  TempDir tmp;
  auto s = OpenOrDie(tmp.path() + "/root");
  BuildThreeLayers(*s);

  auto view = s->View("v", "l3", {});
  INFO(view.status().ToString());
  REQUIRE(view.ok());
  REQUIRE(view->size() == 1);
  CHECK((*view)[0].type == "overlay");
  {
    ScopedMount m(*view, tmp.path() + "/mnt");
    CHECK(Entries(tmp.path() + "/mnt") == std::vector<std::string>{"b", "d"});
    CHECK(Entries(tmp.path() + "/mnt/d") == std::vector<std::string>{"y"});
    CHECK(*ReadFile(tmp.path() + "/mnt/b") == "from l2");
    int fd = ::open((tmp.path() + "/mnt/new").c_str(), O_CREAT | O_WRONLY, 0644);
    CHECK(fd == -1);
    CHECK(errno == EROFS);
    if (fd >= 0) ::close(fd);
  }
  // A view of one layer is a read-only bind of its fs.
  auto one = s->View("v1", "l1", {});
  REQUIRE(one.ok());
  REQUIRE(one->size() == 1);
  CHECK((*one)[0].type == "bind");
  {
    ScopedMount m(*one, tmp.path() + "/mnt1");
    CHECK(Entries(tmp.path() + "/mnt1") == std::vector<std::string>{"a", "d"});
    CHECK(::mkdir((tmp.path() + "/mnt1/new").c_str(), 0755) == -1);
    CHECK(errno == EROFS);
  }
  CHECK(MountPointsUnder(tmp.path()).empty());
}

TEST_CASE("overlay: an active snapshot on parents writes to its upper dir", "[snapshots]") {
  SKIP_UNLESS_ROOT();
  TempDir tmp;
  auto s = OpenOrDie(tmp.path() + "/root");
  BuildThreeLayers(*s);
  auto mounts = s->Prepare("rw", "l3", {});
  REQUIRE(mounts.ok());
  REQUIRE(mounts->size() == 1);
  const MountSpec& m0 = (*mounts)[0];
  CHECK(m0.type == "overlay");
  bool has_index_off = std::count(m0.options.begin(), m0.options.end(), "index=off") > 0;
  absl::StatusOr<std::string> index = ReadFile("/sys/module/overlay/parameters/index");
  CHECK(has_index_off == (index.ok() && absl::StartsWith(*index, "Y")));
  auto again = s->Mounts("rw");
  REQUIRE(again.ok());
  CHECK((*again)[0].options == m0.options);
  {
    ScopedMount m(*mounts, tmp.path() + "/mnt");
    Write(tmp.path() + "/mnt/c", "written");
    CHECK(Entries(tmp.path() + "/mnt") == std::vector<std::string>{"b", "c", "d"});
  }
  auto upper = s->UpperDir("rw");
  REQUIRE(upper.ok());
  CHECK(*ReadFile(*upper + "/c") == "written");
  // No parent: a read-write bind of fs.
  auto base = s->Prepare("base", "", {});
  REQUIRE(base.ok());
  CHECK((*base)[0].type == "bind");
  CHECK((*base)[0].options == std::vector<std::string>{"rw", "rbind"});
  {
    ScopedMount m(*base, tmp.path() + "/mnt2");
    Write(tmp.path() + "/mnt2/f", "f");
  }
  CHECK(PathExists(*s->UpperDir("base") + "/f"));
  CHECK(MountPointsUnder(tmp.path()).empty());
}

TEST_CASE("overlay: remove refuses parents with children, then removes dirs", "[snapshots]") {
  SKIP_UNLESS_ROOT();
  TempDir tmp;
  auto s = OpenOrDie(tmp.path() + "/root");
  BuildThreeLayers(*s);
  absl::Status st = s->Remove("l1");
  CHECK(absl::IsFailedPrecondition(st));
  CHECK(st.message() == "snapshot l1 has children");
  REQUIRE(s->View("v", "l3", {}).ok());
  CHECK(absl::IsFailedPrecondition(s->Remove("l3")));
  size_t before = Entries(tmp.path() + "/root/snapshots").size();
  CHECK(s->Remove("v").ok());
  CHECK(s->Remove("l3").ok());
  CHECK(s->Remove("l2").ok());
  CHECK(s->Remove("l1").ok());
  CHECK(absl::IsNotFound(s->Stat("l1").status()));
  CHECK(before == 4);
  CHECK(Entries(tmp.path() + "/root/snapshots").empty());
  CHECK(s->List()->empty());
}

TEST_CASE("overlay: reopen sees the same snapshots and removes orphans", "[snapshots]") {
  SKIP_UNLESS_ROOT();
  TempDir tmp;
  std::string root = tmp.path() + "/root";
  std::vector<SnapshotInfo> before;
  {
    auto s = OpenOrDie(root);
    BuildThreeLayers(*s);
    REQUIRE(s->Prepare("work", "l2", {{"k", "v"}}).ok());
    REQUIRE(s->UpdateLabels("l1", {{"gc", "keep"}}).ok());
    before = *s->List();
  }
  REQUIRE(MkdirAll(root + "/snapshots/999/fs").ok());
  REQUIRE(MkdirAll(root + "/snapshots/new-abcdef/fs").ok());
  auto s = OpenOrDie(root);
  auto after = s->List();
  REQUIRE(after.ok());
  REQUIRE(after->size() == before.size());
  REQUIRE(after->size() == 4);
  for (size_t i = 0; i < before.size(); ++i) {
    CHECK((*after)[i].name == before[i].name);
    CHECK((*after)[i].parent == before[i].parent);
    CHECK((*after)[i].kind == before[i].kind);
    CHECK((*after)[i].labels == before[i].labels);
    CHECK((*after)[i].created_at_ns == before[i].created_at_ns);
  }
  auto l1 = s->Stat("l1");
  REQUIRE(l1.ok());
  CHECK(l1->labels == std::map<std::string, std::string>{{"gc", "keep"}});
  CHECK(l1->updated_at_ns >= l1->created_at_ns);
  auto work = s->Stat("work");
  REQUIRE(work.ok());
  CHECK(work->parent == "l2");
  CHECK(work->kind == SnapshotKind::kActive);
  CHECK(!PathExists(root + "/snapshots/999"));
  CHECK(!PathExists(root + "/snapshots/new-abcdef"));
  CHECK(Entries(root + "/snapshots").size() == 4);
}

TEST_CASE("overlay: usage counts bytes, recorded at commit", "[snapshots]") {
  SKIP_UNLESS_ROOT();
  TempDir tmp;
  auto s = OpenOrDie(tmp.path() + "/root");
  REQUIRE(s->Prepare("a", "", {}).ok());
  auto empty = s->Usage("a");
  REQUIRE(empty.ok());
  CHECK(empty->inodes == 1);
  Write(*s->UpperDir("a") + "/big", std::string(1 << 20, 'x'));
  Write(*s->UpperDir("a") + "/small", "hi");
  auto active = s->Usage("a");
  REQUIRE(active.ok());
  CHECK(active->size >= (1 << 20));
  CHECK(active->size < (1 << 20) + (1 << 16));
  CHECK(active->inodes == 3);
  REQUIRE(s->Commit("c", "a", {}).ok());
  auto committed = s->Usage("c");
  REQUIRE(committed.ok());
  CHECK(committed->size == active->size);
  CHECK(committed->inodes == 3);
}

TEST_CASE("overlay: errors name the snapshot and its state", "[snapshots]") {
  SKIP_UNLESS_ROOT();
  TempDir tmp;
  auto s = OpenOrDie(tmp.path() + "/root");
  absl::Status st = s->Stat("nope").status();
  CHECK(absl::IsNotFound(st));
  CHECK(st.message() == "snapshot nope: not found");
  CHECK(absl::IsNotFound(s->Prepare("k", "nope", {}).status()));
  CHECK(absl::IsNotFound(s->Remove("nope")));
  CHECK(absl::IsNotFound(s->Commit("n", "nope", {})));
  CHECK(absl::IsNotFound(s->Mounts("nope").status()));
  CHECK(absl::IsNotFound(s->UpdateLabels("nope", {})));

  REQUIRE(s->Prepare("k", "", {}).ok());
  st = s->Prepare("k", "", {}).status();
  CHECK(absl::IsAlreadyExists(st));
  CHECK(st.message() == "snapshot k: already exists");
  CHECK(absl::IsAlreadyExists(s->View("k", "", {}).status()));
  st = s->Prepare("child", "k", {}).status();
  CHECK(absl::IsFailedPrecondition(st));
  CHECK(absl::StartsWith(st.message(), "parent k is not committed"));

  REQUIRE(s->Prepare("k2", "", {}).ok());
  REQUIRE(s->Commit("c", "k", {}).ok());
  CHECK(absl::IsAlreadyExists(s->Commit("c", "k2", {})));
  st = s->Commit("c2", "c", {});
  CHECK(absl::IsFailedPrecondition(st));
  CHECK(st.message() == "snapshot c is committed, not active");
  CHECK(absl::IsFailedPrecondition(s->UpperDir("c").status()));
  CHECK(absl::IsFailedPrecondition(s->Mounts("c").status()));
  REQUIRE(s->View("v", "c", {}).ok());
  CHECK(absl::IsFailedPrecondition(s->Commit("c3", "v", {})));
  // Failed creations leave no dirs behind: k2, c, v.
  CHECK(Entries(tmp.path() + "/root/snapshots").size() == 3);
  CHECK(absl::IsInvalidArgument(OverlaySnapshotter::Open(tmp.path() + "/a:b").status()));
}

TEST_CASE("overlay: a chain longer than one page of mount data still mounts", "[snapshots]") {
  SKIP_UNLESS_ROOT();
  TempDir tmp;
  // A long root, so 130 absolute lowerdirs need well over a page.
  auto s = OpenOrDie(tmp.path() + "/" + std::string(60, 'r') + "/root");
  constexpr int kLayers = 130;
  std::string parent;
  for (int i = 0; i < kLayers; ++i) {
    std::string name = "c" + std::to_string(i);
    Layer(*s, name, parent,
          [i](const std::string& up) { Write(up + "/l" + std::to_string(i), ""); });
    parent = name;
  }
  auto view = s->View("v", parent, {});
  INFO(view.status().ToString());
  REQUIRE(view.ok());
  REQUIRE(view->size() == 1);
  CHECK(absl::StrJoin((*view)[0].options, ",").size() > static_cast<size_t>(::getpagesize()));
  {
    ScopedMount m(*view, tmp.path() + "/mnt");
    CHECK(::access((tmp.path() + "/mnt/l0").c_str(), F_OK) == 0);
    CHECK(::access((tmp.path() + "/mnt/l" + std::to_string(kLayers - 1)).c_str(), F_OK) == 0);
  }
  CHECK(MountPointsUnder(tmp.path()).empty());
  // An active snapshot on it (upperdir and workdir too) mounts and writes.
  auto active = s->Prepare("rw", parent, {});
  REQUIRE(active.ok());
  {
    ScopedMount m(*active, tmp.path() + "/rw");
    Write(tmp.path() + "/rw/new", "x");
  }
  auto upper = s->UpperDir("rw");
  REQUIRE(upper.ok());
  CHECK(::access((*upper + "/new").c_str(), F_OK) == 0);
  CHECK(MountPointsUnder(tmp.path()).empty());
}

TEST_CASE("mount: overlay data over a page is made relative to the common directory",
          "[snapshots]") {
  auto fit = FitOverlayData("index=off,lowerdir=/s/1/fs:/s/2/fs");
  REQUIRE(fit.ok());
  CHECK(fit->dir.empty());
  CHECK(fit->data == "index=off,lowerdir=/s/1/fs:/s/2/fs");

  std::string root = "/var/lib/" + std::string(100, 'x') + "/snapshots";
  std::vector<std::string> lowers;
  for (int i = 100; i < 150; ++i) lowers.push_back(root + "/" + std::to_string(i) + "/fs");
  std::string data = "workdir=" + root + "/7/work,upperdir=" + root +
                     "/7/fs,lowerdir=" + absl::StrJoin(lowers, ":");
  REQUIRE(data.size() > static_cast<size_t>(::getpagesize()));
  fit = FitOverlayData(data);
  INFO(fit.status().ToString());
  REQUIRE(fit.ok());
  CHECK(fit->dir == root);
  CHECK(absl::StartsWith(fit->data, "workdir=7/work,upperdir=7/fs,lowerdir=100/fs:101/fs:"));

  // The common directory ends at a '/': /a/bc and /a/bd share /a, not /a/b.
  std::string a(3000, 'a');
  fit = FitOverlayData("lowerdir=/d/" + a + "/bc/1:/d/" + a + "/bd/2");
  REQUIRE(fit.ok());
  CHECK(fit->dir == "/d/" + a);
  CHECK(fit->data == "lowerdir=bc/1:bd/2");

  // Nothing in common: refused, with the sizes named.
  lowers.clear();
  for (int i = 0; i < 50; ++i) lowers.push_back("/" + std::to_string(i) + std::string(100, 'y'));
  fit = FitOverlayData("lowerdir=" + absl::StrJoin(lowers, ":"));
  CHECK(absl::IsFailedPrecondition(fit.status()));
  CHECK(absl::StrContains(fit.status().message(), "more than mount(2)'s page of"));
}

TEST_CASE("overlay: concurrent prepares and commits", "[snapshots]") {
  SKIP_UNLESS_ROOT();
  TempDir tmp;
  auto s = OpenOrDie(tmp.path() + "/root");
  REQUIRE(s->Prepare("base-active", "", {}).ok());
  REQUIRE(s->Commit("base", "base-active", {}).ok());
  std::atomic<int> same_ok{0}, errors{0};
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      if (s->Prepare("same", "base", {}).ok()) same_ok++;
      for (int i = 0; i < 20; ++i) {
        std::string key = absl::StrCat("t", t, "-", i);
        if (!s->Prepare(key, "base", {}).ok() || !s->Commit(key + "-c", key, {}).ok()) errors++;
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(same_ok == 1);
  CHECK(errors == 0);
  CHECK(s->List()->size() == 2 + 80);
  CHECK(Entries(tmp.path() + "/root/snapshots").size() == 2 + 80);
}

TEST_CASE("mount: errors name type, source, target and errno", "[snapshots]") {
  SKIP_UNLESS_ROOT();
  TempDir tmp;
  std::string target = tmp.path() + "/t";
  REQUIRE(MkdirAll(target).ok());
  absl::Status st =
      MountAll({{"overlay", "overlay", {"lowerdir=" + tmp.path() + "/missing"}}}, target);
  CHECK(!st.ok());
  CHECK(absl::StartsWith(st.message(), "mount overlay overlay on " + target + ": ENOENT"));
  // A failure midway undoes the earlier mounts.
  REQUIRE(MkdirAll(tmp.path() + "/src").ok());
  st = MountAll({{"bind", tmp.path() + "/src", {"rbind", "ro"}},
                 {"bind", tmp.path() + "/missing", {"rbind"}}},
                target);
  CHECK(!st.ok());
  CHECK(MountPointsUnder(tmp.path()).empty());
  CHECK(UnmountAll(target).ok());
  CHECK(UnmountAll(tmp.path() + "/does-not-exist").ok());
}

}  // namespace
}  // namespace berth::manager
