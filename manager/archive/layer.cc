#include "manager/archive/layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <climits>
#include <map>
#include <memory>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/status.h"
#include "common/unique_fd.h"
#include "manager/content/digest.h"

namespace berth::manager {
namespace {

constexpr absl::string_view kWhiteoutPrefix = ".wh.";
constexpr absl::string_view kWhiteoutMetaPrefix = ".wh..wh.";
constexpr absl::string_view kOpaqueMarker = ".wh..wh..opq";
constexpr char kOpaqueXattr[] = "trusted.overlay.opaque";

struct ReadFree {
  void operator()(archive* a) const { archive_read_free(a); }
};
using ReadArchive = std::unique_ptr<archive, ReadFree>;

absl::Status Escapes(absl::string_view entry) {
  return absl::InvalidArgumentError(absl::StrCat("layer entry ", entry, " escapes the root"));
}

// Normalises an entry path lexically: "./a//b/../c" -> {"a", "c"}. An
// absolute path counts from the root (tar writers store "/etc/x"); a ".."
// that climbs above the root is an escape. Lexical is safe here because the
// result is then walked without following any symlink (OpenParent).
absl::StatusOr<std::vector<std::string>> SplitEntryPath(absl::string_view path,
                                                        absl::string_view entry) {
  std::vector<std::string> out;
  for (absl::string_view c : absl::StrSplit(path, '/', absl::SkipEmpty())) {
    if (c == ".") continue;
    if (c != "..") {
      out.emplace_back(c);
    } else if (out.empty()) {
      return Escapes(entry);
    } else {
      out.pop_back();
    }
  }
  return out;
}

// Opens dirfd/name as a directory without following a symlink, creating it
// (0755) if missing and create is set. A symlink here is refused: writing
// through it could land anywhere, the host's /etc included.
absl::StatusOr<UniqueFd> StepInto(int dirfd, const std::string& name, absl::string_view shown,
                                  absl::string_view entry, bool create) {
  for (int attempt = 0;; ++attempt) {
    UniqueFd fd(RetryEintr([&] {
      return ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }));
    if (fd) return fd;
    if (errno == ENOENT && create && attempt == 0) {
      if (::mkdirat(dirfd, name.c_str(), 0755) != 0 && errno != EEXIST) {
        return ErrnoStatus(absl::StrCat("layer entry ", entry, ": mkdir"), shown);
      }
      continue;
    }
    if (errno == ELOOP || errno == ENOTDIR) {
      struct stat st;
      bool link =
          ::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
      return absl::InvalidArgumentError(absl::StrCat(
          "layer entry ", entry, ": ", shown,
          link ? " is a symlink, refusing to write through it" : " is not a directory"));
    }
    return ErrnoStatus(absl::StrCat("layer entry ", entry, ": open"), shown);
  }
}

// The directory holding the last of parts, walked from root component by
// component (see StepInto).
absl::StatusOr<UniqueFd> OpenParent(int root, const std::vector<std::string>& parts,
                                    absl::string_view entry, bool create) {
  UniqueFd cur(::fcntl(root, F_DUPFD_CLOEXEC, 0));
  if (!cur) return ErrnoStatus("dup", "layer root");
  std::string shown;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    absl::StrAppend(&shown, i ? "/" : "", parts[i]);
    ASSIGN_OR_RETURN(cur, StepInto(cur.get(), parts[i], shown, entry, create));
  }
  return cur;
}

// rm -rf dirfd/name without following symlinks; a missing name is fine.
absl::Status RemoveAt(int dirfd, const std::string& name) {
  struct stat st;
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return errno == ENOENT ? absl::OkStatus() : ErrnoStatus("stat", name);
  }
  if (S_ISDIR(st.st_mode)) {
    int fd = ::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("open", name);
    std::unique_ptr<DIR, int (*)(DIR*)> d(::fdopendir(fd), ::closedir);
    if (!d) {
      ::close(fd);
      return ErrnoStatus("fdopendir", name);
    }
    std::vector<std::string> children;
    while (struct dirent* e = ::readdir(d.get())) {
      absl::string_view n = e->d_name;
      if (n != "." && n != "..") children.emplace_back(n);
    }
    for (const std::string& c : children) RETURN_IF_ERROR(RemoveAt(::dirfd(d.get()), c));
  }
  if (::unlinkat(dirfd, name.c_str(), S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) != 0) {
    return ErrnoStatus("remove", name);
  }
  return absl::OkStatus();
}

