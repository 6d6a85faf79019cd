#include "manager/archive/image_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status.h"
#include "manager/content/digest.h"

namespace berth::manager {
namespace {

using Json = nlohmann::json;

constexpr int64_t kSmallFileMax = 16 << 20;  // index.json, manifest.json, ...

struct ReadFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ReadArchive = std::unique_ptr<archive, ReadFree>;

std::string ArchiveError(archive* a) {
  const char* e = archive_error_string(a);
  return e ? e : "unknown error";
}

absl::StatusOr<Json> ParseJson(absl::string_view text, absl::string_view what) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("parse ", what, ": ", e.what()));
  }
}

absl::Status UnknownMediaType(absl::string_view media_type, absl::string_view digest,
                              absl::string_view where) {
  return absl::InvalidArgumentError(
      absl::StrCat("unsupported media type \"", media_type, "\" of ", digest, " in ", where));
}

}  // namespace

// ---------------------------------------------------------------------------
// Names and chain ids.

std::string NormalizeImageName(absl::string_view name) {
  std::string out(name);
  size_t slash = out.find('/');
  absl::string_view first = absl::string_view(out).substr(0, slash);
  bool has_registry =
      slash != std::string::npos &&
      (absl::StrContains(first, '.') || absl::StrContains(first, ':') || first == "localhost");
  if (!has_registry) {
    out = absl::StrCat("docker.io/", slash == std::string::npos ? "library/" : "", out);
  }
  size_t last_slash = out.rfind('/');
  bool tagged = out.find(':', last_slash) != std::string::npos;
  if (!tagged && !absl::StrContains(out, '@')) out += ":latest";
  return out;
}

std::string FamiliarImageName(absl::string_view name) {
  if (absl::ConsumePrefix(&name, "docker.io/")) absl::ConsumePrefix(&name, "library/");
  return std::string(name);
}

std::string ChainId(const std::vector<std::string>& diff_ids) {
  std::string chain;
  for (const std::string& d : diff_ids) {
    chain = chain.empty() ? d : Sha256Digest(absl::StrCat(chain, " ", d));
  }
  return chain;
}

// ---------------------------------------------------------------------------
// Import: one pass over the tar, every regular file (but the few small
// metadata files) streamed into the store; then the metadata interpreted.
namespace {

struct StoredFile {
  std::string digest;
  int64_t size = 0;
  bool gzip = false;  // starts with the gzip magic (docker layer media type)
};

class Importer {
 public:
  Importer(ContentStore& store, const ImportOptions& options, const ImportProgress& progress)
      : store_(store), options_(options), progress_(progress) {}
  absl::Status ReadTar(int fd);
  absl::StatusOr<std::vector<ImportedImage>> Interpret();

 private:
  absl::Status Entry(archive* a, archive_entry* e, const std::string& path);
  absl::Status StoreEntry(archive* a, const std::string& path, int64_t size);
  absl::StatusOr<std::string> ReadSmall(archive* a, const std::string& path, int64_t size);
  const StoredFile* File(const std::string& path) const;
  absl::StatusOr<std::vector<ImportedImage>> ImportOci();
  absl::StatusOr<std::vector<ImportedImage>> ImportDocker();
  absl::StatusOr<ImportedImage> DockerImage(const Json& entry, std::vector<std::string>* names);
  absl::Status CheckTree(const Descriptor& d, int depth);
  void Progress(const std::string& kind, const std::string& ref, int64_t done, int64_t total) {
    if (progress_) progress_(kind, ref, done, total);
  }

