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

namespace {

// A blob to the client, one chunk in flight at a time: each OnWriteDone
// reads the next chunk (a bounded pread), so a slow reader holds no thread.
class ReadReactor final : public grpc::ServerWriteReactor<v1::ReadContentResponse> {
 public:
  ReadReactor(UniqueFd fd, std::string digest, int64_t offset, int64_t size)
      : fd_(std::move(fd)),
        digest_(std::move(digest)),
        offset_(offset),
        left_(size > 0 ? size : INT64_MAX) {
    Next();
  }
  void OnWriteDone(bool ok) override {
    if (!ok) return Finish(grpc::Status::CANCELLED);  // the client went away
    offset_ += static_cast<int64_t>(chunk_.data().size());
    left_ -= static_cast<int64_t>(chunk_.data().size());
    Next();
  }
  void OnDone() override { delete this; }

 private:
  void Next() {
    if (left_ <= 0) return Finish(grpc::Status::OK);
    std::string* buf = chunk_.mutable_data();
    buf->resize(static_cast<size_t>(std::min<int64_t>(left_, kChunk)));
    ssize_t n = RetryEintr([&] { return ::pread(fd_.get(), buf->data(), buf->size(), offset_); });
    if (n < 0) return Finish(ToGrpc(ErrnoStatus("read", digest_)));
    if (n == 0) return Finish(grpc::Status::OK);
    buf->resize(static_cast<size_t>(n));
    chunk_.set_offset(offset_);
    StartWrite(&chunk_);
  }

  static constexpr int64_t kChunk = 1 << 20;
  UniqueFd fd_;
  const std::string digest_;
  int64_t offset_, left_;
  v1::ReadContentResponse chunk_;
};

// An ingest, one request at a time: each OnReadDone writes the request's
// bytes to the ingest file and answers; the next read starts when the answer
// is sent. A stream that ends without COMMIT leaves the ingest to resume.
class WriteReactor final
    : public grpc::ServerBidiReactor<v1::WriteContentRequest, v1::WriteContentResponse> {
 public:
  WriteReactor(Manager& m, std::string ns) : m_(m), ns_(std::move(ns)), lease_(m.leases().Begin()) {
    StartRead(&req_);
  }
  void OnReadDone(bool ok) override {
    if (!ok) return Finish(grpc::Status::OK);  // the client ended the stream
    absl::StatusOr<bool> committed = Handle();
    if (!committed.ok()) return Finish(ToGrpc(committed.status()));
    if (*committed) return StartWriteAndFinish(&resp_, grpc::WriteOptions(), grpc::Status::OK);
    StartWrite(&resp_);
  }
  void OnWriteDone(bool ok) override {
    if (!ok) return Finish(grpc::Status::CANCELLED);
    StartRead(&req_);
  }
  void OnDone() override { delete this; }

 private:
  // Applies req_ and fills resp_; true once the blob is committed.
  absl::StatusOr<bool> Handle() {
    if (!w_) {
      if (req_.ref().empty()) return absl::InvalidArgumentError("write: ref is required");
      ASSIGN_OR_RETURN(w_, m_.content().Writer(req_.ref(), req_.expected(), req_.total()));
    }
    resp_.Clear();
    resp_.set_action(req_.action());
    if (req_.action() != v1::STAT && !req_.data().empty()) {
      if (req_.offset() != w_->Offset()) {
        return absl::OutOfRangeError(absl::StrCat("write at offset ", req_.offset(),
                                                  ", but ingest ", req_.ref(), " is at ",
                                                  w_->Offset()));
      }
      RETURN_IF_ERROR(w_->Write(req_.data()));
    }
    resp_.set_offset(w_->Offset());
    resp_.set_total(req_.total());
    if (req_.action() != v1::COMMIT) return false;
    int64_t size = w_->Offset();
    ASSIGN_OR_RETURN(std::string digest, w_->Commit(req_.total(), req_.expected()));
    RETURN_IF_ERROR(m_.meta().AddContent(ns_, digest, size));
    resp_.set_digest(digest);
    return true;
  }

  Manager& m_;
  const std::string ns_;
  Leases::Lease lease_;  // the ingest is work in progress until the stream ends
  std::unique_ptr<ContentWriter> w_;
  v1::WriteContentRequest req_;
  v1::WriteContentResponse resp_;
};

}  // namespace

grpc::ServerWriteReactor<v1::ReadContentResponse>* ContentService::Read(
    grpc::CallbackServerContext* ctx, const v1::ReadContentRequest* req) {
  using R = Refused<grpc::ServerWriteReactor<v1::ReadContentResponse>>;
  absl::StatusOr<std::string> ns = CallNamespace(ctx);
  if (!ns.ok()) return new R(ToGrpc(ns.status()));
  if (absl::Status s = CheckVisible(m_, *ns, req->digest()); !s.ok()) return new R(ToGrpc(s));
  absl::StatusOr<UniqueFd> fd = m_.content().OpenBlob(req->digest());
  if (!fd.ok()) return new R(ToGrpc(fd.status()));
  return new ReadReactor(*std::move(fd), req->digest(), req->offset(), req->size());
}

grpc::ServerBidiReactor<v1::WriteContentRequest, v1::WriteContentResponse>* ContentService::Write(
    grpc::CallbackServerContext* ctx) {
  absl::StatusOr<std::string> ns = CallNamespace(ctx);
  if (!ns.ok()) {
    return new Refused<grpc::ServerBidiReactor<v1::WriteContentRequest, v1::WriteContentResponse>>(
        ToGrpc(ns.status()));
  }
  return new WriteReactor(m_, *std::move(ns));
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