std::string ProcPath(int dirfd, const std::string& name) {
  return absl::StrCat("/proc/self/fd/", dirfd, "/", name);
}

}  // namespace

namespace {

// Single-pass decompress + hash + untar, with two libarchive readers:
//
//   layer_fd -> [raw reader: filter_all + format_raw]  (gzip, zstd, xz or
//                  none, detected from the bytes; libarchive does all of
//                  them through this one API)
//            -> ReadFromRaw: sha256 of every decompressed byte  (diff_id)
//            -> [tar reader: format_tar, no filter] -> entries on disk
//
// The tar reader has no skip callback, so every decompressed byte passes
// through ReadFromRaw; what it leaves after the end-of-archive blocks is
// drained into the hash at the end. Cheaper than a second pass over the
// blob, and no temporary copy of the uncompressed tar.
struct RawSource {
  archive* raw;
  Sha256 hash;
  uint32_t crc = 0;  // crc32 of the decompressed stream, for the gzip trailer
  std::string buf = std::string(1 << 16, '\0');
  std::string error;
};

// CRC-32 (IEEE, as gzip), byte at a time. libarchive's gzip reader does not
// verify the member trailer, so without this a corrupt deflate stream that
// still inflates would go unnoticed until the bytes happen to break the tar.
uint32_t Crc32(uint32_t crc, const unsigned char* p, size_t n) {
  static const auto kTable = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  while (n--) crc = kTable[(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return ~crc;
}

// Checks the gzip trailer (crc32, length mod 2^32) at the end of the layer
// file against what was decompressed. Needs a seekable fd (a blob); a pipe
// is not checked. Limitation: a multi-member gzip (concatenated streams) is
// refused, since only the last member's trailer is visible here.
absl::Status CheckGzipTrailer(int fd, const RawSource& src) {
  if (archive_filter_code(src.raw, 0) != ARCHIVE_FILTER_GZIP) return absl::OkStatus();
  struct stat st;
  unsigned char t[8];
  if (::fstat(fd, &st) != 0 || st.st_size < 8 || ::pread(fd, t, 8, st.st_size - 8) != 8) {
    return absl::OkStatus();
  }
  auto le32 = [](const unsigned char* b) {
    return uint32_t{b[0]} | uint32_t{b[1]} << 8 | uint32_t{b[2]} << 16 | uint32_t{b[3]} << 24;
  };
  if (le32(t) != src.crc || le32(t + 4) != static_cast<uint32_t>(src.hash.Size())) {
    return absl::DataLossError(
        absl::StrCat("layer: corrupt gzip stream: crc32/length of the ", src.hash.Size(),
                     " decompressed bytes do not match the trailer at offset ", st.st_size - 8));
  }
  return absl::OkStatus();
}

la_ssize_t ReadFromRaw(archive* tar, void* client, const void** out) {
  auto* src = static_cast<RawSource*>(client);
  la_ssize_t n = archive_read_data(src->raw, src->buf.data(), src->buf.size());
  if (n < 0) {
    src->error = archive_error_string(src->raw) ? archive_error_string(src->raw) : "read error";
    archive_set_error(tar, EIO, "%s", src->error.c_str());
    return -1;
  }
  src->hash.Update(src->buf.data(), static_cast<size_t>(n));
  src->crc = Crc32(src->crc, reinterpret_cast<const unsigned char*>(src->buf.data()),
                   static_cast<size_t>(n));
  *out = src->buf.data();
  return n;
}

struct DirTime {
  std::vector<std::string> parts;
  struct timespec mtime;
};

class Applier {
 public:
  Applier(int root, archive* tar) : root_(root), tar_(tar) {}
  absl::Status Entry(archive_entry* e);
  absl::Status FinishDirTimes();

 private:
  absl::Status Whiteout(int parent, const std::string& name, absl::string_view entry);
  absl::Status Create(archive_entry* e, int parent, const std::string& name,
                      absl::string_view entry);
  absl::Status Hardlink(const char* target, int parent, const std::string& name,
                        absl::string_view entry);
  absl::Status WriteData(int fd, archive_entry* e);
  absl::Status Metadata(archive_entry* e, int parent, const std::string& name);

  int root_;
  archive* tar_;
  std::vector<DirTime> dir_times_;
};

absl::Status Applier::Entry(archive_entry* e) {
  const char* raw_path = archive_entry_pathname(e);
  std::string entry = raw_path ? raw_path : "";
  ASSIGN_OR_RETURN(std::vector<std::string> parts, SplitEntryPath(entry, entry));
  if (parts.empty()) return absl::OkStatus();  // "./": the root keeps its own attributes
  ASSIGN_OR_RETURN(UniqueFd parent, OpenParent(root_, parts, entry, /*create=*/true));
  const std::string& name = parts.back();
  if (name == kOpaqueMarker) {
    // Ordering: the marker may come before or after D's own entry; D's
    // entry keeps an existing directory (and its xattrs) as it is.
    if (::fsetxattr(parent.get(), kOpaqueXattr, "y", 1, 0) != 0) {
      return ErrnoStatus(absl::StrCat("layer entry ", entry, ": setxattr"), kOpaqueXattr);
    }
    return absl::OkStatus();
  }
  if (absl::StartsWith(name, kWhiteoutMetaPrefix)) return absl::OkStatus();  // e.g. .wh..wh.plnk
  if (absl::StartsWith(name, kWhiteoutPrefix)) return Whiteout(parent.get(), name, entry);
  if (const char* target = archive_entry_hardlink(e)) {
    return Hardlink(target, parent.get(), name, entry);
  }
  absl::Status st = Create(e, parent.get(), name, entry);
  if (st.ok() && archive_entry_filetype(e) == AE_IFDIR) {
    dir_times_.push_back({std::move(parts), {archive_entry_mtime(e), archive_entry_mtime_nsec(e)}});
  }
  return st;
}

absl::Status Applier::Whiteout(int parent, const std::string& name, absl::string_view entry) {
  std::string victim = name.substr(kWhiteoutPrefix.size());
  if (victim.empty() || victim == "." || victim == "..") {
    return absl::InvalidArgumentError(absl::StrCat("layer entry ", entry, ": bad whiteout"));
  }
  RETURN_IF_ERROR(Annotate(RemoveAt(parent, victim), absl::StrCat("layer entry ", entry)));
  if (::mknodat(parent, victim.c_str(), S_IFCHR | 0, ::makedev(0, 0)) != 0) {
    return ErrnoStatus(absl::StrCat("layer entry ", entry, ": mknod whiteout"), victim);
  }
  return absl::OkStatus();
}

absl::Status Applier::Hardlink(const char* target, int parent, const std::string& name,
                               absl::string_view entry) {
  auto escapes = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("layer entry ", entry, ": hardlink target ", target, " escapes the root"));
  };
  absl::StatusOr<std::vector<std::string>> parts = SplitEntryPath(target, entry);
  if (!parts.ok()) return escapes();
  if (parts->empty()) return escapes();  // the root itself
  ASSIGN_OR_RETURN(UniqueFd tparent, OpenParent(root_, *parts, entry, /*create=*/false));
  RETURN_IF_ERROR(Annotate(RemoveAt(parent, name), absl::StrCat("layer entry ", entry)));
  // flags 0: a symlink target is linked itself, never followed.
  if (::linkat(tparent.get(), parts->back().c_str(), parent, name.c_str(), 0) != 0) {
    return ErrnoStatus(absl::StrCat("layer entry ", entry, ": link to"), target);
  }
  return absl::OkStatus();
}

// Creates one non-hardlink entry. Whatever was at name goes first unless
// both are directories (then the directory is kept and its attributes
// updated, as docker and containerd do). A half-written entry is removed.
absl::Status Applier::Create(archive_entry* e, int parent, const std::string& name,
                             absl::string_view entry) {
  const mode_t type = archive_entry_filetype(e);
  const mode_t perm = archive_entry_perm(e);
  const std::string ctx = absl::StrCat("layer entry ", entry);
  struct stat old;
  bool exists = ::fstatat(parent, name.c_str(), &old, AT_SYMLINK_NOFOLLOW) == 0;
  if (exists && !(type == AE_IFDIR && S_ISDIR(old.st_mode))) {
    RETURN_IF_ERROR(Annotate(RemoveAt(parent, name), ctx));
    exists = false;
  }
  bool created = !exists;
  absl::Cleanup undo = [&] {
    if (created) (void)RemoveAt(parent, name);
  };
  int rc = 0;
  switch (type) {
    case AE_IFREG: {
      UniqueFd fd(RetryEintr([&] {
        return ::openat(parent, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                        0600);
      }));
      if (!fd) return ErrnoStatus(ctx + ": create", name);
      RETURN_IF_ERROR(Annotate(WriteData(fd.get(), e), ctx));
      break;
    }
    case AE_IFDIR:
      rc = exists ? 0 : ::mkdirat(parent, name.c_str(), 0700);
      break;
    case AE_IFLNK:
      rc = ::symlinkat(archive_entry_symlink(e) ? archive_entry_symlink(e) : "", parent,
                       name.c_str());
      break;
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO:
      rc = ::mknodat(parent, name.c_str(), type | perm, archive_entry_rdev(e));
      break;
    default:
      created = false;  // sockets and the like: nothing to create
      return absl::OkStatus();
  }
  if (rc != 0) return ErrnoStatus(ctx + ": create", name);
  RETURN_IF_ERROR(Annotate(Metadata(e, parent, name), ctx));
  std::move(undo).Cancel();
  return absl::OkStatus();
}

absl::Status Applier::WriteData(int fd, archive_entry* e) {
  const void* buf;
  size_t size;
  la_int64_t offset;
  for (;;) {
    int r = archive_read_data_block(tar_, &buf, &size, &offset);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) {
      return absl::DataLossError(
          absl::StrCat("read data at offset ", offset, ": ", archive_error_string(tar_)));
    }
    // pwrite at the block's offset keeps sparse files sparse.
    const char* p = static_cast<const char*>(buf);
    while (size > 0) {
      ssize_t n = RetryEintr([&] { return ::pwrite(fd, p, size, offset); });
      if (n < 0) return ErrnoStatus("write");
      p += n, size -= static_cast<size_t>(n), offset += n;
    }
  }
  if (::ftruncate(fd, archive_entry_size(e)) != 0) return ErrnoStatus("truncate");
  return absl::OkStatus();
}