  ContentStore& store_;
  const ImportOptions& options_;
  const ImportProgress& progress_;
  std::map<std::string, std::string> small_;    // "index.json" -> text, ...
  std::map<std::string, StoredFile> files_;     // archive path -> blob
  std::map<std::string, std::string> aliases_;  // symlink or hardlink path -> target path
};

// "./a/b" and "/a/b" -> "a/b".
std::string CleanPath(absl::string_view p) {
  while (absl::ConsumePrefix(&p, "./") || absl::ConsumePrefix(&p, "/")) {
  }
  return std::string(p);
}

// A symlink's target relative to the archive root ("a/layer.tar" ->
// "../b/layer.tar" gives "b/layer.tar").
std::string ResolveLink(const std::string& path, absl::string_view target) {
  std::vector<std::string> parts;
  if (!absl::StartsWith(target, "/")) parts = absl::StrSplit(path, '/');
  if (!parts.empty()) parts.pop_back();
  for (absl::string_view c : absl::StrSplit(target, '/', absl::SkipEmpty())) {
    if (c == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (c != ".") {
      parts.emplace_back(c);
    }
  }
  return absl::StrJoin(parts, "/");
}

absl::Status Importer::ReadTar(int fd) {
  ReadArchive a(archive_read_new());
  archive_read_support_filter_all(a.get());  // plain or gzip (any libarchive filter)
  archive_read_support_format_tar(a.get());
  if (archive_read_open_fd(a.get(), fd, 1 << 16) != ARCHIVE_OK) {
    return absl::InvalidArgumentError(absl::StrCat("open image archive: ", ArchiveError(a.get())));
  }
  std::string last;
  for (;;) {
    archive_entry* e;
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) return absl::OkStatus();
    if (r < ARCHIVE_WARN) {
      return absl::InvalidArgumentError(
          absl::StrCat("read image archive after \"", last, "\": ", ArchiveError(a.get())));
    }
    last = CleanPath(archive_entry_pathname(e) ? archive_entry_pathname(e) : "");
    RETURN_IF_ERROR(Annotate(Entry(a.get(), e, last), absl::StrCat("import ", last)));
  }
}

absl::Status Importer::Entry(archive* a, archive_entry* e, const std::string& path) {
  if (const char* hl = archive_entry_hardlink(e)) {
    aliases_[path] = CleanPath(hl);
    return absl::OkStatus();
  }
  if (archive_entry_filetype(e) == AE_IFLNK) {
    aliases_[path] = ResolveLink(path, archive_entry_symlink(e) ? archive_entry_symlink(e) : "");
    return absl::OkStatus();
  }
  if (archive_entry_filetype(e) != AE_IFREG) return absl::OkStatus();
  const int64_t size = archive_entry_size(e);
  if (path == "oci-layout" || path == "index.json" || path == "manifest.json" ||
      path == "repositories") {
    ASSIGN_OR_RETURN(small_[path], ReadSmall(a, path, size));
    return absl::OkStatus();
  }
  // docker save's legacy v1 files: nothing refers to them by digest.
  if (absl::EndsWith(path, "/VERSION") || absl::EndsWith(path, "/json")) return absl::OkStatus();
  return StoreEntry(a, path, size);
}

absl::StatusOr<std::string> Importer::ReadSmall(archive* a, const std::string& path, int64_t size) {
  if (size > kSmallFileMax) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is too large (", size, " bytes)"));
  }
  std::string out(static_cast<size_t>(size), '\0');
  la_ssize_t n = archive_read_data(a, out.data(), out.size());
  if (n < 0 || n != size) {
    return absl::InvalidArgumentError(absl::StrCat("read ", path, ": ", ArchiveError(a)));
  }
  return out;
}

// Blobs under blobs/sha256/ are verified against their name; any other file
// (docker's layer.tar and config json) is hashed. A blob the store already
// has is skipped.
absl::Status Importer::StoreEntry(archive* a, const std::string& path, int64_t size) {
  std::string expected;
  if (absl::StartsWith(path, "blobs/sha256/")) {
    expected = absl::StrCat(kSha256Prefix, path.substr(strlen("blobs/sha256/")));
    RETURN_IF_ERROR(ValidateDigest(expected));
    if (absl::StatusOr<BlobInfo> info = store_.Info(expected); info.ok() && info->size == size) {
      files_[path] = {expected, size, false};
      return absl::OkStatus();
    }
  }
  static std::atomic<uint64_t> counter{0};
  const std::string ref = absl::StrCat("import-", ::getpid(), "-", counter++, "-", path);
  ASSIGN_OR_RETURN(std::unique_ptr<ContentWriter> w, store_.Writer(ref, expected, size));
  StoredFile file{"", size, false};
  std::string buf(1 << 16, '\0');
  absl::Status st;
  for (int64_t done = 0;;) {
    la_ssize_t n = archive_read_data(a, buf.data(), buf.size());
    if (n < 0) st = absl::InvalidArgumentError(absl::StrCat("read data: ", ArchiveError(a)));
    if (n <= 0) break;
    if (done == 0) file.gzip = n >= 2 && buf[0] == '\x1f' && buf[1] == '\x8b';
    st = w->Write(absl::string_view(buf.data(), static_cast<size_t>(n)));
    if (!st.ok()) break;
    if (((done + n) >> 22) != (done >> 22)) Progress("blob", path, done + n, size);
    done += n;
  }
  if (!st.ok()) {
    w.reset();
    (void)store_.Abort(ref);  // nothing half-written stays
    return st;
  }
  ASSIGN_OR_RETURN(file.digest, w->Commit(size, expected));  // a mismatch removes the ingest
  Progress("blob", path, size, size);
  files_[path] = file;
  return absl::OkStatus();
}

