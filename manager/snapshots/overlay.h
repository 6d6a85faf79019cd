// The overlayfs snapshotter (containerd's "overlayfs" snapshotter).
//
// A snapshot is a directory root/snapshots/<id>/ holding `fs` (the layer's
// files; the upperdir of an active snapshot) and, for active snapshots, `work`
// (overlayfs' workdir). Rows in root/metadata.db (its own SQLite DB, WAL)
// name each snapshot by an opaque key, link it to its parent by id, and keep
// its kind, labels, timestamps and (for committed ones) recorded usage.
//
//   Prepare(k, p)  -> active k (rw)       Commit(n, k) -> committed n (same dir)
//   View(k, p)     -> view k (ro)         Remove(k)    -> row, then dir
//
// Parents must be committed. Mounts follow containerd:
//   active, no parent    bind fs rw ("rw","rbind")
//   active, parents      overlay lowerdir=<parent fs>:<grandparent fs>...,
//                        upperdir=fs,workdir=work
//   view, no parent      bind own (empty) fs ro ("ro","rbind")
//   view, one parent     bind parent fs ro ("ro","rbind")
//   view, parents        overlay lowerdir=<parent fs>:... (read-only by nature)
// "index=off" is added only when the overlay module enables the index
// feature by default (/sys/module/overlay/parameters/index is "Y").
//
// mount(2) copies at most one page of option data: a chain whose options do
// not fit (about 60 layers under a typical root) is refused at Prepare/View
// with FailedPrecondition naming the layer count. (containerd instead mounts
// with relative lowerdirs from a chdir'ed child; not done here.)
//
// Crash safety: a new snapshot's dir is built under a temporary name and
// renamed into place inside the row's transaction, before COMMIT; Remove
// deletes the row first and the dir after. Either way a crash can leave only a
// directory without a row, and Open removes such orphans.
//
// Thread safe: every call holds the database's mutex for its metadata work;
// disk-usage walks run outside it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "manager/metadata/sqlite.h"
#include "manager/snapshots/mount.h"

namespace berth::manager {

enum class SnapshotKind { kView = 1, kActive = 2, kCommitted = 3 };

struct SnapshotInfo {
  std::string name;
  std::string parent;  // empty when none
  SnapshotKind kind;
  std::map<std::string, std::string> labels;
  int64_t created_at_ns = 0;
  int64_t updated_at_ns = 0;
};

struct SnapshotUsage {
  int64_t size = 0;    // bytes allocated (st_blocks * 512), hard links once
  int64_t inodes = 0;  // distinct inodes, the fs dir included
};

class OverlaySnapshotter {
 public:
  using Labels = std::map<std::string, std::string>;

  // Opens (creating) root/metadata.db and root/snapshots/, then removes every
  // entry of root/snapshots/ that has no row (crash leftovers). root must not
  // contain ',' or ':' (they would break overlay's option syntax).
  static absl::StatusOr<std::unique_ptr<OverlaySnapshotter>> Open(const std::string& root);

  // Creates active snapshot `key` on top of committed `parent` ("" for none)
  // and returns how to mount it. NotFound if parent is missing,
  // FailedPrecondition if it is not committed, AlreadyExists if key exists.
  absl::StatusOr<std::vector<MountSpec>> Prepare(const std::string& key, const std::string& parent,
                                                 const Labels& labels);
  // As Prepare, but a read-only view (no work dir; cannot be committed).
  absl::StatusOr<std::vector<MountSpec>> View(const std::string& key, const std::string& parent,
                                              const Labels& labels);
  // The mounts of an active snapshot or view. FailedPrecondition for a
  // committed one (mount it through a View).
  absl::StatusOr<std::vector<MountSpec>> Mounts(const std::string& key) const;

  // Turns active `key` into committed `name` (same id and dir), recording its
  // usage and replacing its labels. The caller must have unmounted it.
  // NotFound, AlreadyExists (name), FailedPrecondition (key not active).
  absl::Status Commit(const std::string& name, const std::string& key, const Labels& labels);

  // Deletes the row, then the dir. FailedPrecondition "snapshot K has
  // children" while any snapshot names it as parent. The caller must have
  // unmounted it; a dir that cannot be removed is left for the next Open.
  absl::Status Remove(const std::string& key);

  absl::StatusOr<SnapshotInfo> Stat(const std::string& key) const;
  // Every snapshot, ordered by key.
  absl::StatusOr<std::vector<SnapshotInfo>> List() const;
  // Committed: as recorded at Commit. Active or view: a walk of fs now.
  absl::StatusOr<SnapshotUsage> Usage(const std::string& key) const;
  // The fs dir of an active snapshot (unpack writes there, diff reads it).
  absl::StatusOr<std::string> UpperDir(const std::string& key) const;
  // Replaces the labels of `key` and bumps updated_at.
  absl::Status UpdateLabels(const std::string& key, const Labels& labels);

 private:
  struct Row;
  OverlaySnapshotter(std::string root, std::unique_ptr<Database> db, bool index_off);

  absl::StatusOr<std::vector<MountSpec>> Create(SnapshotKind kind, const std::string& key,
                                                const std::string& parent, const Labels& labels);
  absl::StatusOr<int64_t> InsertRow(SnapshotKind kind, const std::string& key,
                                    const std::string& parent, const Labels& labels);
  absl::StatusOr<Row> GetRow(const std::string& key) const;
  // GetRow, FailedPrecondition "snapshot K is committed, not active" unless active.
  absl::StatusOr<Row> GetActiveRow(const std::string& key) const;
  absl::StatusOr<std::vector<int64_t>> ParentIds(int64_t parent_id) const;
  absl::StatusOr<std::vector<MountSpec>> MountsFor(const Row& row) const;
  absl::Status CleanOrphans();
  std::string Dir(int64_t id) const;
  std::string FsDir(int64_t id) const { return Dir(id) + "/fs"; }

  const std::string root_;
  std::unique_ptr<Database> db_;
  const bool index_off_;
};

// Disk usage of the tree at path, as du: st_blocks * 512 per distinct inode.
absl::StatusOr<SnapshotUsage> DiskUsage(const std::string& path);

}  // namespace berth::manager
