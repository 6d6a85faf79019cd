#include "manager/metadata/store.h"

#include <time.h>

#include "absl/strings/str_cat.h"
#include "common/status.h"

namespace berth::manager {
namespace {

// One table per record kind, keyed by (namespace, name). Schema changes bump
// user_version.
constexpr char kSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS namespaces(name TEXT PRIMARY KEY, record BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS images(ns TEXT NOT NULL, key TEXT NOT NULL, record BLOB NOT NULL,
                                  PRIMARY KEY(ns, key));
CREATE TABLE IF NOT EXISTS containers(ns TEXT NOT NULL, key TEXT NOT NULL, record BLOB NOT NULL,
                                      PRIMARY KEY(ns, key));
CREATE TABLE IF NOT EXISTS content(ns TEXT NOT NULL, digest TEXT NOT NULL, size INTEGER,
                                   PRIMARY KEY(ns, digest));
PRAGMA user_version = 1;
)sql";

}  // namespace

int64_t NowNanos() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

absl::StatusOr<std::unique_ptr<MetadataStore>> MetadataStore::Open(const std::string& path) {
  ASSIGN_OR_RETURN(std::unique_ptr<Database> db, Database::Open(path));
  RETURN_IF_ERROR(Annotate(db->Exec(kSchema), "create schema in " + path));
  return std::unique_ptr<MetadataStore>(new MetadataStore(std::move(db)));
}

absl::Status MetadataStore::EnsureNamespace(const std::string& ns) {
  std::lock_guard<std::recursive_mutex> lock(db_->mu());
  v1::Namespace n;
  n.set_name(ns);
  ASSIGN_OR_RETURN(Statement st,
                   db_->Prepare("INSERT OR IGNORE INTO namespaces(name, record) VALUES(?, ?)"));
  return st.Bind(1, ns).BindBlob(2, n.SerializeAsString()).Run();
}

absl::StatusOr<std::vector<v1::Namespace>> MetadataStore::ListNamespaces() {
  std::lock_guard<std::recursive_mutex> lock(db_->mu());
  ASSIGN_OR_RETURN(Statement st, db_->Prepare("SELECT record FROM namespaces ORDER BY name"));
  std::vector<v1::Namespace> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.emplace_back().ParseFromString(st.Text(0));
  }
  return out;
}

absl::Status MetadataStore::CreateNamespace(const v1::Namespace& ns) {
  std::lock_guard<std::recursive_mutex> lock(db_->mu());
  ASSIGN_OR_RETURN(Statement st, db_->Prepare("INSERT INTO namespaces(name, record) VALUES(?, ?)"));
  absl::Status s = st.Bind(1, ns.name()).BindBlob(2, ns.SerializeAsString()).Run();
  if (absl::IsAlreadyExists(s)) {
    return absl::AlreadyExistsError(absl::StrCat("namespace ", ns.name(), ": already exists"));
  }
  return s;
}

absl::Status MetadataStore::DeleteNamespace(const std::string& ns) {
  ASSIGN_OR_RETURN(auto tx, Transaction::Begin(*db_));
  for (const char* table : {"images", "containers", "content"}) {
    ASSIGN_OR_RETURN(Statement st,
                     db_->Prepare(absl::StrCat("SELECT count(*) FROM ", table, " WHERE ns = ?")));
    st.Bind(1, ns);
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (row && st.Int(0) > 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("namespace ", ns, " must be empty, but it still has ", table));
    }
  }
  ASSIGN_OR_RETURN(Statement del, db_->Prepare("DELETE FROM namespaces WHERE name = ?"));
  RETURN_IF_ERROR(del.Bind(1, ns).Run());
  if (db_->Changes() == 0)
    return absl::NotFoundError(absl::StrCat("namespace ", ns, ": not found"));
  return tx->Commit();
}

template <typename Msg>
absl::StatusOr<Msg> MetadataStore::GetRecord(const std::string& table, const std::string& what,
                                             const std::string& ns, const std::string& key) {
  std::lock_guard<std::recursive_mutex> lock(db_->mu());
  ASSIGN_OR_RETURN(Statement st, db_->Prepare(absl::StrCat("SELECT record FROM ", table,
                                                           " WHERE ns = ? AND key = ?")));
  st.Bind(1, ns).Bind(2, key);
  ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return absl::NotFoundError(absl::StrCat(what, " ", key, ": not found"));
  Msg m;
  if (!m.ParseFromString(st.Text(0))) {
    return absl::DataLossError(absl::StrCat(what, " ", key, ": record does not parse"));
  }
  return m;
}