const StoredFile* Importer::File(const std::string& path) const {
  std::string p = CleanPath(path);
  for (int hops = 0; hops < 8; ++hops) {
    if (auto it = files_.find(p); it != files_.end()) return &it->second;
    auto alias = aliases_.find(p);
    if (alias == aliases_.end()) return nullptr;
    p = alias->second;
  }
  return nullptr;
}

absl::StatusOr<std::vector<ImportedImage>> Importer::Interpret() {
  if (small_.count("index.json")) return ImportOci();
  if (small_.count("manifest.json")) return ImportDocker();
  return absl::InvalidArgumentError(
      "import: not an image archive (no index.json or manifest.json at its root)");
}

}  // namespace

namespace {

// Checks that d and what it references have media types Berth knows, and
// that referenced manifests' configs and layers are in the store. An
// index's children that the archive does not carry (other platforms) are
// skipped, as are buildkit attestation manifests.
absl::Status Importer::CheckTree(const Descriptor& d, int depth) {
  if (depth > 4)
    return absl::InvalidArgumentError(absl::StrCat("index ", d.digest, " nests too deep"));
  if (!media::IsIndex(d.media_type) && !media::IsManifest(d.media_type)) {
    return UnknownMediaType(d.media_type, d.digest, "index.json");
  }
  ASSIGN_OR_RETURN(std::string text, store_.ReadAll(d.digest, kSmallFileMax));
  if (static_cast<int64_t>(text.size()) != d.size) {
    return absl::InvalidArgumentError(
        absl::StrCat(d.digest, ": size ", text.size(), ", descriptor says ", d.size));
  }
  ASSIGN_OR_RETURN(Json j, ParseJson(text, d.digest));
  const bool index = media::IsIndex(d.media_type);
  const Json& children =
      index ? j.value("manifests", Json::array()) : j.value("layers", Json::array());
  if (!index) {
    ASSIGN_OR_RETURN(Descriptor config, DescriptorFromJson(j.value("config", Json()), d.digest));
    if (!media::IsConfig(config.media_type)) {
      return UnknownMediaType(config.media_type, config.digest, d.digest);
    }
    RETURN_IF_ERROR(store_.Info(config.digest).status());
  }
  for (const Json& cj : children) {
    ASSIGN_OR_RETURN(Descriptor c, DescriptorFromJson(cj, d.digest));
    if (index && c.annotations.count("vnd.docker.reference.type")) continue;  // attestation
    bool known = index ? media::IsIndex(c.media_type) || media::IsManifest(c.media_type)
                       : media::IsLayer(c.media_type);
    if (!known) return UnknownMediaType(c.media_type, c.digest, d.digest);
    absl::StatusOr<BlobInfo> info = store_.Info(c.digest);
    if (index && absl::IsNotFound(info.status())) continue;
    RETURN_IF_ERROR(Annotate(info.status(), absl::StrCat("referenced by ", d.digest)));
    if (index) RETURN_IF_ERROR(CheckTree(c, depth + 1));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<ImportedImage>> Importer::ImportOci() {
  if (!small_.count("oci-layout")) {
    return absl::InvalidArgumentError("import: index.json without oci-layout");
  }
  ASSIGN_OR_RETURN(Json index, ParseJson(small_["index.json"], "index.json"));
  std::vector<ImportedImage> out;
  for (const Json& mj : index.value("manifests", Json::array())) {
    ASSIGN_OR_RETURN(Descriptor d, DescriptorFromJson(mj, "index.json"));
    RETURN_IF_ERROR(Annotate(CheckTree(d, 0), "import"));
    Progress(media::IsIndex(d.media_type) ? "index" : "manifest", d.digest, d.size, d.size);
    std::string name;
    if (auto it = d.annotations.find(annotations::kImageName); it != d.annotations.end()) {
      name = NormalizeImageName(it->second);
    } else if (auto ref = d.annotations.find(annotations::kRefName); ref != d.annotations.end()) {
      // A bare tag ("latest") needs base_name; anything else is a reference.
      bool bare_tag = !absl::StrContains(ref->second, '/') && !absl::StrContains(ref->second, ':');
      if (!bare_tag) {
        name = NormalizeImageName(ref->second);
      } else if (!options_.base_name.empty()) {
        name = NormalizeImageName(absl::StrCat(options_.base_name, ":", ref->second));
      }
    }
    out.push_back({std::move(name), std::move(d)});
  }
  return out;
}

absl::StatusOr<std::vector<ImportedImage>> Importer::ImportDocker() {
  ASSIGN_OR_RETURN(Json manifest, ParseJson(small_["manifest.json"], "manifest.json"));
  if (!manifest.is_array()) return absl::InvalidArgumentError("manifest.json: not an array");
  std::vector<ImportedImage> out;
  for (const Json& entry : manifest) {
    std::vector<std::string> names;
    ASSIGN_OR_RETURN(ImportedImage image, DockerImage(entry, &names));
    for (std::string& n : names) out.push_back({std::move(n), image.target});
  }
  return out;
}

// One manifest.json entry {Config, RepoTags, Layers}: synthesises and
// stores its Docker schema2 manifest.
absl::StatusOr<ImportedImage> Importer::DockerImage(const Json& entry,
                                                    std::vector<std::string>* names) {
  std::string config_path;
  std::vector<std::string> layer_paths;
  try {
    config_path = entry.at("Config").get<std::string>();
    layer_paths = entry.value("Layers", std::vector<std::string>{});
    for (const auto& tag : entry.value("RepoTags", std::vector<std::string>{})) {
      names->push_back(NormalizeImageName(tag));
    }
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("manifest.json: ", e.what()));
  }
  if (names->empty()) {
    names->push_back(options_.base_name.empty() ? "" : NormalizeImageName(options_.base_name));
  }
  const StoredFile* config = File(config_path);
  if (!config) {
    return absl::InvalidArgumentError(
        absl::StrCat("manifest.json: config ", config_path, " is not in the archive"));
  }
  ASSIGN_OR_RETURN(std::string config_text, store_.ReadAll(config->digest));
  ASSIGN_OR_RETURN(Json config_json, ParseJson(config_text, config_path));
  size_t diff_ids =
      config_json.value("rootfs", Json::object()).value("diff_ids", Json::array()).size();
  if (diff_ids != layer_paths.size()) {
    return absl::InvalidArgumentError(absl::StrCat("manifest.json: ", layer_paths.size(),
                                                   " layers but ", config_path, " lists ", diff_ids,
                                                   " diff_ids"));
  }
  Json m = {{"schemaVersion", 2},
            {"mediaType", media::kDockerManifest},
            {"config", DescriptorToJson({media::kDockerConfig, config->digest, config->size})},
            {"layers", Json::array()}};
  for (const std::string& lp : layer_paths) {
    const StoredFile* layer = File(lp);
    if (!layer) {
      return absl::InvalidArgumentError(
          absl::StrCat("manifest.json: layer ", lp, " is not in the archive"));
    }
    m["layers"].push_back(DescriptorToJson(
        {layer->gzip ? media::kDockerLayerGzip : media::kDockerLayer, layer->digest, layer->size}));
  }
  std::string text = m.dump();
  ASSIGN_OR_RETURN(std::string digest, store_.WriteBlob(text));
  Progress("manifest", digest, static_cast<int64_t>(text.size()),
           static_cast<int64_t>(text.size()));
  return ImportedImage{"", {media::kDockerManifest, digest, static_cast<int64_t>(text.size())}};
}

}  // namespace

absl::StatusOr<std::vector<ImportedImage>> ImportArchive(ContentStore& store, int tar_fd,
                                                         const ImportOptions& options,
                                                         const ImportProgress& progress) {
  Importer importer(store, options, progress);
  RETURN_IF_ERROR(importer.ReadTar(tar_fd));
  return importer.Interpret();
}

// ---------------------------------------------------------------------------
// Resolution.
namespace {

absl::StatusOr<Json> ReadJsonBlob(const ContentStore& store, const Descriptor& d) {
  ASSIGN_OR_RETURN(std::string text, store.ReadAll(d.digest, kSmallFileMax));
  return ParseJson(text, d.digest);
}

// The first child of index d for platform p (a nested index without a
// platform counts as matching; the caller descends into it).
absl::StatusOr<Descriptor> PickManifest(const ContentStore& store, const Descriptor& d,
                                        const Platform& p) {
  ASSIGN_OR_RETURN(Json j, ReadJsonBlob(store, d));
  for (const Json& cj : j.value("manifests", Json::array())) {
    ASSIGN_OR_RETURN(Descriptor c, DescriptorFromJson(cj, d.digest));
    if (c.annotations.count("vnd.docker.reference.type")) continue;  // attestation
    if (!media::IsIndex(c.media_type) && !media::IsManifest(c.media_type)) {
      return UnknownMediaType(c.media_type, c.digest, d.digest);
    }
    if (c.platform ? PlatformMatches(p, *c.platform) : media::IsIndex(c.media_type)) return c;
  }
  return absl::NotFoundError(
      absl::StrCat("no manifest for platform ", p.ToString(), " in index ", d.digest));
}

}  // namespace

absl::StatusOr<ResolvedImage> ResolveImage(const ContentStore& store, const Descriptor& target,
                                           const Platform& want) {
  const Platform p = want.empty() ? HostPlatform() : want;
  Descriptor d = target;
  for (int depth = 0; media::IsIndex(d.media_type); ++depth) {
    if (depth > 4)
      return absl::InvalidArgumentError(absl::StrCat("index ", target.digest, " nests too deep"));
    ASSIGN_OR_RETURN(d, PickManifest(store, d, p));
  }
  if (!media::IsManifest(d.media_type))
    return UnknownMediaType(d.media_type, d.digest, "image target");
  ResolvedImage r;
  r.manifest = d;
  ASSIGN_OR_RETURN(Json m, ReadJsonBlob(store, d));
  ASSIGN_OR_RETURN(r.config, DescriptorFromJson(m.value("config", Json()), d.digest));
  if (!media::IsConfig(r.config.media_type)) {
    return UnknownMediaType(r.config.media_type, r.config.digest, d.digest);
  }
  for (const Json& lj : m.value("layers", Json::array())) {
    ASSIGN_OR_RETURN(Descriptor l, DescriptorFromJson(lj, d.digest));
    if (!media::IsLayer(l.media_type)) return UnknownMediaType(l.media_type, l.digest, d.digest);
    r.layers.push_back(std::move(l));
  }
  ASSIGN_OR_RETURN(r.config_json, store.ReadAll(r.config.digest, kSmallFileMax));
  ASSIGN_OR_RETURN(Json c, ParseJson(r.config_json, r.config.digest));
  try {
    r.diff_ids = c.value("rootfs", Json::object()).value("diff_ids", std::vector<std::string>{});
  } catch (const Json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(r.config.digest, ": rootfs.diff_ids: ", e.what()));
  }
  if (r.diff_ids.size() != r.layers.size()) {
    return absl::InvalidArgumentError(absl::StrCat("manifest ", d.digest, " has ", r.layers.size(),
                                                   " layers but its config lists ",
                                                   r.diff_ids.size(), " diff_ids"));
  }
  for (const std::string& id : r.diff_ids)
    RETURN_IF_ERROR(Annotate(ValidateDigest(id), r.config.digest));
  return r;
}

