#include "manager/content/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/status.h"

namespace berth::manager {
namespace {

// Feeds everything readable from fd (from its current offset) to hash.
absl::Status HashFd(int fd, Sha256& hash, absl::string_view path) {
  std::string buf(1 << 16, '\0');
  for (;;) {
    ssize_t n = RetryEintr([&] { return ::read(fd, buf.data(), buf.size()); });
    if (n < 0) return ErrnoStatus("read", path);
    if (n == 0) return absl::OkStatus();
    hash.Update(buf.data(), static_cast<size_t>(n));
  }
}

absl::Status FsyncDir(const std::string& dir) {
  UniqueFd fd(RetryEintr([&] { return ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); }));
  if (!fd) return ErrnoStatus("open", dir);
  if (::fsync(fd.get()) != 0) return ErrnoStatus("fsync", dir);
  return absl::OkStatus();
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

absl::Status RefLocked(absl::string_view ref) {
  return absl::FailedPreconditionError(absl::StrCat("ref ", ref, " locked"));
}

// Takes the ingest's lock without blocking. Ordering: the lock file may be
// unlinked (Abort, Commit) between our open and our flock; then the lock we
// got guards nothing, so we check that the path still names our inode and
// retry otherwise.
absl::StatusOr<UniqueFd> LockIngest(const std::string& dir, absl::string_view ref, bool create) {
  const std::string path = dir + "/lock";
  for (;;) {
    if (create) RETURN_IF_ERROR(MkdirAll(dir));
    UniqueFd fd(RetryEintr(
        [&] { return ::open(path.c_str(), O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0600); }));
    if (!fd && errno == ENOENT && create) continue;  // dir removed under us
    if (!fd) return ErrnoStatus("open", path);
    if (RetryEintr([&] { return ::flock(fd.get(), LOCK_EX | LOCK_NB); }) != 0) {
      if (errno == EWOULDBLOCK) return RefLocked(ref);
      return ErrnoStatus("flock", path);
    }
    struct stat held, now;
    if (::fstat(fd.get(), &held) != 0) return ErrnoStatus("fstat", path);
    if (::stat(path.c_str(), &now) == 0 && now.st_ino == held.st_ino && now.st_dev == held.st_dev) {
      return fd;
    }
    if (!create) return absl::NotFoundError(absl::StrCat("ingest ref ", ref, ": not found"));
  }
}

absl::StatusOr<IngestStatus> ReadIngest(const std::string& dir) {
  absl::StatusOr<std::string> meta = ReadFile(dir + "/meta.json");
  if (!meta.ok()) return meta.status();
  IngestStatus st;
  try {
    auto j = nlohmann::json::parse(*meta);
    st.ref = j.value("ref", "");
    st.expected = j.value("expected", "");
    st.total = j.value("total", int64_t{0});
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(absl::StrCat("parse ", dir, "/meta.json: ", e.what()));
  }
  struct stat sb;
  if (::stat((dir + "/data").c_str(), &sb) == 0) st.offset = sb.st_size;
  return st;
}

}  // namespace

absl::Status ContentNotFound(absl::string_view digest) {
  return absl::NotFoundError(absl::StrCat("content ", digest, ": not found"));
}

absl::StatusOr<std::unique_ptr<ContentStore>> ContentStore::Open(std::string root) {
  RETURN_IF_ERROR(MkdirAll(root + "/blobs/sha256"));
  RETURN_IF_ERROR(MkdirAll(root + "/ingest"));
  return std::unique_ptr<ContentStore>(new ContentStore(std::move(root)));
}

std::string ContentStore::BlobPath(absl::string_view digest) const {
  return absl::StrCat(root_, "/blobs/sha256/", DigestHex(digest));
}

// The ref is user text ("layer-sha256:..", "index-docker.io/x:y"); the
// directory is named by its sha256 so that any ref is a safe file name.
std::string ContentStore::IngestDir(absl::string_view ref) const {
  return absl::StrCat(root_, "/ingest/", DigestHex(Sha256Digest(ref)));
}

absl::StatusOr<BlobInfo> ContentStore::Info(absl::string_view digest) const {
  RETURN_IF_ERROR(ValidateDigest(digest));
  std::string path = BlobPath(digest);
  struct stat sb;
  if (::stat(path.c_str(), &sb) != 0) {
    if (errno == ENOENT) return ContentNotFound(digest);
    return ErrnoStatus("stat", path);
  }
  return BlobInfo{std::string(digest), sb.st_size,
                  int64_t{sb.st_mtim.tv_sec} * 1000000000 + sb.st_mtim.tv_nsec};
}

absl::StatusOr<UniqueFd> ContentStore::OpenBlob(absl::string_view digest) const {
  RETURN_IF_ERROR(ValidateDigest(digest));
  std::string path = BlobPath(digest);
  UniqueFd fd(RetryEintr([&] { return ::open(path.c_str(), O_RDONLY | O_CLOEXEC); }));
  if (!fd && errno == ENOENT) return ContentNotFound(digest);
  if (!fd) return ErrnoStatus("open", path);
  return fd;
}

absl::StatusOr<std::string> ContentStore::ReadAll(absl::string_view digest, int64_t max) const {
  ASSIGN_OR_RETURN(UniqueFd fd, OpenBlob(digest));
  struct stat sb;
  if (::fstat(fd.get(), &sb) != 0) return ErrnoStatus("fstat", BlobPath(digest));
  if (sb.st_size > max) {
    return absl::FailedPreconditionError(
        absl::StrCat("content ", digest, ": ", sb.st_size, " bytes is more than the limit ", max));
  }
  std::string out(static_cast<size_t>(sb.st_size), '\0');
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = RetryEintr([&] { return ::read(fd.get(), out.data() + got, out.size() - got); });
    if (n < 0) return ErrnoStatus("read", BlobPath(digest));
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  out.resize(got);
  std::string actual = Sha256Digest(out);
  if (actual != digest) {
    return absl::DataLossError(
        absl::StrCat("content ", digest, ": corrupt on disk, its bytes hash to ", actual));
  }
  return out;
}

absl::StatusOr<std::vector<BlobInfo>> ContentStore::List() const {
  std::string dir = root_ + "/blobs/sha256";
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (!d) return ErrnoStatus("opendir", dir);
  std::vector<BlobInfo> out;
  while (struct dirent* e = ::readdir(d.get())) {
    std::string digest = absl::StrCat(kSha256Prefix, e->d_name);
    if (!ValidateDigest(digest).ok()) continue;  // "." and "..", strays
    absl::StatusOr<BlobInfo> info = Info(digest);
    if (info.ok()) out.push_back(*std::move(info));  // else deleted meanwhile
  }
  return out;
}

absl::Status ContentStore::Delete(absl::string_view digest) {
  RETURN_IF_ERROR(ValidateDigest(digest));
  std::string path = BlobPath(digest);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return ContentNotFound(digest);
    return ErrnoStatus("unlink", path);
  }
  return absl::OkStatus();
}

