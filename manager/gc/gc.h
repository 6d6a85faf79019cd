// Garbage collection of blobs and snapshots (containerd's model, mark and
// sweep, run synchronously after deletes, after imports and at start-up).
//
// Roots: every image (its target, and through manifests and indexes every
// config and layer blob it names; the committed snapshots of each manifest's
// layer chain), every container's snapshot. Everything else goes:
//   - a namespace's claim on a blob it no longer references, then the blob
//     file once no namespace claims it;
//   - snapshots no root reaches, children before parents.
// Leases protect work in progress: while any lease is open, blobs and
// snapshots created after the oldest open lease began are kept, so an
// import's blobs survive until its image record is committed. A lease is
// in memory: a crash ends it, and the next collection removes what the
// crashed work left half-done.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "manager/content/store.h"
#include "manager/metadata/store.h"
#include "manager/snapshots/overlay.h"

namespace berth::manager {

class Leases {
 public:
  class Lease {
   public:
    Lease(Leases* owner, uint64_t id) : owner_(owner), id_(id) {}
    Lease(Lease&& o) noexcept : owner_(o.owner_), id_(o.id_) { o.owner_ = nullptr; }
    Lease(const Lease&) = delete;
    ~Lease() {
      if (owner_ != nullptr) owner_->End(id_);
    }

   private:
    Leases* owner_;
    uint64_t id_;
  };

  Lease Begin();
  // Creation time (ns) of the oldest open lease, or 0 if none is open.
  int64_t OldestOpen();

 private:
  void End(uint64_t id);
  std::mutex mu_;
  uint64_t next_ = 1;
  std::map<uint64_t, int64_t> open_;  // id -> began at
};

struct GcResult {
  int blobs_removed = 0;
  int claims_removed = 0;
  int snapshots_removed = 0;
};

class Collector {
 public:
  Collector(ContentStore& content, MetadataStore& meta, OverlaySnapshotter& snapshots,
            Leases& leases)
      : content_(content), meta_(meta), snapshots_(snapshots), leases_(leases) {}

  absl::StatusOr<GcResult> Collect();
  // Removes every ingest no writer holds (start-up: what a crash left).
  absl::Status AbortIngests();

 private:
  ContentStore& content_;
  MetadataStore& meta_;
  OverlaySnapshotter& snapshots_;
  Leases& leases_;
  std::mutex mu_;  // one collection at a time
};

// The snapshot key of a namespace's object: "<ns>/<key>".
std::string SnapshotKey(const std::string& ns, const std::string& key);

}  // namespace berth::manager
