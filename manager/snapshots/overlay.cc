#include "manager/snapshots/overlay.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/file_util.h"
#include "common/status.h"

namespace berth::manager {

struct OverlaySnapshotter::Row {
  int64_t id = 0;
  std::string key;
  int64_t parent_id = 0;  // 0: none
  std::string parent_key;
  SnapshotKind kind = SnapshotKind::kActive;
  Labels labels;
  int64_t created_at_ns = 0;
  int64_t updated_at_ns = 0;
  int64_t size = 0;
  int64_t inodes = 0;
};

namespace {

constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS snapshots (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  key           TEXT NOT NULL UNIQUE,
  parent_id     INTEGER REFERENCES snapshots(id),
  kind          INTEGER NOT NULL,
  labels        TEXT NOT NULL DEFAULT '{}',
  created_at_ns INTEGER NOT NULL,
  updated_at_ns INTEGER NOT NULL,
  size          INTEGER NOT NULL DEFAULT 0,
  inodes        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS snapshots_parent ON snapshots(parent_id);
)sql";

constexpr char kSelectRow[] =
    "SELECT s.id, s.key, s.parent_id, p.key, s.kind, s.labels, s.created_at_ns, "
    "s.updated_at_ns, s.size, s.inodes FROM snapshots s "
    "LEFT JOIN snapshots p ON p.id = s.parent_id";

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const char* KindName(SnapshotKind kind) {
  switch (kind) {
    case SnapshotKind::kView:
      return "a view";
    case SnapshotKind::kActive:
      return "active";
    case SnapshotKind::kCommitted:
      return "committed";
  }
  return "unknown";
}

absl::Status NotFound(absl::string_view key) {
  return absl::NotFoundError(absl::StrCat("snapshot ", key, ": not found"));
}

std::string EncodeLabels(const std::map<std::string, std::string>& labels) {
  return nlohmann::json(labels).dump();
}

std::map<std::string, std::string> DecodeLabels(const std::string& text) {
  try {
    return nlohmann::json::parse(text).get<std::map<std::string, std::string>>();
  } catch (const nlohmann::json::exception&) {
    return {};  // only this class writes the column; a bad value is dropped
  }
}

// The overlay module enables its inode index by default on some kernels; a
// lower layer shared by several mounts then needs "index=off".
bool OverlayIndexOnByDefault() {
  absl::StatusOr<std::string> v = ReadFile("/sys/module/overlay/parameters/index");
  return v.ok() && absl::StartsWith(*v, "Y");
}

// Makes root/snapshots/new-XXXXXX/{fs[,work]} for a snapshot being created.
absl::StatusOr<std::string> MakeTempSnapshotDir(const std::string& snapshots_dir, bool work) {
  std::string tmpl = snapshots_dir + "/new-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) return ErrnoStatus("mkdtemp", tmpl);
  if (::chmod(tmpl.c_str(), 0700) != 0 || ::mkdir((tmpl + "/fs").c_str(), 0755) != 0 ||
      (work && ::mkdir((tmpl + "/work").c_str(), 0700) != 0)) {
    absl::Status st = ErrnoStatus("create snapshot dir", tmpl);
    (void)RemoveAll(tmpl);
    return st;
  }
  return tmpl;
}

}  // namespace

OverlaySnapshotter::OverlaySnapshotter(std::string root, std::unique_ptr<Database> db,
                                       bool index_off)
    : root_(std::move(root)), db_(std::move(db)), index_off_(index_off) {}

std::string OverlaySnapshotter::Dir(int64_t id) const {
  return absl::StrCat(root_, "/snapshots/", id);
}

absl::StatusOr<std::unique_ptr<OverlaySnapshotter>> OverlaySnapshotter::Open(
    const std::string& root) {
  if (root.empty() || root.find_first_of(",:") != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("snapshotter root ", root, ": must be non-empty without ',' or ':'"));
  }
  RETURN_IF_ERROR(MkdirAll(root + "/snapshots", 0700));
  ASSIGN_OR_RETURN(std::unique_ptr<Database> db, Database::Open(root + "/metadata.db"));
  RETURN_IF_ERROR(Annotate(db->Exec(kSchema), root + "/metadata.db"));
  std::unique_ptr<OverlaySnapshotter> s(
      new OverlaySnapshotter(root, std::move(db), OverlayIndexOnByDefault()));
  RETURN_IF_ERROR(s->CleanOrphans());
  return s;
}

absl::Status OverlaySnapshotter::CleanOrphans() {
  std::lock_guard<std::recursive_mutex> lock(db_->mu());
  std::set<std::string> known;
  ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("SELECT id FROM snapshots"));
  for (;;) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    known.insert(absl::StrCat(stmt.Int(0)));
  }
  std::string dir = root_ + "/snapshots";
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename();
    if (known.count(name) != 0) continue;
    RETURN_IF_ERROR(Annotate(RemoveAll(entry.path()), "remove orphan snapshot dir"));
  }
  if (ec) return ErrnoStatus(ec.value(), "list", dir);
  return absl::OkStatus();
}