// ---------------------------------------------------------------------------
// Export.
namespace {

struct WriteFree {
  void operator()(archive* a) const { archive_write_free(a); }
};

// An uncompressed PAX tar on an fd; entries with fixed mtime 0, root-owned.
class TarOut {
 public:
  explicit TarOut(int fd) : a_(archive_write_new()) {
    archive_write_set_format_pax_restricted(a_.get());
    archive_write_add_filter_none(a_.get());
    archive_write_set_bytes_in_last_block(a_.get(), 1);
    open_ = archive_write_open_fd(a_.get(), fd) == ARCHIVE_OK;
  }
  absl::Status Dir(const std::string& path) { return Header(path, AE_IFDIR, 0755, 0); }
  absl::Status File(const std::string& path, absl::string_view data) {
    RETURN_IF_ERROR(Header(path, AE_IFREG, 0644, static_cast<int64_t>(data.size())));
    return Data(path, data);
  }
  // Streams size bytes of a reader (called until it returns empty) as path.
  absl::Status Stream(const std::string& path, int64_t size,
                      const std::function<absl::StatusOr<absl::string_view>()>& next) {
    RETURN_IF_ERROR(Header(path, AE_IFREG, 0644, size));
    for (int64_t done = 0;;) {
      ASSIGN_OR_RETURN(absl::string_view chunk, next());
      if (chunk.empty()) {
        if (done != size) return absl::DataLossError(absl::StrCat("export ", path, ": short read"));
        return absl::OkStatus();
      }
      done += static_cast<int64_t>(chunk.size());
      RETURN_IF_ERROR(Data(path, chunk));
    }
  }
  absl::Status Close() {
    if (archive_write_close(a_.get()) != ARCHIVE_OK) return Error("close");
    return absl::OkStatus();
  }