// Ordering: chown before chmod (chown clears set-id bits); xattrs before
// times; a directory's time again at the very end (FinishDirTimes), since
// its children change it.
absl::Status Applier::Metadata(archive_entry* e, int parent, const std::string& name) {
  const bool link = archive_entry_filetype(e) == AE_IFLNK;
  if (::fchownat(parent, name.c_str(), archive_entry_uid(e), archive_entry_gid(e),
                 AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoStatus("chown", name);
  }
  // Not following is safe: name was just created by us and is no symlink.
  if (!link && ::fchmodat(parent, name.c_str(), archive_entry_perm(e), 0) != 0) {
    return ErrnoStatus("chmod", name);
  }
  const char* xname;
  const void* value;
  size_t size;
  archive_entry_xattr_reset(e);
  while (archive_entry_xattr_next(e, &xname, &value, &size) == ARCHIVE_OK) {
    if (::lsetxattr(ProcPath(parent, name).c_str(), xname, value, size, 0) != 0) {
      return ErrnoStatus(absl::StrCat("setxattr ", xname), name);
    }
  }
  struct timespec times[2] = {{archive_entry_atime(e), archive_entry_atime_nsec(e)},
                              {archive_entry_mtime(e), archive_entry_mtime_nsec(e)}};
  if (!archive_entry_atime_is_set(e)) times[0] = times[1];
  if (::utimensat(parent, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoStatus("utimensat", name);
  }
  return absl::OkStatus();
}

// Best effort for paths a later entry removed or replaced (a whiteout of
// a directory the same layer created): those are skipped.
absl::Status Applier::FinishDirTimes() {
  for (auto it = dir_times_.rbegin(); it != dir_times_.rend(); ++it) {
    std::string shown = absl::StrJoin(it->parts, "/");
    absl::StatusOr<UniqueFd> parent = OpenParent(root_, it->parts, shown, /*create=*/false);
    if (!parent.ok()) continue;
    struct timespec times[2] = {it->mtime, it->mtime};
    if (::utimensat(parent->get(), it->parts.back().c_str(), times, AT_SYMLINK_NOFOLLOW) != 0 &&
        errno != ENOENT) {
      return ErrnoStatus("layer: utimensat", shown);
    }
  }
  return absl::OkStatus();
}

// The raw reader of the pipeline above, positioned at its single "entry".
absl::StatusOr<ReadArchive> OpenRaw(int fd) {
  ReadArchive raw(archive_read_new());
  archive_read_support_filter_all(raw.get());
  archive_read_support_format_raw(raw.get());
  archive_entry* e;
  if (archive_read_open_fd(raw.get(), fd, 1 << 16) != ARCHIVE_OK ||
      archive_read_next_header(raw.get(), &e) != ARCHIVE_OK) {
    return absl::InvalidArgumentError(absl::StrCat(
        "layer: open stream: ",
        archive_error_string(raw.get()) ? archive_error_string(raw.get()) : "empty or unreadable"));
  }
  return raw;
}

absl::Status EntryError(archive* tar, const RawSource& src, absl::string_view last) {
  return absl::DataLossError(
      absl::StrCat("layer: read entry after ", last.empty() ? "the start" : last, " at offset ",
                   src.hash.Size(), " of the uncompressed tar: ",
                   archive_error_string(tar) ? archive_error_string(tar) : "unknown error"));
}

}  // namespace

absl::StatusOr<ApplyResult> ApplyLayer(int layer_fd, const std::string& dir) {
  UniqueFd root(
      RetryEintr([&] { return ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); }));
  if (!root) return ErrnoStatus("open layer root", dir);
  ASSIGN_OR_RETURN(ReadArchive raw, OpenRaw(layer_fd));
  RawSource src{raw.get()};
  ReadArchive tar(archive_read_new());
  archive_read_support_format_tar(tar.get());
  if (archive_read_open(tar.get(), &src, nullptr, ReadFromRaw, nullptr) != ARCHIVE_OK) {
    return EntryError(tar.get(), src, "");
  }
  Applier applier(root.get(), tar.get());
  std::string last;
  for (;;) {
    archive_entry* e;
    int r = archive_read_next_header(tar.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r < ARCHIVE_WARN) return EntryError(tar.get(), src, last);
    last = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
    RETURN_IF_ERROR(applier.Entry(e));
  }
  RETURN_IF_ERROR(applier.FinishDirTimes());
  // Drain what the tar reader left (end-of-archive padding) into the hash.
  const void* unused;
  for (la_ssize_t n; (n = ReadFromRaw(tar.get(), &src, &unused)) != 0;) {
    if (n < 0) return absl::DataLossError(absl::StrCat("layer: after the last entry: ", src.error));
  }
  RETURN_IF_ERROR(CheckGzipTrailer(layer_fd, src));
  return ApplyResult{src.hash.Digest(), src.hash.Size()};
}

