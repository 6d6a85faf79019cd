#include "manager/gc/gc.h"

#include <nlohmann/json.hpp>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "manager/archive/image_archive.h"

namespace berth::manager {
namespace {

using Json = nlohmann::json;

// Marks digest and everything it names (index -> manifests -> config and
// layers) reachable; records the chain ids of every manifest met. Blobs
// that are missing (a platform not imported) end the walk quietly.
void Mark(const ContentStore& content, const std::string& digest, std::set<std::string>* blobs,
          std::set<std::string>* chains) {
  if (!blobs->insert(digest).second) return;
  absl::StatusOr<std::string> body = content.ReadAll(digest, 4 << 20);
  if (!body.ok()) return;
  Json doc = Json::parse(*body, nullptr, false);
  if (!doc.is_object()) return;
  if (doc.contains("manifests") && doc["manifests"].is_array()) {
    for (const Json& m : doc["manifests"]) {
      if (m.contains("digest")) Mark(content, m.value("digest", ""), blobs, chains);
    }
  }
  if (doc.contains("config") && doc["config"].is_object()) {
    std::string config = doc["config"].value("digest", "");
    blobs->insert(config);
    absl::StatusOr<std::string> cfg = content.ReadAll(config, 16 << 20);
    Json c = cfg.ok() ? Json::parse(*cfg, nullptr, false) : Json();
    if (c.is_object() && c.contains("rootfs") && c["rootfs"].contains("diff_ids")) {
      std::vector<std::string> diff_ids;
      for (const Json& d : c["rootfs"]["diff_ids"]) {
        diff_ids.push_back(d.get<std::string>());
        chains->insert(ChainId(diff_ids));
      }
    }
  }
  if (doc.contains("layers") && doc["layers"].is_array()) {
    for (const Json& l : doc["layers"]) blobs->insert(l.value("digest", ""));
  }
}

}  // namespace

std::string SnapshotKey(const std::string& ns, const std::string& key) {
  return absl::StrCat(ns, "/", key);
}

Leases::Lease Leases::Begin() {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t id = next_++;
  open_[id] = NowNanos();
  return Lease(this, id);
}

int64_t Leases::OldestOpen() {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t oldest = 0;
  for (const auto& [id, at] : open_) {
    if (oldest == 0 || at < oldest) oldest = at;
  }
  return oldest;
}

void Leases::End(uint64_t id) {
  std::lock_guard<std::mutex> lock(mu_);
  open_.erase(id);
}

absl::StatusOr<GcResult> Collector::Collect() {
  std::lock_guard<std::mutex> lock(mu_);
  GcResult result;
  // 0: nothing protected. File times come from the kernel's coarse clock
  // (a tick behind), so the window opens a second early.
  int64_t protect_after = leases_.OldestOpen();
  if (protect_after != 0) protect_after -= 1000000000;
  auto protected_at = [&](int64_t created) {
    return protect_after != 0 && created >= protect_after;
  };

  // Mark, per namespace.
  std::map<std::string, std::set<std::string>> blobs;  // ns -> reachable digests
  std::set<std::string> live_snapshots;
  ASSIGN_OR_RETURN(auto images, meta_.AllImages());
  for (const auto& [ns, image] : images) {
    std::set<std::string> chains;
    Mark(content_, image.target().digest(), &blobs[ns], &chains);
    for (const std::string& chain : chains) live_snapshots.insert(SnapshotKey(ns, chain));
  }
  ASSIGN_OR_RETURN(auto containers, meta_.AllContainers());
  for (const auto& [ns, c] : containers) {
    if (!c.snapshot_key().empty()) live_snapshots.insert(SnapshotKey(ns, c.snapshot_key()));
  }

  // Sweep claims, then blobs nobody claims.
  ASSIGN_OR_RETURN(auto claims, meta_.ListContent(""));
  std::set<std::string> reachable;
  for (const auto& [ns, digests] : blobs) reachable.insert(digests.begin(), digests.end());
  for (const auto& [ns, digest] : claims) {
    absl::StatusOr<BlobInfo> info = content_.Info(digest);
    bool young = info.ok() && protected_at(info->created_at_ns);
    if (blobs[ns].count(digest) > 0 || young) continue;
    RETURN_IF_ERROR(meta_.RemoveContent(ns, digest));
    ++result.claims_removed;
  }
  ASSIGN_OR_RETURN(std::vector<BlobInfo> all, content_.List());
  for (const BlobInfo& b : all) {
    if (reachable.count(b.digest) > 0 || protected_at(b.created_at_ns)) continue;
    absl::Status s = content_.Delete(b.digest);
    if (!s.ok() && !absl::IsNotFound(s)) return s;
    ++result.blobs_removed;
  }

  // Sweep snapshots: a parent only goes once its children have gone.
  for (bool progress = true; progress;) {
    progress = false;
    ASSIGN_OR_RETURN(std::vector<SnapshotInfo> snaps, snapshots_.List());
    std::set<std::string> parents;
    for (const SnapshotInfo& s : snaps) parents.insert(s.parent);
    for (const SnapshotInfo& s : snaps) {
      if (live_snapshots.count(s.name) > 0 || parents.count(s.name) > 0) continue;
      if (protected_at(s.created_at_ns)) continue;
      RETURN_IF_ERROR(snapshots_.Remove(s.name));
      ++result.snapshots_removed;
      progress = true;
    }
  }
  return result;
}

absl::Status Collector::AbortIngests() {
  ASSIGN_OR_RETURN(std::vector<IngestStatus> ingests, content_.ListIngests());
  for (const IngestStatus& in : ingests) {
    absl::Status s = content_.Abort(in.ref);
    if (!s.ok() && !absl::IsFailedPrecondition(s) && !absl::IsNotFound(s)) return s;
  }
  return absl::OkStatus();
}

}  // namespace berth::manager
