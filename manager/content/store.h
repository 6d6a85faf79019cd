// The content store: a content-addressed blob store on disk, containerd's
// content store in shape.
//
//   <root>/blobs/sha256/<hex>        published blobs, read-only, immutable
//   <root>/ingest/<sha256(ref)>/     one resumable ingest per ref:
//        lock                        flock'd by the one live writer
//        data                        the bytes written so far
//        meta.json                   {"ref", "expected", "total", "started_at"}
//   <root>/ingest/tmp-XXXXXX         WriteBlob's anonymous temporaries
//
// A blob becomes visible only after its bytes are verified, fsync'd and
// renamed into blobs/ (atomic); a crash leaves at most an ingest behind.
// Every method is safe to call from several threads at once: the store keeps
// no mutable state in memory, and writers on one ref exclude each other with
// flock (which also covers other processes).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/unique_fd.h"
#include "manager/content/digest.h"

namespace berth::manager {

struct BlobInfo {
  std::string digest;
  int64_t size = 0;
  int64_t created_at_ns = 0;  // the blob file's mtime
};

struct IngestStatus {
  std::string ref;
  int64_t offset = 0;    // bytes written so far
  int64_t total = 0;     // expected size, 0 if unknown
  std::string expected;  // expected digest, may be empty
};

class ContentStore;

// Appends to one ingest while holding its lock. Destroying a writer without
// Commit keeps the ingest for a later writer to resume (see Offset()).
// One writer is used by one thread at a time.
class ContentWriter {
 public:
  ~ContentWriter() = default;
  ContentWriter(const ContentWriter&) = delete;
  ContentWriter& operator=(const ContentWriter&) = delete;

  // Bytes in the ingest so far; a resumed writer starts here.
  int64_t Offset() const { return hash_.Size(); }
  absl::Status Write(absl::string_view data);
  // Verifies the data against size (0: the writer's expected total, if any)
  // and expected (empty: the writer's expected digest, if any), then
  // publishes it. On a mismatch the ingest is removed and FailedPrecondition
  // "unexpected commit digest sha256:X, expected sha256:Y" (or "... size")
  // is returned. Committing a blob that already exists is OK. The writer is
  // spent afterwards, whatever the outcome.
  absl::StatusOr<std::string> Commit(int64_t size, absl::string_view expected);

 private:
  friend class ContentStore;
  ContentWriter(const ContentStore* store, std::string ref, std::string dir, UniqueFd lock,
                UniqueFd data, Sha256 hash, std::string expected, int64_t total);

  const ContentStore* store_;
  std::string ref_;
  std::string dir_;
  UniqueFd lock_;
  UniqueFd data_;
  Sha256 hash_;
  std::string expected_;
  int64_t total_;
};

class ContentStore {
 public:
  // Creates root/blobs/sha256 and root/ingest if missing.
  static absl::StatusOr<std::unique_ptr<ContentStore>> Open(std::string root);

  const std::string& root() const { return root_; }
  // root/blobs/sha256/<hex>; digest must be valid (not checked here).
  std::string BlobPath(absl::string_view digest) const;

  // NotFound "content sha256:...: not found"; InvalidArgument for a
  // malformed digest (as every method taking a digest).
  absl::StatusOr<BlobInfo> Info(absl::string_view digest) const;
  // The whole blob, verified against its digest (DataLoss if it does not
  // match); FailedPrecondition if it is larger than max.
  absl::StatusOr<std::string> ReadAll(absl::string_view digest, int64_t max = 16 << 20) const;
  // A read-only fd on the blob (not verified: callers hashing the stream
  // anyway, like ApplyLayer, should compare).
  absl::StatusOr<UniqueFd> OpenBlob(absl::string_view digest) const;
  absl::StatusOr<std::vector<BlobInfo>> List() const;
  // NotFound if absent. Readers holding the blob open keep their bytes.
  absl::Status Delete(absl::string_view digest);

  // Opens (or resumes) the ingest named ref. A resumed ingest's data is
  // re-hashed once here. Non-empty expected_digest / non-zero expected_size
  // replace those recorded by an earlier writer. FailedPrecondition "ref X
  // locked" while another writer (any thread or process) holds it.
  absl::StatusOr<std::unique_ptr<ContentWriter>> Writer(absl::string_view ref,
                                                        absl::string_view expected_digest,
                                                        int64_t expected_size);
  // Removes the ingest; NotFound if there is none, FailedPrecondition if it
  // is locked by a writer.
  absl::Status Abort(absl::string_view ref);
  absl::StatusOr<IngestStatus> Status(absl::string_view ref) const;
  // Every ingest in progress (or left behind by a crash).
  absl::StatusOr<std::vector<IngestStatus>> ListIngests() const;

  // Writes data as a blob in one go (verified against expected if given)
  // and returns its digest. An existing blob is left as it is.
  absl::StatusOr<std::string> WriteBlob(absl::string_view data, absl::string_view expected = "");

 private:
  friend class ContentWriter;
  explicit ContentStore(std::string root) : root_(std::move(root)) {}
  std::string IngestDir(absl::string_view ref) const;
  // fsync'd fd's file renamed to the blob path, then the directory fsync'd.
  absl::Status Publish(int fd, const std::string& tmp_path, absl::string_view digest) const;

  std::string root_;
};

// "content sha256:...: not found".
absl::Status ContentNotFound(absl::string_view digest);

}  // namespace berth::manager