template <typename Msg>
absl::StatusOr<std::vector<std::pair<std::string, Msg>>> MetadataStore::ListRecords(
    const std::string& table, const std::string& ns) {
  std::lock_guard<std::recursive_mutex> lock(db_->mu());
  std::string sql = absl::StrCat("SELECT ns, record FROM ", table,
                                 ns.empty() ? "" : " WHERE ns = ?", " ORDER BY ns, key");
  ASSIGN_OR_RETURN(Statement st, db_->Prepare(sql));
  if (!ns.empty()) st.Bind(1, ns);
  std::vector<std::pair<std::string, Msg>> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    auto& [rns, msg] = out.emplace_back();
    rns = st.Text(0);
    msg.ParseFromString(st.Text(1));
  }
  return out;
}

absl::Status MetadataStore::PutRecord(const std::string& table, const std::string& ns,
                                      const std::string& key, const std::string& blob,
                                      bool must_be_new, bool must_exist, const std::string& what) {
  ASSIGN_OR_RETURN(auto tx, Transaction::Begin(*db_));
  RETURN_IF_ERROR(EnsureNamespace(ns));
  std::string verb =
      must_exist ? "UPDATE " : (must_be_new ? "INSERT INTO " : "INSERT OR REPLACE INTO ");
  std::string sql = must_exist
                        ? absl::StrCat(verb, table, " SET record = ?3 WHERE ns = ?1 AND key = ?2")
                        : absl::StrCat(verb, table, "(ns, key, record) VALUES(?1, ?2, ?3)");
  ASSIGN_OR_RETURN(Statement st, db_->Prepare(sql));
  absl::Status s = st.Bind(1, ns).Bind(2, key).BindBlob(3, blob).Run();
  if (absl::IsAlreadyExists(s)) {
    return absl::AlreadyExistsError(absl::StrCat(what, " ", key, ": already exists"));
  }
  RETURN_IF_ERROR(s);
  if (must_exist && db_->Changes() == 0) {
    return absl::NotFoundError(absl::StrCat(what, " ", key, ": not found"));
  }
  return tx->Commit();
}

absl::Status MetadataStore::DeleteRecord(const std::string& table, const std::string& what,
                                         const std::string& ns, const std::string& key) {
  std::lock_guard<std::recursive_mutex> lock(db_->mu());
  ASSIGN_OR_RETURN(Statement st,
                   db_->Prepare(absl::StrCat("DELETE FROM ", table, " WHERE ns = ? AND key = ?")));
  RETURN_IF_ERROR(st.Bind(1, ns).Bind(2, key).Run());
  if (db_->Changes() == 0) return absl::NotFoundError(absl::StrCat(what, " ", key, ": not found"));
  return absl::OkStatus();
}

absl::StatusOr<v1::Image> MetadataStore::GetImage(const std::string& ns, const std::string& name) {
  return GetRecord<v1::Image>("images", "image", ns, name);
}

absl::StatusOr<std::vector<v1::Image>> MetadataStore::ListImages(const std::string& ns) {
  ASSIGN_OR_RETURN(auto records, ListRecords<v1::Image>("images", ns));
  std::vector<v1::Image> out;
  out.reserve(records.size());
  for (auto& [unused, img] : records) out.push_back(std::move(img));
  return out;
}

absl::StatusOr<v1::Image> MetadataStore::PutImage(const std::string& ns, v1::Image image) {
  std::lock_guard<std::recursive_mutex> lock(db_->mu());
  int64_t now = NowNanos();
  absl::StatusOr<v1::Image> old = GetImage(ns, image.name());
  image.set_created_at(old.ok() ? old->created_at() : now);
  image.set_updated_at(now);
  RETURN_IF_ERROR(
      PutRecord("images", ns, image.name(), image.SerializeAsString(), false, false, "image"));
  return image;
}

