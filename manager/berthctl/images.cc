// berthctl images import|ls|rm|export (ctr's `images` group).
#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status.h"
#include "common/unique_fd.h"
#include "manager/berthctl/commands.h"
#include "manager/berthctl/table.h"
#include "proto/manager/v1/images.grpc.pb.h"
#include "proto/manager/v1/transfer.grpc.pb.h"

namespace berth::berthctl {
namespace {

constexpr size_t kChunk = 1 << 20;

absl::StatusOr<v1::Platform> ParsePlatform(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, '/');
  if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || parts[1].empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid platform \"", text, "\": expected os/arch[/variant]"));
  }
  v1::Platform p;
  p.set_os(parts[0]);
  p.set_architecture(parts[1]);
  if (parts.size() == 3) p.set_variant(parts[2]);
  return p;
}

absl::StatusOr<v1::ImportOptions> ImportOptionsFrom(const ParsedFlags& f, const std::string& file) {
  v1::ImportOptions opts;
  if (file != "-") {
    if (::access(file.c_str(), R_OK) != 0) return ErrnoStatus("open", file);
    opts.set_path(std::filesystem::absolute(file).lexically_normal().string());
  }
  if (auto p = f.Get("platform")) {
    ASSIGN_OR_RETURN(*opts.mutable_platform(), ParsePlatform(*p));
  }
  opts.set_all_platforms(f.Has("all-platforms"));
  opts.set_no_unpack(f.Has("no-unpack"));
  opts.set_base_name(f.GetOr("base-name", ""));
  return opts;
}

// Prints what ctr prints for an import: one line per unpacked image.
void PrintImportProgress(const v1::ImportProgress& p, bool no_unpack) {
  if (p.kind() != "done" || no_unpack) return;
  for (const auto& img : p.images()) {
    printf("unpacking %s (%s)...done\n", img.name().c_str(), img.target().digest().c_str());
  }
  fflush(stdout);
}

absl::StatusOr<int> Import(Client& c, const Args& args) {
  static const char kUsage[] =
      "images import [--base-name N] [--platform os/arch] [--all-platforms] [--no-unpack] FILE|-";
  ASSIGN_OR_RETURN(
      ParsedFlags f,
      ParseCommand(
          kUsage,
          {{{"base-name"}}, {{"platform"}}, {{"all-platforms"}, false}, {{"no-unpack"}, false}},
          args, 1, 1));
  const std::string& file = f.positional()[0];
  v1::ImportRequest first;
  ASSIGN_OR_RETURN(*first.mutable_options(), ImportOptionsFrom(f, file));
  auto ctx = c.NewContext();
  auto stream = c.Stub<v1::Transfer::Stub>().Import(ctx.get());
  std::thread reader([&] {
    v1::ImportProgress p;
    while (stream->Read(&p)) PrintImportProgress(p, f.Has("no-unpack"));
  });
  bool ok = stream->Write(first);
  absl::Status local;
  if (file == "-") {
    std::string buf(kChunk, '\0');
    while (ok) {
      ssize_t n = RetryEintr([&] { return ::read(STDIN_FILENO, buf.data(), buf.size()); });
      if (n < 0) local = ErrnoStatus("read", "stdin");
      if (n <= 0) break;
      v1::ImportRequest req;
      req.set_data(buf.data(), static_cast<size_t>(n));
      ok = stream->Write(req);
    }
  }
  if (!local.ok()) ctx->TryCancel();
  stream->WritesDone();
  reader.join();
  absl::Status status = FromGrpc(stream->Finish());
  RETURN_IF_ERROR(local);
  RETURN_IF_ERROR(status);
  return 0;
}

std::string Labels(const google::protobuf::Map<std::string, std::string>& labels) {
  if (labels.empty()) return "-";
  std::map<std::string, std::string> sorted(labels.begin(), labels.end());
  return absl::StrJoin(sorted, ",", absl::PairFormatter("="));
}

// SIZE and PLATFORMS of an image, from Images.Resolve ("-" when it fails).
std::pair<std::string, std::string> SizeAndPlatform(Client& c, const v1::Image& img) {
  v1::ResolveImageRequest req;
  req.set_name(img.name());
  v1::ResolveImageResponse r;
  if (!c.Call(&v1::Images::Stub::Resolve, req, &r).ok()) return {"-", "-"};
  int64_t size = r.manifest().size() + r.config().size();
  if (img.target().digest() != r.manifest().digest()) size += img.target().size();
  for (const auto& l : r.layers()) size += l.size();
  v1::Platform p = r.manifest().platform();
  if (p.os().empty()) {
    auto cfg = nlohmann::json::parse(r.config_json(), nullptr, false);
    if (cfg.is_object()) {
      p.set_os(cfg.value("os", ""));
      p.set_architecture(cfg.value("architecture", ""));
      p.set_variant(cfg.value("variant", ""));
    }
  }
  std::string platform = p.os().empty() ? "-" : absl::StrCat(p.os(), "/", p.architecture());
  if (!p.variant().empty()) absl::StrAppend(&platform, "/", p.variant());
  return {FormatBytes(size), platform};
}