namespace {

struct WriteFree {
  void operator()(archive* a) const { archive_write_free(a); }
};
using WriteArchive = std::unique_ptr<archive, WriteFree>;
struct EntryFree {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using Entry = std::unique_ptr<archive_entry, EntryFree>;

struct Sink {
  int fd;
  Sha256 hash;
  int err = 0;
};

la_ssize_t WriteToSink(archive*, void* client, const void* buf, size_t size) {
  auto* sink = static_cast<Sink*>(client);
  const char* p = static_cast<const char*>(buf);
  for (size_t left = size; left > 0;) {
    ssize_t n = RetryEintr([&] { return ::write(sink->fd, p, left); });
    if (n < 0) {
      sink->err = errno;
      return -1;
    }
    p += n, left -= static_cast<size_t>(n);
  }
  sink->hash.Update(buf, size);
  return static_cast<la_ssize_t>(size);
}

// Walks an upper dir depth-first in name order and writes each entry.
class DiffWalker {
 public:
  explicit DiffWalker(archive* w) : w_(w) {}
  absl::Status Dir(int dirfd, const std::string& rel);

 private:
  absl::Status One(int dirfd, const std::string& name, const std::string& rel);
  absl::Status Put(archive_entry* e, int data_fd, const std::string& rel);
  void AddXattrs(archive_entry* e, int dirfd, const std::string& name, bool* opaque);

