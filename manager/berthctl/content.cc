// berthctl content ls|get|ingest|rm (ctr's `content` group): the blob store
// itself, through Content's streams.
#include <unistd.h>

#include <cstdio>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/status.h"
#include "manager/berthctl/commands.h"
#include "manager/berthctl/table.h"
#include "proto/manager/v1/content.grpc.pb.h"

namespace berth::berthctl {
namespace {

constexpr size_t kChunk = 1 << 20;

// Reads up to buf.size() bytes of stdin (less only at its end).
absl::StatusOr<size_t> ReadStdin(std::string& buf) {
  size_t got = 0;
  while (got < buf.size()) {
    ssize_t n =
        RetryEintr([&] { return ::read(STDIN_FILENO, buf.data() + got, buf.size() - got); });
    if (n < 0) return ErrnoStatus("read", "stdin");
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  return got;
}

absl::StatusOr<int> List(Client& c, const Args& args) {
  ASSIGN_OR_RETURN(ParsedFlags f,
                   ParseCommand("content ls [-q] [FILTER...]", {{{"quiet", "q"}, false}}, args, 0));
  v1::ListContentRequest req;
  for (const auto& filter : f.positional()) req.add_filters(filter);
  v1::ListContentResponse resp;
  RETURN_IF_ERROR(c.Call(&v1::Content::Stub::List, req, &resp));
  if (f.Has("quiet")) {
    for (const auto& info : resp.infos()) printf("%s\n", info.digest().c_str());
    return 0;
  }
  TabWriter w(1, 1);
  w.Line("DIGEST\tSIZE\tCREATED\t");
  for (const auto& info : resp.infos()) {
    w.Line(absl::StrCat(info.digest(), "\t", FormatBytes(info.size()), "\t",
                        FormatUnixNano(info.created_at()), "\t"));
  }
  w.Flush();
  return 0;
}

// The blob's bytes to stdout, as they stream.
absl::StatusOr<int> Get(Client& c, const Args& args) {
  ASSIGN_OR_RETURN(ParsedFlags f, ParseCommand("content get DIGEST", {}, args, 1, 1));
  v1::ReadContentRequest req;
  req.set_digest(f.positional()[0]);
  auto ctx = c.NewContext();
  auto stream = c.Stub<v1::Content::Stub>().Read(ctx.get(), req);
  v1::ReadContentResponse chunk;
  absl::Status local;
  while (local.ok() && stream->Read(&chunk))
    local = WriteAll(STDOUT_FILENO, chunk.data(), "stdout");
  if (!local.ok()) ctx->TryCancel();
  absl::Status status = FromGrpc(stream->Finish());
  RETURN_IF_ERROR(local);
  RETURN_IF_ERROR(status);
  return 0;
}

// stdin into the ingest REF, resumable: the ingest's offset is asked first
// and that many bytes of stdin are skipped. With --expected-size, a stdin
// that ends early leaves the ingest for a later run instead of committing.
// Prints the committed digest.
absl::StatusOr<int> Ingest(Client& c, const Args& args) {
  static const char kUsage[] = "content ingest [--expected-size N] [--expected-digest D] REF";
  ASSIGN_OR_RETURN(ParsedFlags f,
                   ParseCommand(kUsage, {{{"expected-size"}}, {{"expected-digest"}}}, args, 1, 1));
  const std::string& ref = f.positional()[0];
  int64_t total = 0;
  if (auto s = f.Get("expected-size"); s && (!absl::SimpleAtoi(*s, &total) || total < 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--expected-size \"", *s, "\": not a size in bytes"));
  }
  v1::WriteContentRequest req;
  req.set_ref(ref);
  req.set_total(total);
  req.set_expected(f.GetOr("expected-digest", ""));
  auto ctx = c.NewContext();
  auto stream = c.Stub<v1::Content::Stub>().Write(ctx.get());
  v1::WriteContentResponse resp;
  // One request, one answer.
  auto exchange = [&]() -> bool { return stream->Write(req) && stream->Read(&resp); };
  // Ends the stream (an ingest that is not committed stays, resumable).
  auto finish = [&](const absl::Status& local) -> absl::StatusOr<int> {
    stream->WritesDone();
    absl::Status status = FromGrpc(stream->Finish());
    RETURN_IF_ERROR(local);
    RETURN_IF_ERROR(status);
    return 0;
  };

  req.set_action(v1::STAT);
  if (!exchange()) return finish(absl::OkStatus());
  int64_t offset = resp.offset();
  std::string buf(kChunk, '\0');
  for (int64_t skip = offset; skip > 0;) {  // what an earlier run wrote
    buf.resize(static_cast<size_t>(std::min<int64_t>(skip, kChunk)));
    absl::StatusOr<size_t> n = ReadStdin(buf);
    if (!n.ok()) return finish(n.status());
    if (*n == 0) {
      return finish(absl::OutOfRangeError(absl::StrCat("stdin ended at byte ", offset - skip,
                                                       ", before the ingest's offset ", offset)));
    }
    skip -= static_cast<int64_t>(*n);
  }
  buf.resize(kChunk);
  req.set_action(v1::WRITE);
  for (;;) {
    absl::StatusOr<size_t> n = ReadStdin(buf);
    if (!n.ok()) return finish(n.status());
    if (*n == 0) break;
    req.set_offset(offset);
    req.set_data(buf.data(), *n);
    if (!exchange()) return finish(absl::OkStatus());
    offset = resp.offset();
  }
  if (total > 0 && offset < total) {
    return finish(absl::OutOfRangeError(
        absl::StrCat("stdin ended at byte ", offset, " of ", total, "; ingest ", ref,
                     " keeps them: run again with the same input to resume")));
  }
  req.set_action(v1::COMMIT);
  req.clear_data();
  req.set_offset(offset);
  if (!exchange()) return finish(absl::OkStatus());
  printf("%s\n", resp.digest().c_str());
  return finish(absl::OkStatus());
}

absl::StatusOr<int> Remove(Client& c, const Args& args) {
  ASSIGN_OR_RETURN(ParsedFlags f, ParseCommand("content rm DIGEST...", {}, args, 1));
  absl::Status first = ForEachName(f.positional(), [&c](const std::string& digest) {
    v1::DeleteContentRequest req;
    req.set_digest(digest);
    v1::DeleteContentResponse resp;
    RETURN_IF_ERROR(c.Call(&v1::Content::Stub::Delete, req, &resp));
    printf("%s\n", digest.c_str());
    return absl::OkStatus();
  });
  fflush(stdout);
  RETURN_IF_ERROR(first);
  return 0;
}

}  // namespace

absl::StatusOr<int> ContentMain(Client& client, const Args& args) {
  static const std::vector<Command> kCommands = {
      {{"ls", "list"}, List, "content ls"},
      {{"get"}, Get, "content get"},
      {{"ingest"}, Ingest, "content ingest"},
      {{"rm", "remove", "delete", "del"}, Remove, "content rm"},
  };
  return Dispatch("content", kCommands, client, args);
}

}  // namespace berth::berthctl