absl::StatusOr<int> List(Client& c, const Args& args) {
  ASSIGN_OR_RETURN(ParsedFlags f,
                   ParseCommand("images ls [-q] [FILTER...]", {{{"quiet", "q"}, false}}, args, 0));
  v1::ListImagesRequest req;
  for (const auto& filter : f.positional()) req.add_filters(filter);
  v1::ListImagesResponse resp;
  RETURN_IF_ERROR(c.Call(&v1::Images::Stub::List, req, &resp));
  if (f.Has("quiet")) {
    for (const auto& img : resp.images()) printf("%s\n", img.name().c_str());
    return 0;
  }
  TabWriter w(1, 1);
  w.Line("REF\tTYPE\tDIGEST\tSIZE\tPLATFORMS\tLABELS\t");
  for (const auto& img : resp.images()) {
    auto [size, platform] = SizeAndPlatform(c, img);
    w.Line(absl::StrCat(img.name(), "\t", img.target().media_type(), "\t", img.target().digest(),
                        "\t", size, "\t", platform, "\t", Labels(img.labels()), "\t"));
  }
  w.Flush();
  return 0;
}

absl::StatusOr<int> Remove(Client& c, const Args& args) {
  ASSIGN_OR_RETURN(ParsedFlags f, ParseCommand("images rm NAME...", {}, args, 1));
  absl::Status first = ForEachName(f.positional(), [&c](const std::string& name) {
    v1::DeleteImageRequest req;
    req.set_name(name);
    v1::DeleteImageResponse resp;
    RETURN_IF_ERROR(c.Call(&v1::Images::Stub::Delete, req, &resp));
    printf("%s\n", name.c_str());
    return absl::OkStatus();
  });
  fflush(stdout);
  RETURN_IF_ERROR(first);
  return 0;
}

absl::StatusOr<v1::ExportRequest> ExportRequestFrom(const ParsedFlags& f) {
  v1::ExportRequest req;
  std::string format = f.GetOr("format", "oci");
  if (format != "oci" && format != "docker") {
    return absl::InvalidArgumentError("--format must be oci or docker, not \"" + format + "\"");
  }
  req.set_format(format == "docker" ? v1::DOCKER : v1::OCI);
  if (auto p = f.Get("platform")) {
    ASSIGN_OR_RETURN(*req.mutable_platform(), ParsePlatform(*p));
  }
  req.set_all_platforms(f.Has("all-platforms"));
  for (size_t i = 1; i < f.positional().size(); ++i) req.add_names(f.positional()[i]);
  return req;
}

// Streams the archive to OUT (through OUT.tmp, renamed at the end) or stdout.
absl::StatusOr<int> Export(Client& c, const Args& args) {
  static const char kUsage[] =
      "images export [--format oci|docker] [--platform os/arch] [--all-platforms] OUT|- NAME...";
  ASSIGN_OR_RETURN(
      ParsedFlags f,
      ParseCommand(kUsage, {{{"format"}}, {{"platform"}}, {{"all-platforms"}, false}}, args, 2));
  ASSIGN_OR_RETURN(v1::ExportRequest req, ExportRequestFrom(f));
  const std::string out = f.positional()[0];
  const std::string tmp = out + ".tmp";
  UniqueFd fd(out == "-" ? ::dup(STDOUT_FILENO)
                         : ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!fd) return ErrnoStatus("open", out == "-" ? "stdout" : tmp);
  auto ctx = c.NewContext();
  auto stream = c.Stub<v1::Transfer::Stub>().Export(ctx.get(), req);
  v1::ExportChunk chunk;
  absl::Status local;
  while (local.ok() && stream->Read(&chunk)) {
    const std::string& d = chunk.data();
    for (size_t off = 0; off < d.size() && local.ok();) {
      ssize_t n = RetryEintr([&] { return ::write(fd.get(), d.data() + off, d.size() - off); });
      if (n < 0) local = ErrnoStatus("write", out);
      off += n > 0 ? static_cast<size_t>(n) : 0;
    }
  }
  if (!local.ok()) ctx->TryCancel();
  absl::Status status = FromGrpc(stream->Finish());
  if (status.ok()) status = local;
  if (status.ok() && out != "-" && ::fsync(fd.get()) != 0) status = ErrnoStatus("fsync", tmp);
  if (status.ok() && out != "-" && ::rename(tmp.c_str(), out.c_str()) != 0) {
    status = ErrnoStatus("rename", out);
  }
  if (!status.ok() && out != "-") ::unlink(tmp.c_str());
  RETURN_IF_ERROR(status);
  return 0;
}

}  // namespace

absl::StatusOr<int> ImagesMain(Client& client, const Args& args) {
  static const std::vector<Command> kCommands = {
      {{"import"}, Import, "images import"},
      {{"ls", "list"}, List, "images ls"},
      {{"rm", "remove", "delete", "del"}, Remove, "images rm"},
      {{"export"}, Export, "images export"},
  };
  return Dispatch("images", kCommands, client, args);
}

}  // namespace berth::berthctl
