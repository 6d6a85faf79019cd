#include <fcntl.h>
#include <unistd.h>

#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "common/status.h"
#include "manager/services/common.h"
#include "manager/services/services.h"

namespace berth::manager {
namespace {

// Writes all of data to fd; false once the reader has gone.
bool WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    ssize_t n = RetryEintr([&] { return ::write(fd, data.data(), data.size()); });
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

// The importer reads a pipe on its own thread while this one feeds it the
// streamed bytes (or the importer reads options.path directly); progress
// goes back on the same stream, serialized by a mutex.
//
//   client --ImportRequest{options}, {data}...--> this thread --pipe--> importer thread
//   client <--ImportProgress ...{kind: done, images}-------------------- (progress)
Status TransferService::Import(
    ServerContext* ctx, grpc::ServerReaderWriter<v1::ImportProgress, v1::ImportRequest>* stream) {
  BERTH_NS_OR_RETURN(ns, ctx);
  v1::ImportRequest first;
  if (!stream->Read(&first)) {
    return ToGrpc(absl::InvalidArgumentError("import: the stream carried no options"));
  }
  const v1::ImportOptions options = first.options();
  UniqueFd source, feed;
  if (!options.path().empty()) {
    source = UniqueFd(::open(options.path().c_str(), O_RDONLY | O_CLOEXEC));
    if (!source) return ToGrpc(ErrnoStatus("open", options.path()));
  } else {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) < 0) return ToGrpc(ErrnoStatus("pipe2", "import"));
    source = UniqueFd(p[0]);
    feed = UniqueFd(p[1]);
  }
  std::mutex write_mu;
  ProgressFn progress = [&](const v1::ImportProgress& p) {
    std::lock_guard<std::mutex> lock(write_mu);
    stream->Write(p);
  };
  absl::StatusOr<std::vector<v1::Image>> result = absl::UnknownError("import did not run");
  std::thread importer([&] {
    result = m_.images().Import(ns, source.get(), options, progress);
    source.reset();  // the feeder's writes fail from now on
  });
  if (feed) {
    bool open = WriteAll(feed.get(), first.data());
    v1::ImportRequest req;
    while (open && stream->Read(&req)) open = WriteAll(feed.get(), req.data());
    feed.reset();  // EOF for the importer
  }
  importer.join();
  if (!result.ok()) return ToGrpc(result.status());
  v1::ImportProgress done;
  done.set_kind("done");
  for (v1::Image& img : *result) *done.add_images() = std::move(img);
  stream->Write(done);
  return Status::OK;
}

Status TransferService::Export(ServerContext* ctx, const v1::ExportRequest* req,
                               grpc::ServerWriter<v1::ExportChunk>* writer) {
  BERTH_NS_OR_RETURN(ns, ctx);
  int p[2];
  if (::pipe2(p, O_CLOEXEC) < 0) return ToGrpc(ErrnoStatus("pipe2", "export"));
  UniqueFd rd(p[0]), wr(p[1]);
  absl::Status result;
  std::thread exporter([&] {
    result = m_.images().Export(ns, *req, wr.get());
    wr.reset();
  });
  std::string buf(1 << 20, '\0');
  bool client_open = true;
  for (;;) {
    ssize_t n = RetryEintr([&] { return ::read(rd.get(), buf.data(), buf.size()); });
    if (n <= 0) break;
    if (!client_open) continue;  // drain so the exporter can finish
    v1::ExportChunk chunk;
    chunk.set_data(buf.data(), static_cast<size_t>(n));
    client_open = writer->Write(chunk);
  }
  exporter.join();
  return ToGrpc(result);
}

}  // namespace berth::manager