absl::StatusOr<v1::Image> MetadataStore::CreateImage(const std::string& ns, v1::Image image) {
  int64_t now = NowNanos();
  image.set_created_at(now);
  image.set_updated_at(now);
  RETURN_IF_ERROR(
      PutRecord("images", ns, image.name(), image.SerializeAsString(), true, false, "image"));
  return image;
}

absl::Status MetadataStore::DeleteImage(const std::string& ns, const std::string& name) {
  return DeleteRecord("images", "image", ns, name);
}

absl::StatusOr<v1::Container> MetadataStore::GetContainer(const std::string& ns,
                                                          const std::string& id) {
  return GetRecord<v1::Container>("containers", "container", ns, id);
}

absl::StatusOr<std::vector<v1::Container>> MetadataStore::ListContainers(const std::string& ns) {
  ASSIGN_OR_RETURN(auto records, ListRecords<v1::Container>("containers", ns));
  std::vector<v1::Container> out;
  out.reserve(records.size());
  for (auto& [unused, c] : records) out.push_back(std::move(c));
  return out;
}

absl::StatusOr<v1::Container> MetadataStore::CreateContainer(const std::string& ns,
                                                             v1::Container c) {
  int64_t now = NowNanos();
  c.set_created_at(now);
  c.set_updated_at(now);
  RETURN_IF_ERROR(
      PutRecord("containers", ns, c.id(), c.SerializeAsString(), true, false, "container"));
  return c;
}

absl::StatusOr<v1::Container> MetadataStore::UpdateContainer(const std::string& ns,
                                                             v1::Container c) {
  c.set_updated_at(NowNanos());
  RETURN_IF_ERROR(
      PutRecord("containers", ns, c.id(), c.SerializeAsString(), false, true, "container"));
  return c;
}

absl::Status MetadataStore::DeleteContainer(const std::string& ns, const std::string& id) {
  return DeleteRecord("containers", "container", ns, id);
}

absl::Status MetadataStore::AddContent(const std::string& ns, const std::string& digest,
                                       int64_t size) {
  std::lock_guard<std::recursive_mutex> lock(db_->mu());
  RETURN_IF_ERROR(EnsureNamespace(ns));
  ASSIGN_OR_RETURN(Statement st,
                   db_->Prepare("INSERT OR IGNORE INTO content(ns, digest, size) VALUES(?, ?, ?)"));
  return st.Bind(1, ns).Bind(2, digest).Bind(3, size).Run();
}

absl::Status MetadataStore::RemoveContent(const std::string& ns, const std::string& digest) {
  std::lock_guard<std::recursive_mutex> lock(db_->mu());
  ASSIGN_OR_RETURN(Statement st, db_->Prepare("DELETE FROM content WHERE ns = ? AND digest = ?"));
  return st.Bind(1, ns).Bind(2, digest).Run();
}

absl::StatusOr<bool> MetadataStore::HasContent(const std::string& ns, const std::string& digest) {
  std::lock_guard<std::recursive_mutex> lock(db_->mu());
  ASSIGN_OR_RETURN(Statement st, db_->Prepare("SELECT 1 FROM content WHERE ns = ? AND digest = ?"));
  return st.Bind(1, ns).Bind(2, digest).Step();
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> MetadataStore::ListContent(
    const std::string& ns) {
  std::lock_guard<std::recursive_mutex> lock(db_->mu());
  std::string sql = absl::StrCat("SELECT ns, digest FROM content",
                                 ns.empty() ? "" : " WHERE ns = ?", " ORDER BY ns, digest");
  ASSIGN_OR_RETURN(Statement st, db_->Prepare(sql));
  if (!ns.empty()) st.Bind(1, ns);
  std::vector<std::pair<std::string, std::string>> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.emplace_back(st.Text(0), st.Text(1));
  }
  return out;
}

absl::StatusOr<std::vector<std::pair<std::string, v1::Image>>> MetadataStore::AllImages() {
  return ListRecords<v1::Image>("images", "");
}

absl::StatusOr<std::vector<std::pair<std::string, v1::Container>>> MetadataStore::AllContainers() {
  return ListRecords<v1::Container>("containers", "");
}

}  // namespace berth::manager
