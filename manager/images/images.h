// Images: names in a namespace pointing at manifests or indexes in the
// content store, imported from archives and unpacked into overlay snapshots.
//
// Unpacking a resolved image walks its layers in order; layer i becomes the
// committed snapshot "<ns>/<chain id of layers 0..i>", so images sharing
// their first layers share those snapshots, and a layer already unpacked is
// never unpacked again:
//
//   for each layer:  Stat(chain) ? skip
//                    : Prepare(extract key, parent chain) -> ApplyLayer(blob, upper dir)
//                      -> diff id must equal the config's -> Commit(chain)
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "manager/archive/image_archive.h"
#include "manager/content/store.h"
#include "manager/events/broker.h"
#include "manager/gc/gc.h"
#include "manager/metadata/store.h"
#include "manager/snapshots/overlay.h"
#include "proto/manager/v1/images.pb.h"
#include "proto/manager/v1/transfer.pb.h"

namespace berth::manager {

using ProgressFn = std::function<void(const v1::ImportProgress&)>;

class ImageService {
 public:
  ImageService(ContentStore& content, MetadataStore& meta, OverlaySnapshotter& snapshots,
               EventBroker& events, Leases& leases, Collector& gc)
      : content_(content),
        meta_(meta),
        snapshots_(snapshots),
        events_(events),
        leases_(leases),
        gc_(gc) {}

  absl::StatusOr<v1::Image> Get(const std::string& ns, const std::string& name);
  absl::StatusOr<std::vector<v1::Image>> List(const std::string& ns,
                                              const std::vector<std::string>& filters);
  absl::StatusOr<v1::Image> Create(const std::string& ns, const v1::Image& image);
  absl::StatusOr<v1::Image> Update(const std::string& ns, const v1::Image& image);
  // Removes the name, then collects what nothing references any more.
  absl::Status Delete(const std::string& ns, const std::string& name);

  // The image's manifest for platform (empty: the host's), its layers, and
  // the chain id of its unpacked snapshot (unpacked now if it is not yet).
  absl::StatusOr<v1::ResolveImageResponse> Resolve(const std::string& ns, const std::string& name,
                                                   const v1::Platform& platform);

  // Reads an archive from fd: blobs into the content store, images
  // recorded, then unpacked (unless options say not to). On failure nothing
  // of this import stays (collected once its lease ends).
  absl::StatusOr<std::vector<v1::Image>> Import(const std::string& ns, int fd,
                                                const v1::ImportOptions& options,
                                                const ProgressFn& progress);
  absl::Status Export(const std::string& ns, const v1::ExportRequest& req, int out_fd);

  // Unpacks a resolved image; returns its chain id.
  absl::StatusOr<std::string> Unpack(const std::string& ns, const ResolvedImage& image,
                                     const ProgressFn& progress);

 private:
  ContentStore& content_;
  MetadataStore& meta_;
  OverlaySnapshotter& snapshots_;
  EventBroker& events_;
  Leases& leases_;
  Collector& gc_;
};

// Conversions between the API's messages and the archive library's structs.
v1::Descriptor ToProto(const Descriptor& d);
Descriptor FromProto(const v1::Descriptor& d);
Platform FromProto(const v1::Platform& p);

}  // namespace berth::manager