  archive* w_;
  std::map<std::pair<dev_t, ino_t>, std::string> links_;  // first path of each hardlinked inode
};

absl::Status DiffWalker::Dir(int dirfd, const std::string& rel) {
  int fd = ::dup(dirfd);
  std::unique_ptr<DIR, int (*)(DIR*)> d(fd < 0 ? nullptr : ::fdopendir(fd), ::closedir);
  if (!d) return ErrnoStatus("diff: opendir", rel.empty() ? "." : rel);
  std::vector<std::string> names;
  while (struct dirent* e = ::readdir(d.get())) {
    absl::string_view n = e->d_name;
    if (n != "." && n != "..") names.emplace_back(n);
  }
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) {
    RETURN_IF_ERROR(One(dirfd, n, rel.empty() ? n : absl::StrCat(rel, "/", n)));
  }
  return absl::OkStatus();
}

void DiffWalker::AddXattrs(archive_entry* e, int dirfd, const std::string& name, bool* opaque) {
  std::string path = ProcPath(dirfd, name);
  std::string names(4096, '\0');
  ssize_t len = ::llistxattr(path.c_str(), names.data(), names.size());
  for (ssize_t i = 0; len > 0 && i < len;) {
    std::string key = names.c_str() + i;
    i += static_cast<ssize_t>(key.size()) + 1;
    std::string value(65536, '\0');
    ssize_t vlen = ::lgetxattr(path.c_str(), key.c_str(), value.data(), value.size());
    if (vlen < 0) continue;
    value.resize(static_cast<size_t>(vlen));
    if (key == kOpaqueXattr) {
      *opaque = value == "y";
      continue;
    }
    if (absl::StartsWith(key, "trusted.overlay.")) continue;  // overlayfs' own bookkeeping
    archive_entry_xattr_add_entry(e, key.c_str(), value.data(), value.size());
  }
}

absl::Status DiffWalker::One(int dirfd, const std::string& name, const std::string& rel) {
  struct stat st;
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoStatus("diff: stat", rel);
  }
  Entry e(archive_entry_new());
  archive_entry_copy_stat(e.get(), &st);
  archive_entry_unset_atime(e.get());
  archive_entry_unset_ctime(e.get());
  archive_entry_unset_birthtime(e.get());
  archive_entry_set_nlink(e.get(), 1);
  std::string dir_part = rel.substr(0, rel.size() - name.size());  // "a/b/" or ""
  if (S_ISCHR(st.st_mode) && st.st_rdev == ::makedev(0, 0)) {      // overlay whiteout
    archive_entry_set_pathname(e.get(), absl::StrCat(dir_part, kWhiteoutPrefix, name).c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_rdev(e.get(), 0);
    archive_entry_set_size(e.get(), 0);
    return Put(e.get(), -1, rel);
  }
  archive_entry_set_pathname(e.get(), rel.c_str());
  if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
    auto [it, first] = links_.emplace(std::make_pair(st.st_dev, st.st_ino), rel);
    if (!first) {
      archive_entry_set_hardlink(e.get(), it->second.c_str());
      archive_entry_set_size(e.get(), 0);
      return Put(e.get(), -1, rel);
    }
  }
  bool opaque = false;
  AddXattrs(e.get(), dirfd, name, &opaque);
  if (S_ISLNK(st.st_mode)) {
    std::string target(PATH_MAX, '\0');
    ssize_t n = ::readlinkat(dirfd, name.c_str(), target.data(), target.size());
    if (n < 0) return ErrnoStatus("diff: readlink", rel);
    target.resize(static_cast<size_t>(n));
    archive_entry_set_symlink(e.get(), target.c_str());
    return Put(e.get(), -1, rel);
  }
  if (S_ISREG(st.st_mode)) {
    UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return ErrnoStatus("diff: open", rel);
    return Put(e.get(), fd.get(), rel);
  }
  if (!S_ISDIR(st.st_mode)) {
    archive_entry_set_size(e.get(), 0);
    return Put(e.get(), -1, rel);
  }
  RETURN_IF_ERROR(Put(e.get(), -1, rel));
  if (opaque) {
    Entry marker(archive_entry_new());
    archive_entry_set_pathname(marker.get(), absl::StrCat(rel, "/", kOpaqueMarker).c_str());
    archive_entry_set_filetype(marker.get(), AE_IFREG);
    archive_entry_set_perm(marker.get(), 0644);
    archive_entry_set_mtime(marker.get(), st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    RETURN_IF_ERROR(Put(marker.get(), -1, rel));
  }
  UniqueFd sub(::openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!sub) return ErrnoStatus("diff: open", rel);
  return Dir(sub.get(), rel);
}

absl::Status DiffWalker::Put(archive_entry* e, int data_fd, const std::string& rel) {
  if (archive_write_header(w_, e) < ARCHIVE_WARN) {
    return absl::InternalError(
        absl::StrCat("diff: write header for ", rel, ": ", archive_error_string(w_)));
  }
  if (data_fd < 0) return absl::OkStatus();
  std::string buf(1 << 16, '\0');
  for (;;) {
    ssize_t n = RetryEintr([&] { return ::read(data_fd, buf.data(), buf.size()); });
    if (n < 0) return ErrnoStatus("diff: read", rel);
    if (n == 0) return absl::OkStatus();
    if (archive_write_data(w_, buf.data(), static_cast<size_t>(n)) < 0) {
      return absl::InternalError(
          absl::StrCat("diff: write data of ", rel, ": ", archive_error_string(w_)));
    }
  }
}

}  // namespace

absl::StatusOr<ApplyResult> WriteDiff(const std::string& upper_dir, int out_fd) {
  UniqueFd root(::open(upper_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root) return ErrnoStatus("diff: open", upper_dir);
  Sink sink{out_fd};
  WriteArchive w(archive_write_new());
  archive_write_set_format_pax_restricted(w.get());
  archive_write_add_filter_none(w.get());
  archive_write_set_bytes_in_last_block(w.get(), 1);  // no padding past the end blocks
  if (archive_write_open(w.get(), &sink, nullptr, WriteToSink, nullptr) != ARCHIVE_OK) {
    return absl::InternalError(
        absl::StrCat("diff: open tar writer: ", archive_error_string(w.get())));
  }
  DiffWalker walker(w.get());
  absl::Status st = walker.Dir(root.get(), "");
  if (st.ok() && archive_write_close(w.get()) != ARCHIVE_OK) {
    st =
        sink.err
            ? ErrnoStatus(sink.err, "diff: write output")
            : absl::InternalError(absl::StrCat("diff: close tar: ", archive_error_string(w.get())));
  }
  if (!st.ok()) return Annotate(st, upper_dir);
  return ApplyResult{sink.hash.Digest(), sink.hash.Size()};
}

}  // namespace berth::manager
