// A thin, safe layer over the SQLite C API: prepared statements only, RAII everywhere,
// errors as values (store.sqlite with SQLite's message).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/error.hpp"

namespace relman::controller::sqlite {

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Statement(Statement&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
  Statement(const Statement&) = delete;
  ~Statement() { sqlite3_finalize(stmt_); }

  Statement& bind(int index, std::int64_t v);
  Statement& bind(int index, const std::string& v);
  Statement& bind(int index, std::string_view v) { return bind(index, std::string(v)); }
  Statement& bind(int index, const char* v) { return bind(index, std::string(v)); }
  Statement& bind(int index, bool v) { return bind(index, static_cast<std::int64_t>(v)); }
  Statement& bind(int index, int v) { return bind(index, static_cast<std::int64_t>(v)); }
  Statement& bind_null(int index);

  // true: a row is available; false: done.
  Result<bool> step();
  // Runs to completion (for statements without rows).
  Result<void> run();

  std::int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
  std::string text(int col) const;
  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

class Database {
 public:
  // Opens (creating) the file, WAL mode, foreign keys on, busy timeout.
  static Result<Database> open(const std::filesystem::path& file);
  Database(Database&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  Database(const Database&) = delete;
  ~Database();

  Result<Statement> prepare(std::string_view sql);
  Result<void> exec(std::string_view sql);  // for fixed SQL without parameters only
  std::int64_t last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
  int changes() const { return sqlite3_changes(db_); }
  sqlite3* handle() const { return db_; }

  // Applies the numbered migrations newer than the stored schema version, each in its own
  // transaction. `migrations[i]` is version i + 1.
  Result<void> migrate(const std::vector<std::string_view>& migrations);

 private:
  explicit Database(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

// BEGIN IMMEDIATE .. COMMIT; rolls back unless commit() succeeded.
class Transaction {
 public:
  static Result<Transaction> begin(Database& db);
  Transaction(Transaction&& o) noexcept : db_(o.db_), done_(o.done_) { o.done_ = true; }
  ~Transaction();
  Result<void> commit();

 private:
  explicit Transaction(Database& db) : db_(&db) {}
  Database* db_;
  bool done_ = false;
};

}  // namespace relman::controller::sqlite
