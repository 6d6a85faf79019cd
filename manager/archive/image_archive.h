// Image archives in and out of the content store: the OCI image layout
// (oci-layout, index.json, blobs/sha256/*) and `docker save`'s format
// (manifest.json, repositories, <id>/layer.tar, <config>.json), plain or
// gzip-compressed. Also manifest resolution for a platform and chain ids.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "manager/archive/descriptor.h"
#include "manager/content/store.h"

namespace berth::manager {

struct ImportedImage {
  std::string name;  // normalised ("docker.io/library/busybox:latest"); may be empty
  Descriptor target;
};

struct ImportOptions {
  // Names OCI entries whose ref.name is only a tag: base_name + ":" + tag.
  // Also names an untagged docker-archive image.
  std::string base_name;
};

// kind is "blob" (a file of the archive, ref its path; called every 4 MiB
// and at its end), "manifest" or "index" (ref its digest, once each);
// done/total in bytes.
using ImportProgress = std::function<void(const std::string& kind, const std::string& ref,
                                          int64_t done, int64_t total)>;

// Reads the archive from tar_fd in one pass and stores every blob, verified
// against its digest (OCI) or hashed (docker). A docker-archive image gets a
// synthesised Docker schema2 manifest, stored too. Names are normalised
// like containerd's (NormalizeImageName). Returns the images named by the
// archive (one per name; an OCI entry without a name gets name "").
// Errors: InvalidArgument for an unknown media type or a malformed archive
// (naming the media type, digest or path); FailedPrecondition for a blob
// whose bytes do not match its digest, and its ingest is removed. Blobs
// stored before an error stay (content-addressed, harmless, collectable).
absl::StatusOr<std::vector<ImportedImage>> ImportArchive(ContentStore& store, int tar_fd,
                                                         const ImportOptions& options,
                                                         const ImportProgress& progress);

// What an image is for one platform.
struct ResolvedImage {
  Descriptor manifest;
  Descriptor config;
  std::vector<Descriptor> layers;
  std::vector<std::string> diff_ids;  // the config's rootfs.diff_ids, one per layer
  std::string config_json;
};

// Follows target (an index: the first manifest matching want; want empty:
// HostPlatform()) to a manifest and reads it and its config. NotFound if no
// manifest matches or a blob is missing; InvalidArgument for unknown media
// types or diff_ids that do not pair with the layers.
absl::StatusOr<ResolvedImage> ResolveImage(const ContentStore& store, const Descriptor& target,
                                           const Platform& want);

// OCI chain id: chain(L0) = diff(L0); chain(L0..n) = sha256(chain(L0..n-1)
// + " " + diff(Ln)). Empty for no layers.
std::string ChainId(const std::vector<std::string>& diff_ids);

// "busybox" -> "docker.io/library/busybox:latest", "x/y:1" ->
// "docker.io/x/y:1", "reg:5000/y" -> "reg:5000/y:latest"; a digest
// reference ("y@sha256:...") keeps its digest and gets no tag. A first
// component with '.' or ':' or equal to "localhost" is a registry. Lower-
// case checks and full reference grammar are the engine's job.
std::string NormalizeImageName(absl::string_view name);
// The inverse, as docker prints names: "docker.io/library/busybox:latest"
// -> "busybox:latest".
std::string FamiliarImageName(absl::string_view name);

enum class ArchiveFormat { kOci, kDocker };

// Writes images to out_fd as an uncompressed tar. OCI: oci-layout,
// index.json (each image's target with io.containerd.image.name and
// org.opencontainers.image.ref.name), and every blob reachable from the
// targets byte for byte (for an index, the children matching want, all
// present ones when want is empty). Docker: as `docker save`:
// <config hex>.json, <diff_id hex>/layer.tar (decompressed),
// manifest.json and repositories, for the manifest matching want.
absl::Status ExportArchive(const ContentStore& store, const std::vector<ImportedImage>& images,
                           ArchiveFormat format, const Platform& want, int out_fd);

}  // namespace berth::manager
