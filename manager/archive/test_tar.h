// Test helpers: build tar streams in memory with libarchive's writer, and
// temporary directories under /tmp. For *_test.cc only.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include "common/file_util.h"
#include "common/unique_fd.h"

namespace berth::manager::testing {

struct TarEntry {
  std::string path;
  unsigned type = AE_IFREG;  // AE_IFREG, AE_IFDIR, AE_IFLNK, AE_IFCHR, AE_IFBLK, AE_IFIFO
  std::string data;
  std::string symlink;   // for AE_IFLNK
  std::string hardlink;  // non-empty: a hardlink to this archive path
  int perm = 0644;
  int uid = 0, gid = 0;
  int64_t mtime = 1700000000;
  int rdev_major = 0, rdev_minor = 0;
  std::vector<std::pair<std::string, std::string>> xattrs;
};

enum class Compression { kNone, kGzip, kZstd };

inline la_ssize_t AppendToString(archive*, void* client, const void* buf, size_t n) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

inline std::string MakeTar(const std::vector<TarEntry>& entries,
                           Compression c = Compression::kNone) {
  std::string out;
  archive* w = archive_write_new();
  archive_write_set_format_pax_restricted(w);
  if (c == Compression::kGzip) archive_write_add_filter_gzip(w);
  if (c == Compression::kZstd) archive_write_add_filter_zstd(w);
  // No padding to 10 KiB blocks: libarchive pads the compressed stream,
  // which would leave zeros after the gzip/zstd frame.
  archive_write_set_bytes_in_last_block(w, 1);
  archive_write_open(w, &out, nullptr, AppendToString, nullptr);
  for (const TarEntry& t : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, t.path.c_str());
    archive_entry_set_filetype(e, t.type);
    archive_entry_set_perm(e, t.perm);
    archive_entry_set_uid(e, t.uid);
    archive_entry_set_gid(e, t.gid);
    archive_entry_set_mtime(e, t.mtime, 0);
    archive_entry_set_rdevmajor(e, t.rdev_major);
    archive_entry_set_rdevminor(e, t.rdev_minor);
    if (!t.symlink.empty()) archive_entry_set_symlink(e, t.symlink.c_str());
    if (!t.hardlink.empty()) archive_entry_set_hardlink(e, t.hardlink.c_str());
    for (const auto& [k, v] : t.xattrs)
      archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
    bool has_data = t.type == AE_IFREG && t.hardlink.empty();
    archive_entry_set_size(e, has_data ? static_cast<la_int64_t>(t.data.size()) : 0);
    archive_write_header(w, e);
    if (has_data) archive_write_data(w, t.data.data(), t.data.size());
    archive_entry_free(e);
  }
  archive_write_close(w);
  archive_write_free(w);
  return out;
}

// An fd (memfd) holding data, positioned at 0.
inline UniqueFd FdWith(const std::string& data) {
  UniqueFd fd(::memfd_create("berth-test", MFD_CLOEXEC));
  size_t off = 0;
  while (off < data.size())
    off += static_cast<size_t>(::write(fd.get(), data.data() + off, data.size() - off));
  ::lseek(fd.get(), 0, SEEK_SET);
  return fd;
}

inline std::string ReadFd(int fd) {
  ::lseek(fd, 0, SEEK_SET);
  std::string out, buf(65536, '\0');
  for (ssize_t n; (n = ::read(fd, buf.data(), buf.size())) > 0;) out.append(buf.data(), n);
  return out;
}

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/berth-archive-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { (void)RemoveAll(path); }
  std::string Sub(const std::string& name) const {
    std::string p = path + "/" + name;
    (void)MkdirAll(p);
    return p;
  }
  std::string path;
};

}  // namespace berth::manager::testing