 private:
  absl::Status Header(const std::string& path, unsigned type, int perm, int64_t size) {
    if (!open_) return Error("open");
    std::unique_ptr<archive_entry, void (*)(archive_entry*)> e(archive_entry_new(),
                                                               archive_entry_free);
    archive_entry_set_pathname(e.get(), path.c_str());
    archive_entry_set_filetype(e.get(), type);
    archive_entry_set_perm(e.get(), perm);
    archive_entry_set_size(e.get(), size);
    archive_entry_set_mtime(e.get(), 0, 0);
    if (archive_write_header(a_.get(), e.get()) < ARCHIVE_WARN) return Error(path);
    return absl::OkStatus();
  }
  absl::Status Data(const std::string& path, absl::string_view data) {
    if (archive_write_data(a_.get(), data.data(), data.size()) < 0) return Error(path);
    return absl::OkStatus();
  }
  absl::Status Error(absl::string_view what) {
    return absl::InternalError(absl::StrCat("export: write ", what, ": ", ArchiveError(a_.get())));
  }

  std::unique_ptr<archive, WriteFree> a_;
  bool open_ = false;
};

// Writes a blob as path, verifying its bytes against the digest on the way.
absl::Status WriteBlobEntry(const ContentStore& store, TarOut& tar, const std::string& path,
                            const Descriptor& d) {
  ASSIGN_OR_RETURN(BlobInfo info, store.Info(d.digest));
  ASSIGN_OR_RETURN(UniqueFd fd, store.OpenBlob(d.digest));
  Sha256 hash;
  std::string buf(1 << 16, '\0');
  RETURN_IF_ERROR(tar.Stream(path, info.size, [&]() -> absl::StatusOr<absl::string_view> {
    ssize_t n = RetryEintr([&] { return ::read(fd.get(), buf.data(), buf.size()); });
    if (n < 0) return ErrnoStatus("read", store.BlobPath(d.digest));
    hash.Update(buf.data(), static_cast<size_t>(n));
    return absl::string_view(buf.data(), static_cast<size_t>(n));
  }));
  if (hash.Digest() != d.digest) {
    return absl::DataLossError(absl::StrCat("content ", d.digest, ": corrupt on disk"));
  }
  return absl::OkStatus();
}

// The blobs reachable from d (index children: those matching want, or all
// present ones when want is empty), each once, parents first.
absl::Status CollectBlobs(const ContentStore& store, const Descriptor& d, const Platform& want,
                          int depth, std::vector<Descriptor>* out, std::set<std::string>* seen) {
  if (depth > 4)
    return absl::InvalidArgumentError(absl::StrCat("index ", d.digest, " nests too deep"));
  if (!seen->insert(d.digest).second) return absl::OkStatus();
  out->push_back(d);
  if (!media::IsIndex(d.media_type) && !media::IsManifest(d.media_type)) return absl::OkStatus();
  ASSIGN_OR_RETURN(Json j, ReadJsonBlob(store, d));
  if (media::IsManifest(d.media_type)) {
    std::vector<Json> refs = {j.value("config", Json())};
    for (const Json& l : j.value("layers", Json::array())) refs.push_back(l);
    for (const Json& r : refs) {
      ASSIGN_OR_RETURN(Descriptor c, DescriptorFromJson(r, d.digest));
      RETURN_IF_ERROR(CollectBlobs(store, c, want, depth + 1, out, seen));
    }
    return absl::OkStatus();
  }
  for (const Json& cj : j.value("manifests", Json::array())) {
    ASSIGN_OR_RETURN(Descriptor c, DescriptorFromJson(cj, d.digest));
    bool wanted = want.empty() ? store.Info(c.digest).ok()
                               : (c.platform ? PlatformMatches(want, *c.platform)
                                             : media::IsIndex(c.media_type));
    if (wanted) RETURN_IF_ERROR(CollectBlobs(store, c, want, depth + 1, out, seen));
  }
  return absl::OkStatus();
}

// "docker.io/library/busybox:latest" -> "latest"; "" for a digest reference.
std::string TagOf(absl::string_view name) {
  size_t slash = name.rfind('/');
  size_t colon = name.rfind(':');
  if (absl::StrContains(name, '@') || colon == absl::string_view::npos ||
      (slash != absl::string_view::npos && colon < slash)) {
    return "";
  }
  return std::string(name.substr(colon + 1));
}

absl::Status ExportOci(const ContentStore& store, const std::vector<ImportedImage>& images,
                       const Platform& want, TarOut& tar) {
  std::vector<Descriptor> blobs;
  std::set<std::string> seen;
  Json index = {
      {"schemaVersion", 2}, {"mediaType", media::kOciIndex}, {"manifests", Json::array()}};
  for (const ImportedImage& image : images) {
    RETURN_IF_ERROR(CollectBlobs(store, image.target, want, 0, &blobs, &seen));
    Descriptor d = image.target;
    if (!image.name.empty()) {
      d.annotations[annotations::kImageName] = image.name;
      if (std::string tag = TagOf(image.name); !tag.empty())
        d.annotations[annotations::kRefName] = tag;
    }
    index["manifests"].push_back(DescriptorToJson(d));
  }
  RETURN_IF_ERROR(tar.File("oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
  RETURN_IF_ERROR(tar.Dir("blobs"));
  RETURN_IF_ERROR(tar.Dir("blobs/sha256"));
  for (const Descriptor& b : blobs) {
    RETURN_IF_ERROR(
        WriteBlobEntry(store, tar, absl::StrCat("blobs/sha256/", DigestHex(b.digest)), b));
  }
  return tar.File("index.json", index.dump());
}

}  // namespace

namespace {

// A blob's decompressed stream (libarchive "raw" format over filter_all).
class Decompressed {
 public:
  static absl::StatusOr<std::unique_ptr<Decompressed>> Open(const ContentStore& store,
                                                            const std::string& digest) {
    auto d = std::unique_ptr<Decompressed>(new Decompressed);
    ASSIGN_OR_RETURN(d->fd_, store.OpenBlob(digest));
    archive_read_support_filter_all(d->a_.get());
    archive_read_support_format_raw(d->a_.get());
    archive_entry* e;
    if (archive_read_open_fd(d->a_.get(), d->fd_.get(), 1 << 16) != ARCHIVE_OK ||
        archive_read_next_header(d->a_.get(), &e) != ARCHIVE_OK) {
      return absl::DataLossError(absl::StrCat("layer ", digest, ": ", ArchiveError(d->a_.get())));
    }
    return d;
  }
  absl::StatusOr<absl::string_view> Next() {
    la_ssize_t n = archive_read_data(a_.get(), buf_.data(), buf_.size());
    if (n < 0)
      return absl::DataLossError(absl::StrCat("decompress layer: ", ArchiveError(a_.get())));
    return absl::string_view(buf_.data(), static_cast<size_t>(n));
  }

 private:
  Decompressed() : a_(archive_read_new()), buf_(1 << 16, '\0') {}
  UniqueFd fd_;
  ReadArchive a_;
  std::string buf_;
};

// <diff_id hex>/layer.tar, uncompressed. A compressed blob is read twice:
// once to learn the tar header's size, once to copy (no temporary file).
absl::Status WriteDockerLayer(const ContentStore& store, TarOut& tar, const Descriptor& layer,
                              const std::string& path) {
  if (layer.media_type == media::kOciLayer || layer.media_type == media::kDockerLayer) {
    return WriteBlobEntry(store, tar, path, layer);
  }
  int64_t size = 0;
  {
    ASSIGN_OR_RETURN(std::unique_ptr<Decompressed> pass1, Decompressed::Open(store, layer.digest));
    for (;;) {
      ASSIGN_OR_RETURN(absl::string_view chunk, pass1->Next());
      if (chunk.empty()) break;
      size += static_cast<int64_t>(chunk.size());
    }
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Decompressed> pass2, Decompressed::Open(store, layer.digest));
  return tar.Stream(path, size, [&] { return pass2->Next(); });
}

struct DockerEntry {
  ResolvedImage image;
  std::vector<std::string> tags;  // familiar names
};

absl::Status ExportDocker(const ContentStore& store, const std::vector<ImportedImage>& images,
                          const Platform& want, TarOut& tar) {
  std::vector<DockerEntry> entries;
  std::map<std::string, size_t> by_manifest;
  for (const ImportedImage& image : images) {
    ASSIGN_OR_RETURN(ResolvedImage r, ResolveImage(store, image.target, want));
    auto [it, added] = by_manifest.emplace(r.manifest.digest, entries.size());
    if (added) entries.push_back({std::move(r), {}});
    if (!image.name.empty() && !TagOf(image.name).empty()) {
      entries[it->second].tags.push_back(FamiliarImageName(image.name));
    }
  }
  Json manifest = Json::array();
  Json repositories = Json::object();
  std::set<std::string> written;
  for (const DockerEntry& e : entries) {
    std::string config_path = absl::StrCat(DigestHex(e.image.config.digest), ".json");
    if (written.insert(config_path).second)
      RETURN_IF_ERROR(tar.File(config_path, e.image.config_json));
    Json layers = Json::array();
    std::string top;
    for (size_t i = 0; i < e.image.layers.size(); ++i) {
      top = std::string(DigestHex(e.image.diff_ids[i]));
      std::string path = absl::StrCat(top, "/layer.tar");
      if (written.insert(path).second) {
        RETURN_IF_ERROR(tar.Dir(top));
        RETURN_IF_ERROR(WriteDockerLayer(store, tar, e.image.layers[i], path));
      }
      layers.push_back(path);
    }
    manifest.push_back({{"Config", config_path}, {"RepoTags", e.tags}, {"Layers", layers}});
    for (const std::string& tag : e.tags) {
      size_t colon = tag.rfind(':');
      repositories[tag.substr(0, colon)][tag.substr(colon + 1)] = top;
    }
  }
  RETURN_IF_ERROR(tar.File("manifest.json", manifest.dump()));
  return tar.File("repositories", repositories.dump());
}

}  // namespace

absl::Status ExportArchive(const ContentStore& store, const std::vector<ImportedImage>& images,
                           ArchiveFormat format, const Platform& want, int out_fd) {
  TarOut tar(out_fd);
  RETURN_IF_ERROR(format == ArchiveFormat::kOci ? ExportOci(store, images, want, tar)
                                                : ExportDocker(store, images, want, tar));
  return tar.Close();
}

}  // namespace berth::manager
