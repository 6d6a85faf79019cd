#include "manager/metadata/store.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>

namespace berth::manager {
namespace {

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/berth-meta-test.XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string path;
};

v1::Image MakeImage(const std::string& name, const std::string& digest) {
  v1::Image img;
  img.set_name(name);
  img.mutable_target()->set_digest(digest);
  img.mutable_target()->set_media_type("application/vnd.oci.image.manifest.v1+json");
  return img;
}

TEST_CASE("metadata: images are per namespace and survive reopening", "[metadata]") {
  TempDir dir;
  {
    auto store = MetadataStore::Open(dir.path + "/meta.db");
    REQUIRE(store.ok());
    REQUIRE((*store)->CreateImage("a", MakeImage("busybox:latest", "sha256:1")).ok());
    REQUIRE((*store)->CreateImage("b", MakeImage("busybox:latest", "sha256:2")).ok());
    auto dup = (*store)->CreateImage("a", MakeImage("busybox:latest", "sha256:3"));
    CHECK(absl::IsAlreadyExists(dup.status()));
    CHECK(dup.status().message() == "image busybox:latest: already exists");
  }
  auto store = MetadataStore::Open(dir.path + "/meta.db");
  REQUIRE(store.ok());
  auto a = (*store)->GetImage("a", "busybox:latest");
  REQUIRE(a.ok());
  CHECK(a->target().digest() == "sha256:1");
  CHECK(a->created_at() > 0);
  auto b = (*store)->GetImage("b", "busybox:latest");
  REQUIRE(b.ok());
  CHECK(b->target().digest() == "sha256:2");
  auto missing = (*store)->GetImage("c", "busybox:latest");
  CHECK(absl::IsNotFound(missing.status()));
  CHECK(missing.status().message() == "image busybox:latest: not found");
  auto names = (*store)->ListNamespaces();
  REQUIRE(names.ok());
  REQUIRE(names->size() == 2);
}

TEST_CASE("metadata: put keeps created_at, delete and namespace rules", "[metadata]") {
  TempDir dir;
  auto store = MetadataStore::Open(dir.path + "/meta.db");
  REQUIRE(store.ok());
  MetadataStore& s = **store;
  auto first = s.PutImage("default", MakeImage("x", "sha256:1"));
  REQUIRE(first.ok());
  auto second = s.PutImage("default", MakeImage("x", "sha256:2"));
  REQUIRE(second.ok());
  CHECK(second->created_at() == first->created_at());
  CHECK(second->target().digest() == "sha256:2");

  v1::Container c;
  c.set_id("web");
  c.set_spec("{}");
  REQUIRE(s.CreateContainer("default", c).ok());
  c.set_image("x");
  auto updated = s.UpdateContainer("default", c);
  REQUIRE(updated.ok());
  CHECK(s.GetContainer("default", "web")->image() == "x");
  c.set_id("ghost");
  CHECK(absl::IsNotFound(s.UpdateContainer("default", c).status()));

  auto busy = s.DeleteNamespace("default");
  CHECK(absl::IsFailedPrecondition(busy));
  REQUIRE(s.DeleteContainer("default", "web").ok());
  REQUIRE(s.DeleteImage("default", "x").ok());
  CHECK(absl::IsNotFound(s.DeleteImage("default", "x")));
  CHECK(s.DeleteNamespace("default").ok());
}

TEST_CASE("metadata: content claims", "[metadata]") {
  TempDir dir;
  auto store = MetadataStore::Open(dir.path + "/meta.db");
  REQUIRE(store.ok());
  MetadataStore& s = **store;
  REQUIRE(s.AddContent("a", "sha256:1", 10).ok());
  REQUIRE(s.AddContent("a", "sha256:1", 10).ok());  // idempotent
  REQUIRE(s.AddContent("b", "sha256:1", 10).ok());
  CHECK(*s.HasContent("a", "sha256:1"));
  CHECK_FALSE(*s.HasContent("c", "sha256:1"));
  CHECK(s.ListContent("")->size() == 2);
  REQUIRE(s.RemoveContent("a", "sha256:1").ok());
  CHECK_FALSE(*s.HasContent("a", "sha256:1"));
  CHECK(*s.HasContent("b", "sha256:1"));
}

}  // namespace
}  // namespace berth::manager