absl::Status ContentStore::Publish(int fd, const std::string& tmp_path,
                                   absl::string_view digest) const {
  // Ordering: data reaches the disk before the name does, and the name
  // before we report success.
  if (::fchmod(fd, 0444) != 0) return ErrnoStatus("chmod", tmp_path);
  if (::fsync(fd) != 0) return ErrnoStatus("fsync", tmp_path);
  std::string path = BlobPath(digest);
  if (PathExists(path)) return absl::OkStatus();  // committed before: same bytes
  if (::rename(tmp_path.c_str(), path.c_str()) != 0) return ErrnoStatus("rename", tmp_path);
  return FsyncDir(root_ + "/blobs/sha256");
}

absl::StatusOr<std::string> ContentStore::WriteBlob(absl::string_view data,
                                                    absl::string_view expected) {
  std::string digest = Sha256Digest(data);
  if (!expected.empty()) {
    RETURN_IF_ERROR(ValidateDigest(expected));
    if (digest != expected) {
      return absl::FailedPreconditionError(
          absl::StrCat("unexpected commit digest ", digest, ", expected ", expected));
    }
  }
  if (PathExists(BlobPath(digest))) return digest;
  std::string tmp = root_ + "/ingest/tmp-XXXXXX";
  UniqueFd fd(::mkostemp(tmp.data(), O_CLOEXEC));
  if (!fd) return ErrnoStatus("mkstemp", tmp);
  absl::Status st = WriteAll(fd.get(), data, tmp);
  if (st.ok()) st = Publish(fd.get(), tmp, digest);
  ::unlink(tmp.c_str());  // ENOENT after a successful rename
  if (!st.ok()) return st;
  return digest;
}