absl::StatusOr<OverlaySnapshotter::Row> OverlaySnapshotter::GetRow(const std::string& key) const {
  ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(absl::StrCat(kSelectRow, " WHERE s.key = ?")));
  stmt.Bind(1, key);
  ASSIGN_OR_RETURN(bool found, stmt.Step());
  if (!found) return NotFound(key);
  Row r;
  r.id = stmt.Int(0);
  r.key = stmt.Text(1);
  r.parent_id = stmt.IsNull(2) ? 0 : stmt.Int(2);
  r.parent_key = stmt.Text(3);
  r.kind = static_cast<SnapshotKind>(stmt.Int(4));
  r.labels = DecodeLabels(stmt.Text(5));
  r.created_at_ns = stmt.Int(6);
  r.updated_at_ns = stmt.Int(7);
  r.size = stmt.Int(8);
  r.inodes = stmt.Int(9);
  return r;
}

// Ids of parent_id and its ancestors, nearest first.
absl::StatusOr<std::vector<int64_t>> OverlaySnapshotter::ParentIds(int64_t parent_id) const {
  std::vector<int64_t> ids;
  ASSIGN_OR_RETURN(Statement stmt,
                   db_->Prepare("WITH RECURSIVE chain(id, parent_id, depth) AS ("
                                " SELECT id, parent_id, 0 FROM snapshots WHERE id = ?"
                                " UNION ALL SELECT s.id, s.parent_id, c.depth + 1"
                                " FROM snapshots s JOIN chain c ON s.id = c.parent_id)"
                                " SELECT id FROM chain ORDER BY depth"));
  stmt.Bind(1, parent_id);
  for (;;) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    ids.push_back(stmt.Int(0));
  }
  return ids;
}

absl::StatusOr<std::vector<MountSpec>> OverlaySnapshotter::MountsFor(const Row& row) const {
  if (row.kind == SnapshotKind::kCommitted) {
    return absl::FailedPreconditionError(
        absl::StrCat("snapshot ", row.key, " is committed; mount it through a view"));
  }
  std::vector<int64_t> parents;
  if (row.parent_id != 0) {
    ASSIGN_OR_RETURN(parents, ParentIds(row.parent_id));
  }
  bool active = row.kind == SnapshotKind::kActive;
  if (parents.empty() || (!active && parents.size() == 1)) {
    int64_t id = parents.empty() ? row.id : parents[0];
    return std::vector<MountSpec>{{"bind", FsDir(id), {active ? "rw" : "ro", "rbind"}}};
  }
  std::vector<std::string> lowers;
  lowers.reserve(parents.size());
  for (int64_t id : parents) lowers.push_back(FsDir(id));
  std::vector<std::string> options;
  if (index_off_) options.push_back("index=off");
  if (active) {
    options.push_back("workdir=" + Dir(row.id) + "/work");
    options.push_back("upperdir=" + FsDir(row.id));
  }
  options.push_back("lowerdir=" + absl::StrJoin(lowers, ":"));
  if (absl::Status fits = FitOverlayData(absl::StrJoin(options, ",")).status(); !fits.ok()) {
    return Annotate(fits, absl::StrCat("snapshot ", row.key, " (", parents.size(), " layers)"));
  }
  return std::vector<MountSpec>{{"overlay", "overlay", std::move(options)}};
}

// Checks parent and key and inserts the row; the caller holds a transaction.
absl::StatusOr<int64_t> OverlaySnapshotter::InsertRow(SnapshotKind kind, const std::string& key,
                                                      const std::string& parent,
                                                      const Labels& labels) {
  int64_t parent_id = 0;
  if (!parent.empty()) {
    ASSIGN_OR_RETURN(Row p, GetRow(parent));
    if (p.kind != SnapshotKind::kCommitted) {
      return absl::FailedPreconditionError(
          absl::StrCat("parent ", parent, " is not committed (it is ", KindName(p.kind), ")"));
    }
    parent_id = p.id;
  }
  if (absl::StatusOr<Row> existing = GetRow(key); existing.ok()) {
    return absl::AlreadyExistsError(absl::StrCat("snapshot ", key, ": already exists"));
  } else if (!absl::IsNotFound(existing.status())) {
    return existing.status();
  }
  ASSIGN_OR_RETURN(Statement ins,
                   db_->Prepare("INSERT INTO snapshots (key, parent_id, kind, labels, "
                                "created_at_ns, updated_at_ns) VALUES (?, ?, ?, ?, ?, ?)"));
  int64_t now = NowNs();
  ins.Bind(1, key);
  if (parent_id != 0) {
    ins.Bind(2, parent_id);
  } else {
    ins.BindNull(2);
  }
  ins.Bind(3, static_cast<int64_t>(kind)).Bind(4, EncodeLabels(labels)).Bind(5, now).Bind(6, now);
  RETURN_IF_ERROR(Annotate(ins.Run(), absl::StrCat("insert snapshot ", key)));
  return sqlite3_last_insert_rowid(db_->raw());
}

