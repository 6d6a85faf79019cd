// The manager's metadata: namespaces, images, containers and which
// namespace holds which blob, in one SQLite database (WAL) under --root.
// Records are the API's own protobuf messages (proto/manager/v1), stored
// serialized; a committed write survives kill -9 of the manager.
//
// Every method is one transaction. Names are unique per namespace:
// NotFound "image N: not found", AlreadyExists "container C: already exists".
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "manager/metadata/sqlite.h"
#include "proto/manager/v1/containers.pb.h"
#include "proto/manager/v1/images.pb.h"
#include "proto/manager/v1/namespaces.pb.h"

namespace berth::manager {

class MetadataStore {
 public:
  static absl::StatusOr<std::unique_ptr<MetadataStore>> Open(const std::string& path);

  // Namespaces exist once anything is put in them (or by CreateNamespace).
  absl::Status EnsureNamespace(const std::string& ns);
  absl::StatusOr<std::vector<v1::Namespace>> ListNamespaces();
  absl::Status CreateNamespace(const v1::Namespace& ns);
  // FailedPrecondition while it holds images, containers or content.
  absl::Status DeleteNamespace(const std::string& ns);

  absl::StatusOr<v1::Image> GetImage(const std::string& ns, const std::string& name);
  absl::StatusOr<std::vector<v1::Image>> ListImages(const std::string& ns);
  // Put: creates or replaces (import); created_at is kept on replace.
  absl::StatusOr<v1::Image> PutImage(const std::string& ns, v1::Image image);
  absl::StatusOr<v1::Image> CreateImage(const std::string& ns, v1::Image image);
  absl::Status DeleteImage(const std::string& ns, const std::string& name);

  absl::StatusOr<v1::Container> GetContainer(const std::string& ns, const std::string& id);
  absl::StatusOr<std::vector<v1::Container>> ListContainers(const std::string& ns);
  absl::StatusOr<v1::Container> CreateContainer(const std::string& ns, v1::Container c);
  absl::StatusOr<v1::Container> UpdateContainer(const std::string& ns, v1::Container c);
  absl::Status DeleteContainer(const std::string& ns, const std::string& id);

  // Content a namespace holds (the blob itself is in the ContentStore).
  absl::Status AddContent(const std::string& ns, const std::string& digest, int64_t size);
  absl::Status RemoveContent(const std::string& ns, const std::string& digest);
  absl::StatusOr<bool> HasContent(const std::string& ns, const std::string& digest);
  // (namespace, digest) pairs; ns empty: every namespace.
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ListContent(
      const std::string& ns);

  // For garbage collection: every image and container of every namespace.
  absl::StatusOr<std::vector<std::pair<std::string, v1::Image>>> AllImages();
  absl::StatusOr<std::vector<std::pair<std::string, v1::Container>>> AllContainers();

 private:
  explicit MetadataStore(std::unique_ptr<Database> db) : db_(std::move(db)) {}
  template <typename Msg>
  absl::StatusOr<std::vector<std::pair<std::string, Msg>>> ListRecords(const std::string& table,
                                                                       const std::string& ns);
  template <typename Msg>
  absl::StatusOr<Msg> GetRecord(const std::string& table, const std::string& what,
                                const std::string& ns, const std::string& key);
  absl::Status PutRecord(const std::string& table, const std::string& ns, const std::string& key,
                         const std::string& blob, bool must_be_new, bool must_exist,
                         const std::string& what);
  absl::Status DeleteRecord(const std::string& table, const std::string& what,
                            const std::string& ns, const std::string& key);
  std::unique_ptr<Database> db_;
};

int64_t NowNanos();

}  // namespace berth::manager
