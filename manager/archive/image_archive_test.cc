#include "manager/archive/image_archive.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "manager/archive/test_tar.h"
#include "manager/content/digest.h"

namespace berth::manager {
namespace {

using Json = nlohmann::json;
using testing::Compression;
using testing::FdWith;
using testing::MakeTar;
using testing::TarEntry;
using testing::TempDir;

std::string Hex(const std::string& digest) { return std::string(DigestHex(digest)); }

struct Fixture {
  TempDir tmp;
  std::unique_ptr<ContentStore> store = *ContentStore::Open(tmp.path + "/store");
  std::string layer = MakeTar({{.path = "etc", .type = AE_IFDIR, .perm = 0755},
                               {.path = "etc/os-release", .data = "ID=berth\n"}});
  std::string layer2 = MakeTar({{.path = "bin/sh", .type = AE_IFLNK, .symlink = "/bin/busybox"}});

  std::string Config(const std::vector<std::string>& diff_ids, const std::string& arch = "amd64") {
    return Json{{"architecture", arch},
                {"os", "linux"},
                {"config", {{"Cmd", {"sh"}}}},
                {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}}
        .dump();
  }

  absl::StatusOr<std::vector<ImportedImage>> Import(const std::string& tar,
                                                    const std::string& base = "",
                                                    ContentStore* into = nullptr) {
    UniqueFd fd = FdWith(tar);
    return ImportArchive(into ? *into : *store, fd.get(), {base}, nullptr);
  }
};

// `docker save busybox:latest` in its classic shape, manifest.json last.
std::string DockerArchive(Fixture& f, bool gzip_layer2) {
  std::string l2 = gzip_layer2
                       ? MakeTar({{.path = "bin/sh", .type = AE_IFLNK, .symlink = "/bin/busybox"}},
                                 Compression::kGzip)
                       : f.layer2;
  std::string config = f.Config({Sha256Digest(f.layer), Sha256Digest(f.layer2)});
  std::string cfg = Hex(Sha256Digest(config)) + ".json";
  Json manifest = Json::array({{{"Config", cfg},
                                {"RepoTags", {"busybox:latest", "example.com:5000/team/bb:1.0"}},
                                {"Layers", {"aaa/layer.tar", "bbb/layer.tar"}}}});
  return MakeTar({{.path = "aaa", .type = AE_IFDIR, .perm = 0755},
                  {.path = "aaa/VERSION", .data = "1.0"},
                  {.path = "aaa/json", .data = "{}"},
                  {.path = "aaa/layer.tar", .data = f.layer},
                  {.path = "ccc/layer.tar", .data = l2},
                  {.path = "bbb", .type = AE_IFDIR, .perm = 0755},
                  {.path = "bbb/layer.tar", .type = AE_IFLNK, .symlink = "../ccc/layer.tar"},
                  {.path = cfg, .data = config},
                  {.path = "repositories", .data = R"({"busybox":{"latest":"bbb"}})"},
                  {.path = "manifest.json", .data = manifest.dump()}});
}

TEST_CASE("archive: ChainId and names", "[image]") {
  const std::string a = "sha256:" + std::string(64, 'a');
  const std::string b = "sha256:" + std::string(64, 'b');
  const std::string c = "sha256:" + std::string(64, 'c');
  CHECK(ChainId({}).empty());
  CHECK(ChainId({a}) == a);
  // printf 'sha256:a.. sha256:b..' | sha256sum, and so on.
  CHECK(ChainId({a, b}) ==
        "sha256:ccd722928bd92476ba1745586fed6e45a102504185ad88cd89e01ff116fd146c");
  CHECK(ChainId({a, b, c}) ==
        "sha256:c1377126441fb2f5ec2c21ae2a60255331d639e830f0ee1b40a36e52d4c40588");

  CHECK(NormalizeImageName("busybox") == "docker.io/library/busybox:latest");
  CHECK(NormalizeImageName("busybox:1.36") == "docker.io/library/busybox:1.36");
  CHECK(NormalizeImageName("me/app") == "docker.io/me/app:latest");
  CHECK(NormalizeImageName("localhost/app") == "localhost/app:latest");
  CHECK(NormalizeImageName("reg:5000/x/y") == "reg:5000/x/y:latest");
  CHECK(NormalizeImageName("quay.io/a/b:2") == "quay.io/a/b:2");
  CHECK(NormalizeImageName("busybox@sha256:" + std::string(64, 'a')) ==
        "docker.io/library/busybox@sha256:" + std::string(64, 'a'));
  CHECK(FamiliarImageName("docker.io/library/busybox:latest") == "busybox:latest");
  CHECK(FamiliarImageName("docker.io/me/app:1") == "me/app:1");
  CHECK(FamiliarImageName("quay.io/a/b:2") == "quay.io/a/b:2");
}

TEST_CASE("archive: docker-archive import synthesises a schema2 manifest", "[image]") {
  Fixture f;
  auto images = f.Import(DockerArchive(f, /*gzip_layer2=*/true));
  REQUIRE(images.ok());
  REQUIRE(images->size() == 2);
  CHECK((*images)[0].name == "docker.io/library/busybox:latest");
  CHECK((*images)[1].name == "example.com:5000/team/bb:1.0");
  const Descriptor& target = (*images)[0].target;
  CHECK(target.media_type == media::kDockerManifest);
  CHECK((*images)[1].target.digest == target.digest);

  auto r = ResolveImage(*f.store, target, {});
  REQUIRE(r.ok());
  CHECK(r->config.media_type == media::kDockerConfig);
  REQUIRE(r->layers.size() == 2);
  CHECK(r->layers[0].media_type == media::kDockerLayer);
  CHECK(r->layers[0].digest == Sha256Digest(f.layer));
  CHECK(r->layers[1].media_type == media::kDockerLayerGzip);  // sniffed from the bytes
  CHECK(r->diff_ids[1] == Sha256Digest(f.layer2));
  CHECK(Json::parse(r->config_json)["os"] == "linux");
  // Only the blobs: 2 layers, config, manifest (no VERSION, no v1 json).
  CHECK(f.store->List()->size() == 4);
  CHECK(f.store->ListIngests()->empty());
}

TEST_CASE("archive: import reports progress per file and manifest", "[image]") {
  Fixture f;
  UniqueFd fd = FdWith(DockerArchive(f, false));
  std::vector<std::string> seen;
  auto images = ImportArchive(
      *f.store, fd.get(), {},
      [&](const std::string& kind, const std::string& ref, int64_t done, int64_t total) {
        if (done == total) seen.push_back(kind + " " + ref);
      });
  REQUIRE(images.ok());
  CHECK(std::count(seen.begin(), seen.end(), "blob aaa/layer.tar") == 1);
  CHECK(std::count_if(seen.begin(), seen.end(), [](const std::string& s) {
          return s.rfind("manifest sha256:", 0) == 0;
        }) == 1);
}

TEST_CASE("archive: a gzip-compressed docker archive imports too", "[image]") {
  Fixture f;
  std::string tar = DockerArchive(f, false);
  std::string gz;
  {  // recompress the whole tar
    archive* w = archive_write_new();
    archive_write_set_format_raw(w);
    archive_write_add_filter_gzip(w);
    archive_write_set_bytes_in_last_block(w, 1);
    archive_write_open(w, &gz, nullptr, testing::AppendToString, nullptr);
    archive_entry* ae = archive_entry_new();
    archive_entry_set_filetype(ae, AE_IFREG);
    archive_entry_set_size(ae, static_cast<la_int64_t>(tar.size()));
    archive_write_header(w, ae);
    archive_write_data(w, tar.data(), tar.size());
    archive_entry_free(ae);
    archive_write_close(w);
    archive_write_free(w);
  }
  auto images = f.Import(gz);
  REQUIRE(images.ok());
  CHECK(images->size() == 2);
}

struct OciBuilder {
  std::vector<TarEntry> entries = {
      {.path = "oci-layout", .data = R"({"imageLayoutVersion":"1.0.0"})"},
      {.path = "blobs", .type = AE_IFDIR, .perm = 0755},
      {.path = "blobs/sha256", .type = AE_IFDIR, .perm = 0755}};
  Descriptor Add(const std::string& media_type, const std::string& data) {
    Descriptor d{media_type, Sha256Digest(data), static_cast<int64_t>(data.size())};
    entries.push_back({.path = "blobs/sha256/" + Hex(d.digest), .data = data});
    return d;
  }
  Descriptor Manifest(const Descriptor& config, const std::vector<Descriptor>& layers) {
    Json m = {{"schemaVersion", 2},
              {"mediaType", media::kOciManifest},
              {"config", DescriptorToJson(config)},
              {"layers", Json::array()}};
    for (const auto& l : layers) m["layers"].push_back(DescriptorToJson(l));
    return Add(media::kOciManifest, m.dump());
  }
  std::string Tar(const std::vector<Descriptor>& index_entries) {
    Json index = {{"schemaVersion", 2}, {"manifests", Json::array()}};
    for (const auto& d : index_entries) index["manifests"].push_back(DescriptorToJson(d));
    entries.push_back({.path = "index.json", .data = index.dump()});
    return MakeTar(entries);
  }
};

struct OciImage {
  std::string tar;
  Descriptor amd64, arm64, index;
};

// A two-platform index named by a bare tag, plus the arm64 manifest alone
// under a full name.
OciImage MultiPlatform(Fixture& f) {
  OciBuilder b;
  OciImage out;
  std::string gz = MakeTar({{.path = "etc", .type = AE_IFDIR, .perm = 0755},
                            {.path = "etc/os-release", .data = "ID=berth\n"}},
                           Compression::kGzip);
  Descriptor l1 = b.Add(media::kOciLayerGzip, gz);
  Descriptor l2 = b.Add(media::kOciLayer, f.layer2);
  Descriptor c1 = b.Add(media::kOciConfig, f.Config({Sha256Digest(f.layer)}, "amd64"));
  Descriptor c2 = b.Add(media::kOciConfig, f.Config({Sha256Digest(f.layer2)}, "arm64"));
  out.amd64 = b.Manifest(c1, {l1});
  out.amd64.platform = Platform{"linux", "amd64", ""};
  out.arm64 = b.Manifest(c2, {l2});
  out.arm64.platform = Platform{"linux", "arm64", "v8"};
  Json index = {{"schemaVersion", 2},
                {"mediaType", media::kOciIndex},
                {"manifests", {DescriptorToJson(out.amd64), DescriptorToJson(out.arm64)}}};
  out.index = b.Add(media::kOciIndex, index.dump());
  Descriptor tagged = out.index;
  tagged.annotations[annotations::kRefName] = "latest";
  Descriptor named = out.arm64;
  named.platform.reset();
  named.annotations[annotations::kImageName] = "single:v1";
  named.annotations[annotations::kRefName] = "v1";
  out.tar = b.Tar({tagged, named});
  return out;
}

TEST_CASE("archive: OCI layout import keeps an index an index", "[image]") {
  Fixture f;
  OciImage oci = MultiPlatform(f);
  auto images = f.Import(oci.tar, "example.com/multi");
  REQUIRE(images.ok());
  REQUIRE(images->size() == 2);
  CHECK((*images)[0].name == "example.com/multi:latest");
  CHECK((*images)[0].target.media_type == media::kOciIndex);
  CHECK((*images)[0].target.digest == oci.index.digest);
  CHECK((*images)[1].name == "docker.io/library/single:v1");
  CHECK((*images)[1].target.digest == oci.arm64.digest);

  auto amd = ResolveImage(*f.store, (*images)[0].target, {"linux", "amd64", ""});
  REQUIRE(amd.ok());
  CHECK(amd->manifest.digest == oci.amd64.digest);
  CHECK(amd->layers.at(0).media_type == media::kOciLayerGzip);
  CHECK(amd->diff_ids == std::vector<std::string>{Sha256Digest(f.layer)});
  auto arm = ResolveImage(*f.store, (*images)[0].target, {"linux", "arm64", ""});
  REQUIRE(arm.ok());
  CHECK(arm->manifest.digest == oci.arm64.digest);
  auto none = ResolveImage(*f.store, (*images)[0].target, {"linux", "s390x", ""});
  CHECK(absl::IsNotFound(none.status()));
  CHECK(none.status().message().find("linux/s390x") != std::string::npos);

  // Without a base name a bare tag names nothing.
  Fixture g;
  auto unnamed = g.Import(MultiPlatform(g).tar);
  REQUIRE(unnamed.ok());
  CHECK((*unnamed)[0].name.empty());
}

TEST_CASE("archive: a blob that does not match its digest is refused", "[image]") {
  Fixture f;
  OciBuilder b;
  Descriptor config = b.Add(media::kOciConfig, f.Config({Sha256Digest(f.layer)}));
  Descriptor layer = b.Add(media::kOciLayer, f.layer);
  b.entries.back().data[600] ^= 1;  // flip a bit of the layer
  Descriptor m = b.Manifest(config, {layer});
  auto r = f.Import(b.Tar({m}));
  REQUIRE(absl::IsFailedPrecondition(r.status()));
  INFO(r.status().ToString());
  CHECK(r.status().message().find("expected " + layer.digest) != std::string::npos);
  CHECK(r.status().message().find("blobs/sha256/" + Hex(layer.digest)) != std::string::npos);
  CHECK(absl::IsNotFound(f.store->Info(layer.digest).status()));
  CHECK(f.store->ListIngests()->empty());
}

TEST_CASE("archive: unknown media types are refused by name", "[image]") {
  Fixture f;
  OciBuilder b;
  Descriptor config = b.Add(media::kOciConfig, f.Config({Sha256Digest(f.layer)}));
  Descriptor layer = b.Add("application/x-mystery", f.layer);
  Descriptor m = b.Manifest(config, {layer});
  auto r = f.Import(b.Tar({m}));
  REQUIRE(absl::IsInvalidArgument(r.status()));
  CHECK(r.status().message().find("application/x-mystery") != std::string::npos);
  CHECK(r.status().message().find(layer.digest) != std::string::npos);

  Fixture g;
  OciBuilder b2;
  Descriptor odd = b2.Add("application/vnd.example+json", "{}");
  auto r2 = g.Import(b2.Tar({odd}));
  REQUIRE(absl::IsInvalidArgument(r2.status()));
  CHECK(r2.status().message().find("application/vnd.example+json") != std::string::npos);
  CHECK(r2.status().message().find(odd.digest) != std::string::npos);

  Fixture h;
  auto r3 = h.Import(MakeTar({{.path = "hello.txt", .data = "hi"}}));
  CHECK(absl::IsInvalidArgument(r3.status()));
}

std::map<std::string, std::string> AllBlobs(const ContentStore& store) {
  std::map<std::string, std::string> out;
  std::vector<BlobInfo> blobs = *store.List();
  for (const BlobInfo& b : blobs) out[b.digest] = *store.ReadAll(b.digest);
  return out;
}

TEST_CASE("archive: OCI export -> import round-trips byte-identical blobs", "[image]") {
  Fixture f;
  auto images = f.Import(MultiPlatform(f).tar, "example.com/multi");
  REQUIRE(images.ok());
  UniqueFd out = FdWith("");
  REQUIRE(ExportArchive(*f.store, *images, ArchiveFormat::kOci, {}, out.get()).ok());
  std::string tar = testing::ReadFd(out.get());

  TempDir t2;
  auto store2 = *ContentStore::Open(t2.path + "/store");
  auto again = f.Import(tar, "", store2.get());
  REQUIRE(again.ok());
  REQUIRE(again->size() == 2);
  CHECK((*again)[0].name == "example.com/multi:latest");
  CHECK((*again)[0].target.digest == (*images)[0].target.digest);
  CHECK((*again)[1].name == "docker.io/library/single:v1");
  CHECK(AllBlobs(*store2) == AllBlobs(*f.store));
}

TEST_CASE("archive: docker export is what docker save writes, and imports back", "[image]") {
  Fixture f;
  auto images = f.Import(MultiPlatform(f).tar, "example.com/multi");
  REQUIRE(images.ok());
  UniqueFd out = FdWith("");
  REQUIRE(ExportArchive(*f.store, {(*images)[0]}, ArchiveFormat::kDocker, {"linux", "amd64", ""},
                        out.get())
              .ok());
  std::string tar = testing::ReadFd(out.get());
  std::string diff = Hex(Sha256Digest(f.layer));
  CHECK(tar.find(diff + "/layer.tar") != std::string::npos);
  CHECK(tar.find("\"RepoTags\":[\"example.com/multi:latest\"]") != std::string::npos);

  TempDir t2;
  auto store2 = *ContentStore::Open(t2.path + "/store");
  auto back = f.Import(tar, "", store2.get());
  REQUIRE(back.ok());
  REQUIRE(back->size() == 1);
  CHECK((*back)[0].name == "example.com/multi:latest");
  auto r1 = ResolveImage(*f.store, (*images)[0].target, {"linux", "amd64", ""});
  auto r2 = ResolveImage(*store2, (*back)[0].target, {});
  REQUIRE(r2.ok());
  CHECK(r2->config.digest == r1->config.digest);  // config bytes kept
  CHECK(r2->diff_ids == r1->diff_ids);
  // The gzip layer went out decompressed: its blob is now the diff itself.
  CHECK(r2->layers.at(0).digest == r1->diff_ids.at(0));
  CHECK(r2->layers.at(0).media_type == media::kDockerLayer);
  CHECK(ChainId(r2->diff_ids) == ChainId(r1->diff_ids));
}

}  // namespace
}  // namespace berth::manager
