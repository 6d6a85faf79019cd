#include "manager/archive/layer.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include <catch2/catch.hpp>

#include "common/file_util.h"
#include "manager/archive/test_tar.h"
#include "manager/content/digest.h"

namespace berth::manager {
namespace {

using testing::Compression;
using testing::FdWith;
using testing::MakeTar;
using testing::TarEntry;
using testing::TempDir;

absl::StatusOr<ApplyResult> Apply(const std::string& tar, const std::string& dir) {
  UniqueFd fd = FdWith(tar);
  return ApplyLayer(fd.get(), dir);
}

std::string Xattr(const std::string& path, const char* name) {
  char buf[256];
  ssize_t n = ::lgetxattr(path.c_str(), name, buf, sizeof buf);
  return n < 0 ? "" : std::string(buf, static_cast<size_t>(n));
}

std::vector<TarEntry> SampleLayer() {
  return {
      {.path = "bin", .type = AE_IFDIR, .perm = 0755},
      {.path = "bin/busybox", .data = "#!busybox", .perm = 04755, .uid = 0},
      {.path = "bin/sh", .type = AE_IFLNK, .symlink = "/bin/busybox"},
      {.path = "bin/ash", .hardlink = "bin/busybox"},
      {.path = "home/user/.profile",
       .data = "x=1",
       .perm = 0600,
       .uid = 1000,
       .gid = 1001,
       .xattrs = {{"user.note", "hi"}}},
      {.path = "dev/null", .type = AE_IFCHR, .perm = 0666, .rdev_major = 1, .rdev_minor = 3},
      {.path = "dev/loop0", .type = AE_IFBLK, .perm = 0660, .rdev_major = 7, .rdev_minor = 0},
      {.path = "run/fifo", .type = AE_IFIFO, .perm = 0620},
      {.path = "/abs/file", .data = "abs"},
  };
}

TEST_CASE("layer: unpacks every entry type with its attributes", "[layer]") {
  TempDir t;
  std::string root = t.Sub("root");
  std::string plain = MakeTar(SampleLayer());
  auto r = Apply(MakeTar(SampleLayer(), Compression::kGzip), root);
  REQUIRE(r.ok());
  CHECK(r->diff_id == Sha256Digest(plain));
  CHECK(r->size == static_cast<int64_t>(plain.size()));

  struct stat st;
  REQUIRE(::lstat((root + "/bin/busybox").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 04755);
  CHECK(st.st_mtim.tv_sec == 1700000000);
  CHECK(st.st_nlink == 2);  // bin/ash
  CHECK(*ReadFile(root + "/bin/ash") == "#!busybox");
  char target[64] = {};
  REQUIRE(::readlink((root + "/bin/sh").c_str(), target, sizeof target - 1) > 0);
  CHECK(std::string(target) == "/bin/busybox");  // absolute symlink kept as stored
  REQUIRE(::lstat((root + "/home/user/.profile").c_str(), &st) == 0);
  CHECK((st.st_mode & 07777) == 0600);
  CHECK(st.st_uid == 1000);
  CHECK(st.st_gid == 1001);
  CHECK(Xattr(root + "/home/user/.profile", "user.note") == "hi");
  REQUIRE(::lstat((root + "/dev/null").c_str(), &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
  CHECK(st.st_rdev == ::makedev(1, 3));
  REQUIRE(::lstat((root + "/dev/loop0").c_str(), &st) == 0);
  CHECK(S_ISBLK(st.st_mode));
  REQUIRE(::lstat((root + "/run/fifo").c_str(), &st) == 0);
  CHECK(S_ISFIFO(st.st_mode));
  REQUIRE(::lstat((root + "/bin").c_str(), &st) == 0);
  CHECK(st.st_mtim.tv_sec == 1700000000);  // set after its children were made
  CHECK(*ReadFile(root + "/abs/file") == "abs");
}

TEST_CASE("layer: zstd and plain tars give the same diff_id", "[layer]") {
  TempDir t;
  std::string plain = MakeTar(SampleLayer());
  auto z = Apply(MakeTar(SampleLayer(), Compression::kZstd), t.Sub("z"));
  auto p = Apply(plain, t.Sub("p"));
  REQUIRE(z.ok());
  REQUIRE(p.ok());
  CHECK(z->diff_id == Sha256Digest(plain));
  CHECK(p->diff_id == z->diff_id);
}

TEST_CASE("layer: OCI whiteouts become overlay whiteouts", "[layer]") {
  TempDir t;
  std::string root = t.Sub("root");
  REQUIRE(MkdirAll(root + "/a/b/deep").ok());  // a whiteout replaces a whole tree
  REQUIRE(WriteFile(root + "/a/b/deep/f", "x", true).ok());
  auto r = Apply(MakeTar({{.path = "a/.wh.b", .data = ""},
                          {.path = "c", .type = AE_IFDIR, .perm = 0755},
                          {.path = "c/.wh..wh..opq"},
                          {.path = "c/new", .data = "n"},
                          {.path = "d/.wh..wh..opq"}}),
                 root);
  REQUIRE(r.ok());
  struct stat st;
  REQUIRE(::lstat((root + "/a/b").c_str(), &st) == 0);
  CHECK(S_ISCHR(st.st_mode));
  CHECK(st.st_rdev == ::makedev(0, 0));
  CHECK(!PathExists(root + "/a/.wh.b"));
  CHECK(Xattr(root + "/c", "trusted.overlay.opaque") == "y");
  CHECK(!PathExists(root + "/c/.wh..wh..opq"));
  CHECK(PathExists(root + "/c/new"));
  CHECK(Xattr(root + "/d", "trusted.overlay.opaque") == "y");
}

// Each attempt runs in its own root beside an "outside" dir that must stay
// untouched; the error names the entry.
void ExpectRefused(const std::vector<TarEntry>& entries, const std::string& entry) {
  TempDir t;
  std::string root = t.Sub("root");
  std::string outside = t.Sub("outside");
  REQUIRE(WriteFile(outside + "/secret", "s", true).ok());
  std::vector<TarEntry> es = entries;
  for (auto& e : es) {  // "@OUT" stands for the absolute outside dir
    if (e.symlink.rfind("@OUT", 0) == 0) e.symlink = outside + e.symlink.substr(4);
  }
  auto r = Apply(MakeTar(es), root);
  INFO(r.status().ToString());
  REQUIRE(absl::IsInvalidArgument(r.status()));
  CHECK(r.status().message().find("layer entry " + entry) != std::string::npos);
  CHECK(r.status().message().find('\n') == std::string::npos);
  CHECK(!PathExists(t.path + "/x"));
  CHECK(!PathExists(outside + "/pwned"));
  CHECK(!PathExists("/tmp/pwned"));
  CHECK(!PathExists(root + "/hl"));
  CHECK(*ReadFile(outside + "/secret") == "s");
}

TEST_CASE("layer: escapes are refused and write nothing outside", "[layer][security]") {
  SECTION("dot-dot") { ExpectRefused({{.path = "../x", .data = "x"}}, "../x escapes the root"); }
  SECTION("dot-dot inside the path") {
    ExpectRefused({{.path = "a/../../x", .data = "x"}}, "a/../../x escapes the root");
  }
  SECTION("absolute path escaping after normalisation") {
    ExpectRefused({{.path = "/../x", .data = "x"}}, "/../x escapes the root");
  }
  SECTION("write through an absolute symlink planted earlier") {
    ExpectRefused({{.path = "evil", .type = AE_IFLNK, .symlink = "@OUT"},
                   {.path = "evil/pwned", .data = "x"}},
                  "evil/pwned: evil is a symlink");
  }
  SECTION("write through a relative symlink planted earlier") {
    ExpectRefused({{.path = "d", .type = AE_IFDIR},
                   {.path = "d/up", .type = AE_IFLNK, .symlink = "../../outside"},
                   {.path = "d/up/pwned", .data = "x"}},
                  "d/up/pwned: d/up is a symlink");
  }
  SECTION("symlink to /tmp then a file below it") {
    ExpectRefused(
        {{.path = "t", .type = AE_IFLNK, .symlink = "/tmp"}, {.path = "t/pwned", .data = "x"}},
        "t/pwned: t is a symlink");
  }
  SECTION("hardlink to outside") {
    ExpectRefused({{.path = "hl", .hardlink = "../outside/secret"}},
                  "hl: hardlink target ../outside/secret escapes the root");
  }
  SECTION("hardlink through a planted symlink") {
    ExpectRefused({{.path = "evil", .type = AE_IFLNK, .symlink = "@OUT"},
                   {.path = "hl", .hardlink = "evil/secret"}},
                  "hl: evil is a symlink");
  }
  SECTION("whiteout through a planted symlink") {
    ExpectRefused(
        {{.path = "evil", .type = AE_IFLNK, .symlink = "@OUT"}, {.path = "evil/.wh.secret"}},
        "evil/.wh.secret: evil is a symlink");
  }
}

TEST_CASE("layer: a truncated tar is an error naming the entry; its file is removed", "[layer]") {
  TempDir t;
  std::string root = t.Sub("root");
  std::string tar =
      MakeTar({{.path = "ok", .data = "fine"}, {.path = "big", .data = std::string(100000, 'b')}});
  auto r = Apply(tar.substr(0, 50000), root);
  REQUIRE(!r.ok());
  INFO(r.status().ToString());
  CHECK(r.status().message().find("big") != std::string::npos);
  CHECK(PathExists(root + "/ok"));
  CHECK(!PathExists(root + "/big"));
}

TEST_CASE("layer: a corrupt gzip stream is an error naming the offset", "[layer]") {
  TempDir t;
  std::string gz = MakeTar({{.path = "f", .data = std::string(200000, 'q')},
                            {.path = "g", .data = std::string(200000, 'r')}},
                           Compression::kGzip);
  for (size_t i = gz.size() / 2; i < gz.size() / 2 + 64; ++i) gz[i] = static_cast<char>(~gz[i]);
  auto r = Apply(gz, t.Sub("root"));
  REQUIRE(!r.ok());
  INFO(r.status().ToString());
  CHECK(r.status().message().find("offset") != std::string::npos);
}

TEST_CASE("layer: WriteDiff turns overlay whiteouts into OCI ones and round-trips", "[layer]") {
  TempDir t;
  std::string upper = t.Sub("upper");
  REQUIRE(MkdirAll(upper + "/etc/opq").ok());
  REQUIRE(WriteFile(upper + "/etc/hostname", "box\n", true).ok());
  REQUIRE(::link((upper + "/etc/hostname").c_str(), (upper + "/etc/hn2").c_str()) == 0);
  REQUIRE(::symlink("/bin/busybox", (upper + "/sh").c_str()) == 0);
  REQUIRE(::mknod((upper + "/etc/gone").c_str(), S_IFCHR, ::makedev(0, 0)) == 0);
  REQUIRE(::setxattr((upper + "/etc/opq").c_str(), "trusted.overlay.opaque", "y", 1, 0) == 0);
  UniqueFd out = FdWith("");
  auto d = WriteDiff(upper, out.get());
  REQUIRE(d.ok());
  std::string tar = testing::ReadFd(out.get());
  CHECK(d->diff_id == Sha256Digest(tar));
  CHECK(d->size == static_cast<int64_t>(tar.size()));
  CHECK(tar.find("etc/.wh.gone") != std::string::npos);
  CHECK(tar.find("etc/opq/.wh..wh..opq") != std::string::npos);

  std::string back = t.Sub("back");
  auto r = Apply(tar, back);
  REQUIRE(r.ok());
  CHECK(r->diff_id == d->diff_id);
  struct stat st;
  REQUIRE(::lstat((back + "/etc/gone").c_str(), &st) == 0);
  CHECK((S_ISCHR(st.st_mode) && st.st_rdev == 0));
  CHECK(Xattr(back + "/etc/opq", "trusted.overlay.opaque") == "y");
  REQUIRE(::lstat((back + "/etc/hn2").c_str(), &st) == 0);
  CHECK(st.st_nlink == 2);
  CHECK(*ReadFile(back + "/etc/hn2") == "box\n");
  // Same tree, same tar: diff is deterministic.
  UniqueFd again = FdWith("");
  CHECK(WriteDiff(back, again.get())->diff_id == d->diff_id);
}

}  // namespace
}  // namespace berth::manager
