#include "manager/images/images.h"

#include <fcntl.h>
#include <unistd.h>

#include <random>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "manager/archive/layer.h"
#include "manager/filters.h"

namespace berth::manager {
namespace {

FieldGetter ImageFields(const v1::Image& img) {
  return [&img](const std::string& key) -> std::optional<std::string> {
    if (key == "name") return img.name();
    if (key == "target.digest") return img.target().digest();
    if (key == "target.mediatype") return img.target().media_type();
    if (key.rfind("labels.", 0) == 0) {
      auto it = img.labels().find(key.substr(7));
      if (it != img.labels().end()) return it->second;
    }
    return std::nullopt;
  };
}

std::string RandomSuffix() {
  std::random_device rd;
  return absl::StrCat(absl::Hex(rd(), absl::kZeroPad8));
}

}  // namespace

v1::Descriptor ToProto(const Descriptor& d) {
  v1::Descriptor out;
  out.set_media_type(d.media_type);
  out.set_digest(d.digest);
  out.set_size(d.size);
  for (const auto& [k, v] : d.annotations) (*out.mutable_annotations())[k] = v;
  if (d.platform) {
    out.mutable_platform()->set_os(d.platform->os);
    out.mutable_platform()->set_architecture(d.platform->architecture);
    out.mutable_platform()->set_variant(d.platform->variant);
  }
  return out;
}

Descriptor FromProto(const v1::Descriptor& d) {
  Descriptor out;
  out.media_type = d.media_type();
  out.digest = d.digest();
  out.size = d.size();
  for (const auto& [k, v] : d.annotations()) out.annotations[k] = v;
  if (d.has_platform()) out.platform = FromProto(d.platform());
  return out;
}

Platform FromProto(const v1::Platform& p) {
  Platform out;
  out.os = p.os();
  out.architecture = p.architecture();
  out.variant = p.variant();
  return out;
}

absl::StatusOr<v1::Image> ImageService::Get(const std::string& ns, const std::string& name) {
  return meta_.GetImage(ns, name);
}

absl::StatusOr<std::vector<v1::Image>> ImageService::List(const std::string& ns,
                                                          const std::vector<std::string>& filters) {
  ASSIGN_OR_RETURN(std::vector<Filter> parsed, ParseFilters(filters));
  ASSIGN_OR_RETURN(std::vector<v1::Image> all, meta_.ListImages(ns));
  std::vector<v1::Image> out;
  for (v1::Image& img : all) {
    if (MatchesAny(parsed, ImageFields(img))) out.push_back(std::move(img));
  }
  return out;
}

absl::StatusOr<v1::Image> ImageService::Create(const std::string& ns, const v1::Image& image) {
  if (image.name().empty()) return absl::InvalidArgumentError("image name must not be empty");
  RETURN_IF_ERROR(content_.Info(image.target().digest()).status());
  ASSIGN_OR_RETURN(v1::Image created, meta_.CreateImage(ns, image));
  RETURN_IF_ERROR(meta_.AddContent(ns, image.target().digest(), image.target().size()));
  events_.Publish(ns, "/images/create", {{"name", created.name()}});
  return created;
}

absl::StatusOr<v1::Image> ImageService::Update(const std::string& ns, const v1::Image& image) {
  RETURN_IF_ERROR(meta_.GetImage(ns, image.name()).status());
  ASSIGN_OR_RETURN(v1::Image updated, meta_.PutImage(ns, image));
  events_.Publish(ns, "/images/update", {{"name", updated.name()}});
  return updated;
}

absl::Status ImageService::Delete(const std::string& ns, const std::string& name) {
  RETURN_IF_ERROR(meta_.DeleteImage(ns, name));
  events_.Publish(ns, "/images/delete", {{"name", name}});
  return gc_.Collect().status();
}

absl::StatusOr<std::string> ImageService::Unpack(const std::string& ns, const ResolvedImage& image,
                                                 const ProgressFn& progress) {
  if (image.layers.size() != image.diff_ids.size()) {
    return absl::InvalidArgumentError(absl::StrCat("image config lists ", image.diff_ids.size(),
                                                   " diff ids for ", image.layers.size(),
                                                   " layers"));
  }
  std::vector<std::string> chain;
  std::string parent;
  for (size_t i = 0; i < image.layers.size(); ++i) {
    chain.push_back(image.diff_ids[i]);
    std::string key = SnapshotKey(ns, ChainId(chain));
    if (snapshots_.Stat(key).ok()) {
      parent = key;
      continue;
    }
    const Descriptor& layer = image.layers[i];
    if (progress) {
      v1::ImportProgress p;
      p.set_kind("unpack");
      p.set_ref(layer.digest);
      p.set_total(layer.size);
      progress(p);
    }
    std::string extract =
        SnapshotKey(ns, absl::StrCat("extract-", RandomSuffix(), "-", ChainId(chain)));
    ASSIGN_OR_RETURN(auto mounts, snapshots_.Prepare(extract, parent, {}));
    absl::Status s = [&]() -> absl::Status {
      ASSIGN_OR_RETURN(std::string upper, snapshots_.UpperDir(extract));
      ASSIGN_OR_RETURN(UniqueFd blob, content_.OpenBlob(layer.digest));
      ASSIGN_OR_RETURN(ApplyResult applied, ApplyLayer(blob.get(), upper));
      if (applied.diff_id != image.diff_ids[i]) {
        return absl::DataLossError(absl::StrCat("layer ", layer.digest, " unpacks to ",
                                                applied.diff_id, ", but the config says ",
                                                image.diff_ids[i]));
      }
      return snapshots_.Commit(key, extract, {});
    }();
    if (!s.ok()) {
      (void)snapshots_.Remove(extract);
      return Annotate(s, "unpack layer " + layer.digest);
    }
    events_.Publish(ns, "/snapshot/commit", {{"key", ChainId(chain)}});
    parent = key;
  }
  return chain.empty() ? std::string() : ChainId(chain);
}

absl::StatusOr<v1::ResolveImageResponse> ImageService::Resolve(const std::string& ns,
                                                               const std::string& name,
                                                               const v1::Platform& platform) {
  ASSIGN_OR_RETURN(v1::Image img, meta_.GetImage(ns, name));
  ASSIGN_OR_RETURN(ResolvedImage r,
                   ResolveImage(content_, FromProto(img.target()), FromProto(platform)));
  Leases::Lease lease = leases_.Begin();
  ASSIGN_OR_RETURN(std::string chain, Unpack(ns, r, nullptr));
  v1::ResolveImageResponse out;
  *out.mutable_manifest() = ToProto(r.manifest);
  *out.mutable_config() = ToProto(r.config);
  for (const Descriptor& l : r.layers) *out.add_layers() = ToProto(l);
  for (const std::string& d : r.diff_ids) out.add_diff_ids(d);
  out.set_chain_id(chain);
  out.set_config_json(r.config_json);
  return out;
}

absl::StatusOr<std::vector<v1::Image>> ImageService::Import(const std::string& ns, int fd,
                                                            const v1::ImportOptions& options,
                                                            const ProgressFn& progress) {
  absl::StatusOr<std::vector<v1::Image>> result = [&]() -> absl::StatusOr<std::vector<v1::Image>> {
    Leases::Lease lease = leases_.Begin();
    ImportOptions opts;
    opts.base_name = options.base_name();
    auto on_blob = [&](const std::string& kind, const std::string& ref, int64_t done,
                       int64_t total) {
      if (!progress) return;
      v1::ImportProgress p;
      p.set_kind(kind);
      p.set_ref(ref);
      p.set_offset(done);
      p.set_total(total);
      progress(p);
    };
    ASSIGN_OR_RETURN(std::vector<ImportedImage> imported,
                     ImportArchive(content_, fd, opts, on_blob));
    // Unpack before naming: an image is listed only once it can run.
    std::vector<ResolvedImage> resolved;
    for (const ImportedImage& im : imported) {
      ASSIGN_OR_RETURN(ResolvedImage r,
                       ResolveImage(content_, im.target, FromProto(options.platform())));
      if (!options.no_unpack()) {
        if (progress) {
          v1::ImportProgress p;
          p.set_kind("unpack-image");
          p.set_ref(im.name);
          progress(p);
        }
        RETURN_IF_ERROR(Unpack(ns, r, progress).status());
      }
      resolved.push_back(std::move(r));
    }
    std::vector<v1::Image> out;
    for (size_t i = 0; i < imported.size(); ++i) {
      const ImportedImage& im = imported[i];
      const ResolvedImage& r = resolved[i];
      for (const Descriptor* d : {&im.target, &r.manifest, &r.config}) {
        RETURN_IF_ERROR(meta_.AddContent(ns, d->digest, d->size));
      }
      for (const Descriptor& l : r.layers) RETURN_IF_ERROR(meta_.AddContent(ns, l.digest, l.size));
      v1::Image img;
      // An untagged image in the archive is named by its digest.
      img.set_name(im.name.empty() ? im.target.digest : im.name);
      *img.mutable_target() = ToProto(im.target);
      ASSIGN_OR_RETURN(v1::Image stored, meta_.PutImage(ns, img));
      events_.Publish(ns, "/images/create", {{"name", stored.name()}});
      out.push_back(std::move(stored));
    }
    return out;
  }();
  // The lease has ended: whatever a failed import left goes now.
  if (!result.ok()) (void)gc_.Collect();
  return result;
}

absl::Status ImageService::Export(const std::string& ns, const v1::ExportRequest& req, int out_fd) {
  std::vector<ImportedImage> images;
  for (const std::string& name : req.names()) {
    ASSIGN_OR_RETURN(v1::Image img, meta_.GetImage(ns, name));
    images.push_back(ImportedImage{img.name(), FromProto(img.target())});
  }
  if (images.empty()) return absl::InvalidArgumentError("export: name at least one image");
  ArchiveFormat format = req.format() == v1::DOCKER ? ArchiveFormat::kDocker : ArchiveFormat::kOci;
  return ExportArchive(content_, images, format, FromProto(req.platform()), out_fd);
}

}  // namespace berth::manager