absl::StatusOr<std::unique_ptr<ContentWriter>> ContentStore::Writer(
    absl::string_view ref, absl::string_view expected_digest, int64_t expected_size) {
  if (ref.empty()) return absl::InvalidArgumentError("content writer: empty ref");
  if (!expected_digest.empty()) RETURN_IF_ERROR(ValidateDigest(expected_digest));
  if (expected_size < 0) {
    return absl::InvalidArgumentError(absl::StrCat("ref ", ref, ": negative size"));
  }
  std::string dir = IngestDir(ref);
  ASSIGN_OR_RETURN(UniqueFd lock, LockIngest(dir, ref, /*create=*/true));
  // Under the lock: merge with what an earlier writer recorded.
  IngestStatus meta{std::string(ref), 0, expected_size, std::string(expected_digest)};
  if (absl::StatusOr<IngestStatus> old = ReadIngest(dir); old.ok()) {
    if (meta.expected.empty()) meta.expected = old->expected;
    if (meta.total == 0) meta.total = old->total;
  }
  nlohmann::json j = {{"ref", meta.ref},
                      {"expected", meta.expected},
                      {"total", meta.total},
                      {"started_at", NowNs()}};
  RETURN_IF_ERROR(WriteFileAtomic(dir + "/meta.json", j.dump()));
  std::string data_path = dir + "/data";
  UniqueFd data(RetryEintr(
      [&] { return ::open(data_path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644); }));
  if (!data) return ErrnoStatus("open", data_path);
  Sha256 hash;
  RETURN_IF_ERROR(HashFd(data.get(), hash, data_path));  // resume: re-hash once
  return std::unique_ptr<ContentWriter>(
      new ContentWriter(this, std::string(ref), std::move(dir), std::move(lock), std::move(data),
                        std::move(hash), std::move(meta.expected), meta.total));
}

absl::Status ContentStore::Abort(absl::string_view ref) {
  std::string dir = IngestDir(ref);
  absl::StatusOr<UniqueFd> lock = LockIngest(dir, ref, /*create=*/false);
  if (!lock.ok() && absl::IsNotFound(lock.status())) {
    return absl::NotFoundError(absl::StrCat("ingest ref ", ref, ": not found"));
  }
  if (!lock.ok()) return lock.status();
  return RemoveAll(dir);  // the lock file goes last with it; see LockIngest
}

absl::StatusOr<IngestStatus> ContentStore::Status(absl::string_view ref) const {
  absl::StatusOr<IngestStatus> st = ReadIngest(IngestDir(ref));
  if (absl::IsNotFound(st.status())) {
    return absl::NotFoundError(absl::StrCat("ingest ref ", ref, ": not found"));
  }
  return st;
}

absl::StatusOr<std::vector<IngestStatus>> ContentStore::ListIngests() const {
  std::string dir = root_ + "/ingest";
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), ::closedir);
  if (!d) return ErrnoStatus("opendir", dir);
  std::vector<IngestStatus> out;
  while (struct dirent* e = ::readdir(d.get())) {
    if (e->d_name[0] == '.' || absl::string_view(e->d_name).substr(0, 4) == "tmp-") continue;
    absl::StatusOr<IngestStatus> st = ReadIngest(absl::StrCat(dir, "/", e->d_name));
    if (st.ok()) out.push_back(*std::move(st));
  }
  return out;
}

ContentWriter::ContentWriter(const ContentStore* store, std::string ref, std::string dir,
                             UniqueFd lock, UniqueFd data, Sha256 hash, std::string expected,
                             int64_t total)
    : store_(store),
      ref_(std::move(ref)),
      dir_(std::move(dir)),
      lock_(std::move(lock)),
      data_(std::move(data)),
      hash_(std::move(hash)),
      expected_(std::move(expected)),
      total_(total) {}

absl::Status ContentWriter::Write(absl::string_view data) {
  if (!data_) return absl::FailedPreconditionError(absl::StrCat("ref ", ref_, ": writer closed"));
  absl::Status st = WriteAll(data_.get(), data, dir_ + "/data");
  if (!st.ok()) {
    // Keep the file equal to what was hashed, so that the ingest can resume.
    (void)::ftruncate(data_.get(), Offset());
    return Annotate(st, absl::StrCat("ref ", ref_));
  }
  hash_.Update(data);
  return absl::OkStatus();
}

absl::StatusOr<std::string> ContentWriter::Commit(int64_t size, absl::string_view expected) {
  if (!data_) return absl::FailedPreconditionError(absl::StrCat("ref ", ref_, ": writer closed"));
  std::string want = expected.empty() ? expected_ : std::string(expected);
  if (size == 0) size = total_;
  std::string digest = hash_.Digest();
  absl::Status st;
  if (!want.empty()) st = ValidateDigest(want);
  if (st.ok() && size > 0 && size != Offset()) {
    st = absl::FailedPreconditionError(
        absl::StrCat("unexpected commit size ", Offset(), ", expected ", size));
  }
  if (st.ok() && !want.empty() && digest != want) {
    st = absl::FailedPreconditionError(
        absl::StrCat("unexpected commit digest ", digest, ", expected ", want));
  }
  if (st.ok()) st = store_->Publish(data_.get(), dir_ + "/data", digest);
  // Ordering: remove the ingest (lock file included) before unlocking, so
  // that a waiting writer sees it gone (LockIngest's inode check).
  absl::Status rm = RemoveAll(dir_);
  data_.reset();
  lock_.reset();
  if (!st.ok()) return Annotate(st, absl::StrCat("commit ref ", ref_));
  if (!rm.ok()) return rm;
  return digest;
}

}  // namespace berth::manager