// Order: temp dir -> BEGIN -> row -> mounts computed -> rename dir into place
// -> COMMIT. A failure before COMMIT removes the dir; a crash leaves only a
// dir without a row, which Open removes.
absl::StatusOr<std::vector<MountSpec>> OverlaySnapshotter::Create(SnapshotKind kind,
                                                                  const std::string& key,
                                                                  const std::string& parent,
                                                                  const Labels& labels) {
  ASSIGN_OR_RETURN(std::string tmp,
                   MakeTempSnapshotDir(root_ + "/snapshots", kind == SnapshotKind::kActive));
  std::string dir = tmp;
  absl::Cleanup remove_dir = [&dir] { (void)RemoveAll(dir); };
  ASSIGN_OR_RETURN(std::unique_ptr<Transaction> tx, Transaction::Begin(*db_));
  ASSIGN_OR_RETURN(int64_t id, InsertRow(kind, key, parent, labels));
  ASSIGN_OR_RETURN(Row row, GetRow(key));
  ASSIGN_OR_RETURN(std::vector<MountSpec> mounts, MountsFor(row));
  if (::rename(tmp.c_str(), Dir(id).c_str()) != 0) {
    return ErrnoStatus(absl::StrCat("rename ", tmp, " to"), Dir(id));
  }
  dir = Dir(id);
  RETURN_IF_ERROR(Annotate(tx->Commit(), absl::StrCat("create snapshot ", key)));
  std::move(remove_dir).Cancel();
  return mounts;
}

absl::StatusOr<std::vector<MountSpec>> OverlaySnapshotter::Prepare(const std::string& key,
                                                                   const std::string& parent,
                                                                   const Labels& labels) {
  return Create(SnapshotKind::kActive, key, parent, labels);
}

absl::StatusOr<std::vector<MountSpec>> OverlaySnapshotter::View(const std::string& key,
                                                                const std::string& parent,
                                                                const Labels& labels) {
  return Create(SnapshotKind::kView, key, parent, labels);
}

absl::StatusOr<std::vector<MountSpec>> OverlaySnapshotter::Mounts(const std::string& key) const {
  std::lock_guard<std::recursive_mutex> lock(db_->mu());
  ASSIGN_OR_RETURN(Row row, GetRow(key));
  return MountsFor(row);
}

absl::StatusOr<OverlaySnapshotter::Row> OverlaySnapshotter::GetActiveRow(
    const std::string& key) const {
  ASSIGN_OR_RETURN(Row row, GetRow(key));
  if (row.kind != SnapshotKind::kActive) {
    return absl::FailedPreconditionError(
        absl::StrCat("snapshot ", key, " is ", KindName(row.kind), ", not active"));
  }
  return row;
}

// Usage is measured before the transaction (a walk may be slow); the row is
// re-read inside it so a concurrent Commit or Remove of `key` is noticed.
absl::Status OverlaySnapshotter::Commit(const std::string& name, const std::string& key,
                                        const Labels& labels) {
  int64_t id = 0;
  {
    std::lock_guard<std::recursive_mutex> lock(db_->mu());
    ASSIGN_OR_RETURN(Row row, GetActiveRow(key));
    id = row.id;
  }
  ASSIGN_OR_RETURN(SnapshotUsage usage, DiskUsage(FsDir(id)));
  std::string what = absl::StrCat("commit snapshot ", key, " as ", name);
  ASSIGN_OR_RETURN(std::unique_ptr<Transaction> tx, Transaction::Begin(*db_));
  ASSIGN_OR_RETURN(Row row, GetActiveRow(key));
  if (row.id != id) return NotFound(key);  // removed and re-created meanwhile
  if (name != key && GetRow(name).ok()) {
    return absl::AlreadyExistsError(absl::StrCat("snapshot ", name, ": already exists"));
  }
  ASSIGN_OR_RETURN(Statement up, db_->Prepare("UPDATE snapshots SET key = ?, kind = ?, "
                                              "labels = ?, updated_at_ns = ?, size = ?, "
                                              "inodes = ? WHERE id = ?"));
  up.Bind(1, name).Bind(2, static_cast<int64_t>(SnapshotKind::kCommitted));
  up.Bind(3, EncodeLabels(labels)).Bind(4, NowNs()).Bind(5, usage.size);
  up.Bind(6, usage.inodes).Bind(7, id);
  RETURN_IF_ERROR(Annotate(up.Run(), what));
  return Annotate(tx->Commit(), what);
}

