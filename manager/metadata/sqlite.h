// A small RAII layer over SQLite: a connection in WAL mode, prepared
// statements with positional binds, and transactions that roll back unless
// committed. Every error names the statement and SQLite's message.
//
// Thread safety: one Database may be used from several threads; calls are
// serialized by the connection's own mutex (SQLITE_OPEN_FULLMUTEX). A
// Transaction holds Database::mu() so statements of other threads do not
// interleave with it.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace berth::manager {

class Statement;

class Database {
 public:
  // Opens (creating) path in WAL mode with synchronous=NORMAL, foreign keys
  // on and a 5 s busy timeout.
  static absl::StatusOr<std::unique_ptr<Database>> Open(const std::string& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more statements without results (schema, pragmas).
  absl::Status Exec(absl::string_view sql);
  absl::StatusOr<Statement> Prepare(absl::string_view sql);
  int64_t Changes() const { return sqlite3_changes64(db_); }

  std::recursive_mutex& mu() { return mu_; }
  sqlite3* raw() { return db_; }

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_;
  std::recursive_mutex mu_;
};

// A prepared statement: Bind(1, ...) ... then Step() until it returns false,
// reading columns in between; or Run() for statements without rows.
class Statement {
 public:
  Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) {
    other.stmt_ = nullptr;
  }
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(stmt_); }

  Statement& Bind(int index, absl::string_view text);
  Statement& Bind(int index, int64_t value);
  Statement& BindBlob(int index, absl::string_view bytes);
  Statement& BindNull(int index);

  // true: a row is ready; false: done.
  absl::StatusOr<bool> Step();
  // Steps to completion (INSERT/UPDATE/DELETE).
  absl::Status Run();

  std::string Text(int column) const;
  int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }
  bool IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

 private:
  friend class Database;
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless Commit().
class Transaction {
 public:
  static absl::StatusOr<std::unique_ptr<Transaction>> Begin(Database& db);
  ~Transaction();
  absl::Status Commit();

 private:
  explicit Transaction(Database& db) : db_(db), lock_(db.mu()) {}
  Database& db_;
  std::unique_lock<std::recursive_mutex> lock_;
  bool done_ = false;
};

}  // namespace berth::manager
