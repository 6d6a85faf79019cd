#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "manager/filters.h"
#include "manager/services/common.h"
#include "manager/services/services.h"

namespace berth::manager {
namespace {

// A namespace sees only the blobs it holds.
absl::Status CheckVisible(Manager& m, const std::string& ns, const std::string& digest) {
  absl::StatusOr<bool> has = m.meta().HasContent(ns, digest);
  if (!has.ok()) return has.status();
  if (!*has) return absl::NotFoundError(absl::StrCat("content ", digest, ": not found"));
  return absl::OkStatus();
}

v1::ContentInfo ToInfo(const BlobInfo& b) {
  v1::ContentInfo out;
  out.set_digest(b.digest);
  out.set_size(b.size);
  out.set_created_at(b.created_at_ns);
  return out;
}

}  // namespace

grpc::Status ContentService::Info(ServerContext* ctx, const v1::ContentInfoRequest* req,
                                  v1::ContentInfo* resp) {
  BERTH_NS_OR_RETURN(ns, ctx);
  if (absl::Status s = CheckVisible(m_, ns, req->digest()); !s.ok()) return ToGrpc(s);
  absl::StatusOr<BlobInfo> info = m_.content().Info(req->digest());
  if (!info.ok()) return ToGrpc(info.status());
  *resp = ToInfo(*info);
  return grpc::Status::OK;
}

grpc::Status ContentService::List(ServerContext* ctx, const v1::ListContentRequest* req,
                                  v1::ListContentResponse* resp) {
  BERTH_NS_OR_RETURN(ns, ctx);
  absl::StatusOr<std::vector<Filter>> filters =
      ParseFilters({req->filters().begin(), req->filters().end()});
  if (!filters.ok()) return ToGrpc(filters.status());
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> claims =
      m_.meta().ListContent(ns);
  if (!claims.ok()) return ToGrpc(claims.status());
  for (const auto& [unused, digest] : *claims) {
    absl::StatusOr<BlobInfo> info = m_.content().Info(digest);
    if (!info.ok()) continue;
    const std::string& d = info->digest;
    if (!MatchesAny(*filters, [&d](const std::string& k) -> std::optional<std::string> {
          if (k == "digest") return d;
          return std::nullopt;
        })) {
      continue;
    }
    *resp->add_infos() = ToInfo(*info);
  }
  return grpc::Status::OK;
}

grpc::Status ContentService::Delete(ServerContext* ctx, const v1::DeleteContentRequest* req,
                                    v1::DeleteContentResponse*) {
  BERTH_NS_OR_RETURN(ns, ctx);
  if (absl::Status s = CheckVisible(m_, ns, req->digest()); !s.ok()) return ToGrpc(s);
  if (absl::Status s = m_.meta().RemoveContent(ns, req->digest()); !s.ok()) return ToGrpc(s);
  m_.events().Publish(ns, "/content/delete", {{"digest", req->digest()}});
  return ToGrpc(m_.gc().Collect().status());
}

grpc::Status ContentService::Read(ServerContext* ctx, const v1::ReadContentRequest* req,
                                  grpc::ServerWriter<v1::ReadContentResponse>* writer) {
  BERTH_NS_OR_RETURN(ns, ctx);
  if (absl::Status s = CheckVisible(m_, ns, req->digest()); !s.ok()) return ToGrpc(s);
  absl::StatusOr<UniqueFd> fd = m_.content().OpenBlob(req->digest());
  if (!fd.ok()) return ToGrpc(fd.status());
  int64_t offset = req->offset();
  int64_t left = req->size() > 0 ? req->size() : INT64_MAX;
  std::string buf(1 << 20, '\0');
  while (left > 0) {
    ssize_t n = ::pread(fd->get(), buf.data(), std::min<int64_t>(left, buf.size()), offset);
    if (n < 0) return ToGrpc(ErrnoStatus("read", req->digest()));
    if (n == 0) break;
    v1::ReadContentResponse chunk;
    chunk.set_offset(offset);
    chunk.set_data(buf.data(), static_cast<size_t>(n));
    if (!writer->Write(chunk)) break;
    offset += n;
    left -= n;
  }
  return grpc::Status::OK;
}

grpc::Status ContentService::Write(
    ServerContext* ctx,
    grpc::ServerReaderWriter<v1::WriteContentResponse, v1::WriteContentRequest>* stream) {
  BERTH_NS_OR_RETURN(ns, ctx);
  Leases::Lease lease = m_.leases().Begin();
  std::unique_ptr<ContentWriter> w;
  v1::WriteContentRequest req;
  while (stream->Read(&req)) {
    if (!w) {
      if (req.ref().empty()) return ToGrpc(absl::InvalidArgumentError("write: ref is required"));
      absl::StatusOr<std::unique_ptr<ContentWriter>> opened =
          m_.content().Writer(req.ref(), req.expected(), req.total());
      if (!opened.ok()) return ToGrpc(opened.status());
      w = *std::move(opened);
    }
    v1::WriteContentResponse resp;
    resp.set_action(req.action());
    if (req.action() != v1::STAT && !req.data().empty()) {
      if (req.offset() != w->Offset()) {
        return ToGrpc(absl::OutOfRangeError(absl::StrCat(
            "write at offset ", req.offset(), ", but ingest ", req.ref(), " is at ", w->Offset())));
      }
      if (absl::Status s = w->Write(req.data()); !s.ok()) return ToGrpc(s);
    }
    resp.set_offset(w->Offset());
    resp.set_total(req.total());
    if (req.action() == v1::COMMIT) {
      int64_t size = w->Offset();
      absl::StatusOr<std::string> digest = w->Commit(req.total(), req.expected());
      if (!digest.ok()) return ToGrpc(digest.status());
      if (absl::Status s = m_.meta().AddContent(ns, *digest, size); !s.ok()) return ToGrpc(s);
      resp.set_digest(*digest);
      stream->Write(resp);
      return grpc::Status::OK;
    }
    stream->Write(resp);
  }
  return grpc::Status::OK;
}

grpc::Status ContentService::Status(ServerContext*, const v1::ContentStatusRequest* req,
                                    v1::ContentStatus* resp) {
  absl::StatusOr<IngestStatus> st = m_.content().Status(req->ref());
  if (!st.ok()) return ToGrpc(st.status());
  resp->set_ref(st->ref);
  resp->set_offset(st->offset);
  resp->set_total(st->total);
  resp->set_expected(st->expected);
  return grpc::Status::OK;
}

grpc::Status ContentService::Abort(ServerContext*, const v1::AbortContentRequest* req,
                                   v1::AbortContentResponse*) {
  return ToGrpc(m_.content().Abort(req->ref()));
}

}  // namespace berth::manager
