#include <sys/mman.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "manager/archive/layer.h"
#include "manager/filters.h"
#include "manager/services/common.h"
#include "manager/services/services.h"

namespace berth::manager {
namespace {

// Keys are stored as "<ns>/<key>"; a client sees only its own, unprefixed.
std::string Strip(const std::string& ns, const std::string& key) {
  std::string prefix = ns + "/";
  return key.rfind(prefix, 0) == 0 ? key.substr(prefix.size()) : key;
}

std::string Scoped(const std::string& ns, const std::string& key) {
  return key.empty() ? std::string() : SnapshotKey(ns, key);
}

void ToProto(const std::vector<MountSpec>& mounts, v1::MountsResponse* resp) {
  for (const MountSpec& m : mounts) {
    v1::Mount* out = resp->add_mounts();
    out->set_type(m.type);
    out->set_source(m.source);
    for (const std::string& o : m.options) out->add_options(o);
  }
}

v1::SnapshotInfo ToProto(const std::string& ns, const SnapshotInfo& s) {
  v1::SnapshotInfo out;
  out.set_name(Strip(ns, s.name));
  out.set_parent(Strip(ns, s.parent));
  out.set_kind(static_cast<v1::SnapshotKind>(s.kind));
  for (const auto& [k, v] : s.labels) (*out.mutable_labels())[k] = v;
  out.set_created_at(s.created_at_ns);
  out.set_updated_at(s.updated_at_ns);
  return out;
}

std::map<std::string, std::string> Labels(
    const google::protobuf::Map<std::string, std::string>& m) {
  return {m.begin(), m.end()};
}

}  // namespace

Status SnapshotsService::Prepare(ServerContext* ctx, const v1::PrepareSnapshotRequest* req,
                                 v1::MountsResponse* resp) {
  BERTH_NS_OR_RETURN(ns, ctx);
  auto mounts = m_.snapshots().Prepare(Scoped(ns, req->key()), Scoped(ns, req->parent()),
                                       Labels(req->labels()));
  if (!mounts.ok()) return ToGrpc(mounts.status());
  m_.events().Publish(ns, "/snapshot/prepare", {{"key", req->key()}, {"parent", req->parent()}});
  ToProto(*mounts, resp);
  return Status::OK;
}

Status SnapshotsService::View(ServerContext* ctx, const v1::ViewSnapshotRequest* req,
                              v1::MountsResponse* resp) {
  BERTH_NS_OR_RETURN(ns, ctx);
  auto mounts =
      m_.snapshots().View(Scoped(ns, req->key()), Scoped(ns, req->parent()), Labels(req->labels()));
  if (!mounts.ok()) return ToGrpc(mounts.status());
  ToProto(*mounts, resp);
  return Status::OK;
}

Status SnapshotsService::Mounts(ServerContext* ctx, const v1::MountsRequest* req,
                                v1::MountsResponse* resp) {
  BERTH_NS_OR_RETURN(ns, ctx);
  auto mounts = m_.snapshots().Mounts(Scoped(ns, req->key()));
  if (!mounts.ok()) return ToGrpc(mounts.status());
  ToProto(*mounts, resp);
  return Status::OK;
}

Status SnapshotsService::Commit(ServerContext* ctx, const v1::CommitSnapshotRequest* req,
                                v1::CommitSnapshotResponse*) {
  BERTH_NS_OR_RETURN(ns, ctx);
  absl::Status s =
      m_.snapshots().Commit(Scoped(ns, req->name()), Scoped(ns, req->key()), Labels(req->labels()));
  if (!s.ok()) return ToGrpc(s);
  m_.events().Publish(ns, "/snapshot/commit", {{"key", req->key()}, {"name", req->name()}});
  return Status::OK;
}

Status SnapshotsService::Remove(ServerContext* ctx, const v1::RemoveSnapshotRequest* req,
                                v1::RemoveSnapshotResponse*) {
  BERTH_NS_OR_RETURN(ns, ctx);
  if (absl::Status s = m_.snapshots().Remove(Scoped(ns, req->key())); !s.ok()) return ToGrpc(s);
  m_.events().Publish(ns, "/snapshot/remove", {{"key", req->key()}});
  return Status::OK;
}

Status SnapshotsService::Stat(ServerContext* ctx, const v1::StatSnapshotRequest* req,
                              v1::SnapshotInfo* resp) {
  BERTH_NS_OR_RETURN(ns, ctx);
  absl::StatusOr<SnapshotInfo> info = m_.snapshots().Stat(Scoped(ns, req->key()));
  if (!info.ok())
    return ToGrpc(absl::Status(info.status().code(), "snapshot " + req->key() + ": not found"));
  *resp = ToProto(ns, *info);
  return Status::OK;
}

Status SnapshotsService::List(ServerContext* ctx, const v1::ListSnapshotsRequest* req,
                              v1::ListSnapshotsResponse* resp) {
  BERTH_NS_OR_RETURN(ns, ctx);
  absl::StatusOr<std::vector<Filter>> filters =
      ParseFilters({req->filters().begin(), req->filters().end()});
  if (!filters.ok()) return ToGrpc(filters.status());
  absl::StatusOr<std::vector<SnapshotInfo>> all = m_.snapshots().List();
  if (!all.ok()) return ToGrpc(all.status());
  static const char* kKinds[] = {"unknown", "view", "active", "committed"};
  for (const SnapshotInfo& s : *all) {
    if (s.name.rfind(ns + "/", 0) != 0) continue;
    v1::SnapshotInfo info = ToProto(ns, s);
    bool match = MatchesAny(*filters, [&](const std::string& k) -> std::optional<std::string> {
      if (k == "name") return info.name();
      if (k == "parent") return info.parent();
      if (k == "kind") return std::string(kKinds[info.kind()]);
      return std::nullopt;
    });
    if (match) *resp->add_infos() = std::move(info);
  }
  return Status::OK;
}

Status SnapshotsService::Usage(ServerContext* ctx, const v1::UsageRequest* req,
                               v1::UsageResponse* resp) {
  BERTH_NS_OR_RETURN(ns, ctx);
  absl::StatusOr<SnapshotUsage> u = m_.snapshots().Usage(Scoped(ns, req->key()));
  if (!u.ok()) return ToGrpc(u.status());
  resp->set_size(u->size);
  resp->set_inodes(u->inodes);
  return Status::OK;
}

// The diff goes through a memfd (the tar is built once, then hashed into the
// content store as it is copied).
Status SnapshotsService::Diff(ServerContext* ctx, const v1::DiffRequest* req,
                              v1::DiffResponse* resp) {
  BERTH_NS_OR_RETURN(ns, ctx);
  absl::StatusOr<std::string> upper = m_.snapshots().UpperDir(Scoped(ns, req->key()));
  if (!upper.ok()) return ToGrpc(upper.status());
  Leases::Lease lease = m_.leases().Begin();
  UniqueFd mem(::memfd_create("berth-diff", MFD_CLOEXEC));
  if (!mem) return ToGrpc(ErrnoStatus("memfd_create", "diff"));
  absl::StatusOr<ApplyResult> diff = WriteDiff(*upper, mem.get());
  if (!diff.ok()) return ToGrpc(diff.status());
  absl::StatusOr<std::unique_ptr<ContentWriter>> w =
      m_.content().Writer(absl::StrCat("diff-", ns, "-", req->key()), diff->diff_id, diff->size);
  if (!w.ok()) return ToGrpc(w.status());
  std::string buf(1 << 20, '\0');
  for (off_t off = 0;;) {
    ssize_t n = ::pread(mem.get(), buf.data(), buf.size(), off);
    if (n < 0) return ToGrpc(ErrnoStatus("read", "diff"));
    if (n == 0) break;
    if (absl::Status s = (*w)->Write(absl::string_view(buf.data(), n)); !s.ok()) return ToGrpc(s);
    off += n;
  }
  absl::StatusOr<std::string> digest = (*w)->Commit(diff->size, diff->diff_id);
  if (!digest.ok()) return ToGrpc(digest.status());
  if (absl::Status s = m_.meta().AddContent(ns, *digest, diff->size); !s.ok()) return ToGrpc(s);
  v1::Descriptor* d = resp->mutable_diff();
  d->set_media_type("application/vnd.oci.image.layer.v1.tar");
  d->set_digest(*digest);
  d->set_size(diff->size);
  return Status::OK;
}

}  // namespace berth::manager
