#include "controller/store/sql/sqlite_connection.hpp"

#include <sqlite3.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace relman::controller::sql {
namespace {

// SQLite's result codes as the store's stable codes (the same ones the PostgreSQL driver uses).
Error sqlite_error(sqlite3* db, int rc, std::string_view what) {
  std::string message = std::string(what) + ": " + sqlite3_errmsg(db);
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      return Error{"store.constraint", "constraint failed: " + std::string(sqlite3_errmsg(db)), {}};
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error{"store.busy", message, {}};
    default:
      return Error{"store.query_failed", message, {}};
  }
}

bool only_space(std::string_view s) {
  return s.find_first_not_of(" \t\r\n;") == std::string_view::npos;
}

// Prepared statements a connection keeps for reuse, by SQL text: the store prepares the same
// few hundred statements again and again, and parsing them cost more than running them (the
// inventory's per-package probes, docs/benchmarks.md). Bounded; statements never outlive
// their connection (they are used inside one sql::read/write).
class StatementCache {
 public:
  static constexpr std::size_t kMaxStatements = 256;

  ~StatementCache() {
    for (auto& [sql, stmts] : free_) {
      for (auto* stmt : stmts) sqlite3_finalize(stmt);
    }
  }
  sqlite3_stmt* take(std::string_view sql) {
    auto it = free_.find(sql);
    if (it == free_.end() || it->second.empty()) return nullptr;
    auto* stmt = it->second.back();
    it->second.pop_back();
    --size_;
    return stmt;
  }
  void give(std::string sql, sqlite3_stmt* stmt) {
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    if (size_ >= kMaxStatements) {
      sqlite3_finalize(stmt);
      return;
    }
    free_[std::move(sql)].push_back(stmt);
    ++size_;
  }

 private:
  std::map<std::string, std::vector<sqlite3_stmt*>, std::less<>> free_;
  std::size_t size_ = 0;
};

class SqliteStatement final : public StatementImpl {
 public:
  SqliteStatement(sqlite3* db, sqlite3_stmt* stmt, StatementCache* cache, std::string sql)
      : db_(db), stmt_(stmt), cache_(cache), sql_(std::move(sql)) {}
  ~SqliteStatement() override {
    if (cache_) {
      cache_->give(std::move(sql_), stmt_);
    } else {
      sqlite3_finalize(stmt_);
    }
  }

  void bind_int64(int index, std::int64_t v) override {
    check_bind(sqlite3_bind_int64(stmt_, index, v), index);
  }
  void bind_text(int index, std::string_view v) override {
    // PostgreSQL cannot store NUL in text; refuse it here too so both backends agree.
    if (v.find('\0') != std::string_view::npos) {
      set_error(Error{"store.invalid_text", "text with a NUL byte cannot be stored",
                      "parameter " + std::to_string(index)});
      return;
    }
    check_bind(sqlite3_bind_text64(stmt_, index, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
               index);
  }
  void bind_null(int index) override { check_bind(sqlite3_bind_null(stmt_, index), index); }

  Result<bool> step() override {
    if (bind_error_) return fail(*bind_error_);
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) {
      changes_ = sqlite3_changes64(db_);
      return false;
    }
    return fail(sqlite_error(db_, rc, "statement failed"));
  }
  void reset() override {
    sqlite3_reset(stmt_);
    changes_ = 0;
  }

  std::int64_t int64(int col) const override { return sqlite3_column_int64(stmt_, col); }
  std::string text(int col) const override {
    const auto* p = sqlite3_column_text(stmt_, col);
    if (!p) return {};
    return std::string(reinterpret_cast<const char*>(p),
                       static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
  }
  bool is_null(int col) const override { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::int64_t changes() const override { return changes_; }

 private:
  void check_bind(int rc, int index) {
    if (rc != SQLITE_OK) {
      set_error(Error{"store.query_failed", std::string("bind failed: ") + sqlite3_errstr(rc),
                      "parameter " + std::to_string(index)});
    }
  }
  void set_error(Error e) {
    if (!bind_error_) bind_error_ = std::move(e);
  }

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  StatementCache* cache_;  // where the statement goes back to; nullptr: finalized
  std::string sql_;
  std::optional<Error> bind_error_;
  std::int64_t changes_ = 0;
};

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  ~SqliteConnection() override {
    cache_.reset();  // finalizes the kept statements first
    sqlite3_close(db_);
  }

  Dialect dialect() const override { return Dialect::sqlite; }

  Result<Statement> prepare(std::string_view sql) override {
    if (auto* kept = cache_->take(sql)) {
      return Statement(
          std::make_unique<SqliteStatement>(db_, kept, cache_.get(), std::string(sql)));
    }
    sqlite3_stmt* stmt = nullptr;
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, &tail);
    if (rc != SQLITE_OK) return fail(sqlite_error(db_, rc, "prepare failed"));
    // The PostgreSQL driver refuses several statements in one prepare(); so does this one.
    if (tail && !only_space(std::string_view(tail, sql.data() + sql.size() - tail))) {
      sqlite3_finalize(stmt);
      return fail("store.query_failed", "prepare takes one statement", std::string(sql));
    }
    return Statement(std::make_unique<SqliteStatement>(db_, stmt, cache_.get(), std::string(sql)));
  }

  Result<void> exec(std::string_view sql) override {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string msg = err ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      Error e = sqlite_error(db_, rc, "exec failed");
      e.message = msg;
      return fail(std::move(e));
    }
    return ok();
  }

  Result<void> begin() override { return exec("BEGIN IMMEDIATE"); }
  Result<void> commit() override { return exec("COMMIT"); }
  void rollback() override {
    if (!sqlite3_get_autocommit(db_)) (void)exec("ROLLBACK");
  }
  bool usable() override { return true; }

 private:
  sqlite3* db_;
  std::unique_ptr<StatementCache> cache_ = std::make_unique<StatementCache>();
};

}  // namespace

Result<std::unique_ptr<Connection>> open_sqlite(const std::filesystem::path& file) {
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(file.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return fail("store.open_failed", "cannot open database: " + msg, file.string());
  }
  auto out = std::make_unique<SqliteConnection>(db);
  sqlite3_busy_timeout(db, 5000);
  // A 64 MiB page cache (the default is 2 MiB) keeps the CMDB's hot index pages in memory, and
  // a checkpoint every 10,000 WAL pages (40 MiB; the default is 1,000) syncs a tenth as often
  // and copies a page rewritten many times once (docs/benchmarks.md).
  for (auto sql : {"PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON", "PRAGMA synchronous=NORMAL",
                   "PRAGMA cache_size=-65536", "PRAGMA wal_autocheckpoint=10000"}) {
    if (auto r = out->exec(sql); !r) {
      return fail("store.open_failed", "cannot open database: " + r.error().message, file.string());
    }
  }
  return std::unique_ptr<Connection>(std::move(out));
}

}  // namespace relman::controller::sql
