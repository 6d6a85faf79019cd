#include <fcntl.h>
#include <unistd.h>

#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/status.h"
#include "manager/services/awaited.h"
#include "manager/services/common.h"
#include "manager/services/services.h"

namespace berth::manager {
namespace {

// An import runs for as long as its bytes flow, on threads of its own: the
// worker feeds the streamed bytes into a pipe (or the importer reads
// options.path directly) while the importer thread unpacks; progress goes
// back on the same stream, one write at a time.
//
//   client --ImportRequest{options}, {data}...--> worker --pipe--> importer
//   client <--ImportProgress ...{kind: done, images}--------------- (progress)
class ImportReactor final : public grpc::ServerBidiReactor<v1::ImportRequest, v1::ImportProgress> {
 public:
  ImportReactor(Manager& m, std::string ns) : m_(m), ns_(std::move(ns)) {
    worker_ = std::thread([this] { Finish(ToGrpc(Run())); });
  }
  void OnReadDone(bool ok) override { read_.Done(ok); }
  void OnWriteDone(bool ok) override { write_.Done(ok); }
  void OnDone() override {
    worker_.join();  // Finish was its last act
    delete this;
  }

 private:
  bool Read(v1::ImportRequest* req) {
    read_.Begin();
    StartRead(req);
    return read_.Wait();
  }
  bool Write(const v1::ImportProgress& p) {
    std::lock_guard<std::mutex> lock(write_mu_);  // the importer's and the worker's
    write_.Begin();
    StartWrite(&p);
    return write_.Wait();
  }

  absl::Status Run() {
    v1::ImportRequest first;
    if (!Read(&first)) return absl::InvalidArgumentError("import: the stream carried no options");
    const v1::ImportOptions options = first.options();
    UniqueFd source, feed;
    if (!options.path().empty()) {
      source = UniqueFd(::open(options.path().c_str(), O_RDONLY | O_CLOEXEC));
      if (!source) return ErrnoStatus("open", options.path());
    } else {
      int p[2];
      if (::pipe2(p, O_CLOEXEC) < 0) return ErrnoStatus("pipe2", "import");
      source = UniqueFd(p[0]);
      feed = UniqueFd(p[1]);
    }
    absl::StatusOr<std::vector<v1::Image>> result = absl::UnknownError("import did not run");
    std::thread importer([&] {
      result = m_.images().Import(ns_, source.get(), options,
                                  [this](const v1::ImportProgress& p) { (void)Write(p); });
      source.reset();  // the feeder's writes fail from now on
    });
    if (feed) {
      // Fails once the importer has stopped reading.
      bool open = WriteAll(feed.get(), first.data(), "import pipe").ok();
      v1::ImportRequest req;
      while (open && Read(&req)) open = WriteAll(feed.get(), req.data(), "import pipe").ok();
      feed.reset();  // EOF for the importer
    }
    importer.join();
    RETURN_IF_ERROR(result.status());
    v1::ImportProgress done;
    done.set_kind("done");
    for (v1::Image& img : *result) *done.add_images() = std::move(img);
    (void)Write(done);
    return absl::OkStatus();
  }

  Manager& m_;
  const std::string ns_;
  Awaited read_, write_;
  std::mutex write_mu_;
  std::thread worker_;
};

// An export: the exporter thread writes the tar into a pipe; the worker
// sends what it reads from the pipe, one chunk in flight at a time.
class ExportReactor final : public grpc::ServerWriteReactor<v1::ExportChunk> {
 public:
  ExportReactor(Manager& m, std::string ns, const v1::ExportRequest& req)
      : m_(m), ns_(std::move(ns)), req_(req) {
    worker_ = std::thread([this] { Finish(ToGrpc(Run())); });
  }
  void OnWriteDone(bool ok) override { write_.Done(ok); }
  void OnDone() override {
    worker_.join();  // Finish was its last act
    delete this;
  }

 private:
  absl::Status Run() {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) < 0) return ErrnoStatus("pipe2", "export");
    UniqueFd rd(p[0]), wr(p[1]);
    absl::Status result;
    std::thread exporter([&] {
      result = m_.images().Export(ns_, req_, wr.get());
      wr.reset();
    });
    std::string buf(1 << 20, '\0');
    bool client_open = true;
    v1::ExportChunk chunk;
    for (;;) {
      ssize_t n = RetryEintr([&] { return ::read(rd.get(), buf.data(), buf.size()); });
      if (n <= 0) break;
      if (!client_open) continue;  // drain so the exporter can finish
      chunk.set_data(buf.data(), static_cast<size_t>(n));
      write_.Begin();
      StartWrite(&chunk);
      client_open = write_.Wait();
    }
    exporter.join();
    return result;
  }

  Manager& m_;
  const std::string ns_;
  const v1::ExportRequest req_;
  Awaited write_;
  std::thread worker_;
};

}  // namespace

grpc::ServerBidiReactor<v1::ImportRequest, v1::ImportProgress>* TransferService::Import(
    grpc::CallbackServerContext* ctx) {
  absl::StatusOr<std::string> ns = CallNamespace(ctx);
  if (!ns.ok()) {
    return new Refused<grpc::ServerBidiReactor<v1::ImportRequest, v1::ImportProgress>>(
        ToGrpc(ns.status()));
  }
  return new ImportReactor(m_, *std::move(ns));
}

grpc::ServerWriteReactor<v1::ExportChunk>* TransferService::Export(grpc::CallbackServerContext* ctx,
                                                                   const v1::ExportRequest* req) {
  absl::StatusOr<std::string> ns = CallNamespace(ctx);
  if (!ns.ok()) {
    return new Refused<grpc::ServerWriteReactor<v1::ExportChunk>>(ToGrpc(ns.status()));
  }
  return new ExportReactor(m_, *std::move(ns), *req);
}

}  // namespace berth::manager