absl::Status OverlaySnapshotter::Remove(const std::string& key) {
  int64_t id = 0;
  {
    ASSIGN_OR_RETURN(std::unique_ptr<Transaction> tx, Transaction::Begin(*db_));
    ASSIGN_OR_RETURN(Row row, GetRow(key));
    ASSIGN_OR_RETURN(Statement kids,
                     db_->Prepare("SELECT COUNT(*) FROM snapshots WHERE parent_id = ?"));
    kids.Bind(1, row.id);
    ASSIGN_OR_RETURN(bool has_row, kids.Step());
    if (has_row && kids.Int(0) > 0) {
      return absl::FailedPreconditionError(absl::StrCat("snapshot ", key, " has children"));
    }
    ASSIGN_OR_RETURN(Statement del, db_->Prepare("DELETE FROM snapshots WHERE id = ?"));
    del.Bind(1, row.id);
    RETURN_IF_ERROR(Annotate(del.Run(), absl::StrCat("remove snapshot ", key)));
    RETURN_IF_ERROR(Annotate(tx->Commit(), absl::StrCat("remove snapshot ", key)));
    id = row.id;
  }
  // The row is gone, so the snapshot is; a dir left behind (e.g. a mount still
  // inside it) is an orphan the next Open removes.
  (void)RemoveAll(Dir(id));
  return absl::OkStatus();
}

absl::StatusOr<SnapshotInfo> OverlaySnapshotter::Stat(const std::string& key) const {
  std::lock_guard<std::recursive_mutex> lock(db_->mu());
  ASSIGN_OR_RETURN(Row r, GetRow(key));
  return SnapshotInfo{r.key, r.parent_key, r.kind, r.labels, r.created_at_ns, r.updated_at_ns};
}

absl::StatusOr<std::vector<SnapshotInfo>> OverlaySnapshotter::List() const {
  std::lock_guard<std::recursive_mutex> lock(db_->mu());
  ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(absl::StrCat(kSelectRow, " ORDER BY s.key")));
  std::vector<SnapshotInfo> out;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) break;
    out.push_back(SnapshotInfo{stmt.Text(1), stmt.Text(3), static_cast<SnapshotKind>(stmt.Int(4)),
                               DecodeLabels(stmt.Text(5)), stmt.Int(6), stmt.Int(7)});
  }
  return out;
}

absl::StatusOr<SnapshotUsage> OverlaySnapshotter::Usage(const std::string& key) const {
  Row row;
  {
    std::lock_guard<std::recursive_mutex> lock(db_->mu());
    ASSIGN_OR_RETURN(row, GetRow(key));
  }
  if (row.kind == SnapshotKind::kCommitted) return SnapshotUsage{row.size, row.inodes};
  return DiskUsage(FsDir(row.id));
}

absl::StatusOr<std::string> OverlaySnapshotter::UpperDir(const std::string& key) const {
  std::lock_guard<std::recursive_mutex> lock(db_->mu());
  ASSIGN_OR_RETURN(Row row, GetActiveRow(key));
  return FsDir(row.id);
}

absl::Status OverlaySnapshotter::UpdateLabels(const std::string& key, const Labels& labels) {
  std::lock_guard<std::recursive_mutex> lock(db_->mu());
  ASSIGN_OR_RETURN(Row row, GetRow(key));
  ASSIGN_OR_RETURN(Statement up,
                   db_->Prepare("UPDATE snapshots SET labels = ?, updated_at_ns = ? WHERE id = ?"));
  up.Bind(1, EncodeLabels(labels)).Bind(2, NowNs()).Bind(3, row.id);
  return Annotate(up.Run(), absl::StrCat("update labels of snapshot ", key));
}

absl::StatusOr<SnapshotUsage> DiskUsage(const std::string& path) {
  SnapshotUsage usage;
  std::set<std::pair<dev_t, ino_t>> seen;
  auto add = [&](const std::string& p) -> absl::Status {
    struct stat st;
    if (::lstat(p.c_str(), &st) != 0) return ErrnoStatus("lstat", p);
    if (!seen.insert({st.st_dev, st.st_ino}).second) return absl::OkStatus();
    usage.size += static_cast<int64_t>(st.st_blocks) * 512;
    usage.inodes++;
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(add(path));
  std::error_code ec;
  std::filesystem::recursive_directory_iterator it(path, ec), end;
  for (; !ec && it != end; it.increment(ec)) RETURN_IF_ERROR(add(it->path()));
  if (ec) return ErrnoStatus(ec.value(), "walk", path);
  return usage;
}

}  // namespace berth::manager
