#include "manager/gc/gc.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "manager/archive/image_archive.h"

namespace berth::manager {
namespace {

struct Fixture {
  Fixture() {
    char tmpl[] = "/tmp/berth-gc-test.XXXXXX";
    dir = ::mkdtemp(tmpl);
    content = *ContentStore::Open(dir + "/content");
    meta = *MetadataStore::Open(dir + "/meta.db");
    snaps = *OverlaySnapshotter::Open(dir + "/snapshots");
    gc = std::make_unique<Collector>(*content, *meta, *snaps, leases);
  }
  ~Fixture() { std::filesystem::remove_all(dir); }

  // A one-layer image: layer, config naming its diff id, manifest.
  std::string AddImage(const std::string& ns, const std::string& name, const std::string& data) {
    std::string layer = *content->WriteBlob(data);
    nlohmann::json config = {{"rootfs", {{"type", "layers"}, {"diff_ids", {layer}}}}};
    std::string config_digest = *content->WriteBlob(config.dump());
    nlohmann::json manifest = {
        {"schemaVersion", 2},
        {"mediaType", media::kOciManifest},
        {"config", {{"mediaType", media::kOciConfig}, {"digest", config_digest}, {"size", 1}}},
        {"layers", {{{"mediaType", media::kOciLayer}, {"digest", layer}, {"size", 1}}}}};
    std::string manifest_digest = *content->WriteBlob(manifest.dump());
    for (const std::string& d : {layer, config_digest, manifest_digest}) {
      REQUIRE(meta->AddContent(ns, d, 1).ok());
    }
    v1::Image img;
    img.set_name(name);
    img.mutable_target()->set_digest(manifest_digest);
    img.mutable_target()->set_media_type(media::kOciManifest);
    REQUIRE(meta->PutImage(ns, img).ok());
    std::string chain = SnapshotKey(ns, ChainId({layer}));
    REQUIRE(snaps->Prepare(chain + "-extract", "", {}).ok());
    REQUIRE(snaps->Commit(chain, chain + "-extract", {}).ok());
    return layer;
  }

  std::string dir;
  std::unique_ptr<ContentStore> content;
  std::unique_ptr<MetadataStore> meta;
  std::unique_ptr<OverlaySnapshotter> snaps;
  Leases leases;
  std::unique_ptr<Collector> gc;
};

TEST_CASE("gc: keeps what images and containers reach, removes the rest", "[gc]") {
  Fixture f;
  std::string layer = f.AddImage("default", "img", "layer-bytes");
  std::string orphan = *f.content->WriteBlob("nobody references me");
  REQUIRE(f.meta->AddContent("default", orphan, 1).ok());
  REQUIRE(f.snaps->Prepare("default/dangling", "", {}).ok());
  REQUIRE(f.snaps->Prepare("default/ctr", "", {}).ok());
  v1::Container c;
  c.set_id("ctr");
  c.set_spec("{}");
  c.set_snapshot_key("ctr");
  REQUIRE(f.meta->CreateContainer("default", c).ok());

  auto r = f.gc->Collect();
  REQUIRE(r.ok());
  CHECK(r->blobs_removed == 1);
  CHECK(r->snapshots_removed == 1);
  CHECK(absl::IsNotFound(f.content->Info(orphan).status()));
  CHECK_FALSE(*f.meta->HasContent("default", orphan));
  CHECK(f.content->Info(layer).ok());
  CHECK(f.snaps->Stat("default/ctr").ok());
  CHECK(absl::IsNotFound(f.snaps->Stat("default/dangling").status()));
  CHECK(f.snaps->Stat(SnapshotKey("default", ChainId({layer}))).ok());

  // Without the image and the container nothing stays.
  REQUIRE(f.meta->DeleteImage("default", "img").ok());
  REQUIRE(f.meta->DeleteContainer("default", "ctr").ok());
  REQUIRE(f.gc->Collect().ok());
  CHECK(f.content->List()->empty());
  CHECK(f.snaps->List()->empty());
  CHECK(f.meta->ListContent("")->empty());
}

TEST_CASE("gc: a blob shared by two namespaces stays while one uses it", "[gc]") {
  Fixture f;
  std::string layer = f.AddImage("a", "img", "shared");
  f.AddImage("b", "img", "shared");
  REQUIRE(f.meta->DeleteImage("a", "img").ok());
  REQUIRE(f.gc->Collect().ok());
  CHECK(f.content->Info(layer).ok());
  CHECK_FALSE(*f.meta->HasContent("a", layer));
  CHECK(*f.meta->HasContent("b", layer));
}

TEST_CASE("gc: an open lease protects work in progress", "[gc]") {
  Fixture f;
  std::string blob;
  {
    Leases::Lease lease = f.leases.Begin();
    blob = *f.content->WriteBlob("being imported");
    REQUIRE(f.gc->Collect().ok());
    CHECK(f.content->Info(blob).ok());
  }
  REQUIRE(f.gc->Collect().ok());
  CHECK(absl::IsNotFound(f.content->Info(blob).status()));
}

}  // namespace
}  // namespace berth::manager
