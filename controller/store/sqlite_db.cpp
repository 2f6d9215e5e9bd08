#include "controller/store/sqlite_db.hpp"

namespace relman::controller::sqlite {
namespace {
std::unexpected<Error> sql_error(sqlite3* db, std::string_view what) {
  return fail("store.sqlite", std::string(what) + ": " + sqlite3_errmsg(db));
}
}  // namespace

Statement& Statement::bind(int index, std::int64_t v) {
  sqlite3_bind_int64(stmt_, index, v);
  return *this;
}

Statement& Statement::bind(int index, const std::string& v) {
  sqlite3_bind_text(stmt_, index, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Result<bool> Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  if ((rc & 0xff) == SQLITE_CONSTRAINT) {
    return fail("store.constraint", std::string("constraint failed: ") + sqlite3_errmsg(db_));
  }
  return sql_error(db_, "statement failed");
}

Result<void> Statement::run() {
  for (;;) {
    auto r = step();
    if (!r) return fail(r.error());
    if (!*r) return ok();
  }
}

std::string Statement::text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  if (!p) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
}

Result<Database> Database::open(const std::filesystem::path& file) {
  sqlite3* db = nullptr;
  int rc =
      sqlite3_open_v2(file.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return fail("store.open_failed", "cannot open database: " + msg, file.string());
  }
  Database out(db);
  sqlite3_busy_timeout(db, 5000);
  for (auto sql :
       {"PRAGMA journal_mode=WAL", "PRAGMA foreign_keys=ON", "PRAGMA synchronous=NORMAL"}) {
    if (auto r = out.exec(sql); !r) return fail(r.error());
  }
  return out;
}

Database::~Database() {
  if (db_) sqlite3_close(db_);
}

Result<Statement> Database::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    return sql_error(db_, "prepare failed");
  }
  return Statement(db_, stmt);
}

Result<void> Database::exec(std::string_view sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return fail("store.sqlite", msg);
  }
  return ok();
}

Result<void> Database::migrate(const std::vector<std::string_view>& migrations) {
  if (auto r = exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                    " version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
      !r) {
    return r;
  }
  auto q = prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  if (!q) return fail(q.error());
  if (auto r = q->step(); !r) return fail(r.error());
  std::int64_t current = q->int64(0);
  if (current > static_cast<std::int64_t>(migrations.size())) {
    return fail("store.schema_too_new", "the database was written by a newer relman (schema " +
                                            std::to_string(current) + "); upgrade this controller");
  }
  for (std::size_t i = static_cast<std::size_t>(current); i < migrations.size(); ++i) {
    auto tx = Transaction::begin(*this);
    if (!tx) return fail(tx.error());
    if (auto r = exec(migrations[i]); !r) {
      return fail("store.migration_failed",
                  "migration " + std::to_string(i + 1) + " failed: " + r.error().message);
    }
    auto ins = prepare(
        "INSERT INTO schema_migrations(version, applied_at) VALUES(?, "
        "strftime('%s','now'))");
    if (!ins) return fail(ins.error());
    if (auto r = ins->bind(1, static_cast<std::int64_t>(i + 1)).run(); !r) return r;
    if (auto r = tx->commit(); !r) return r;
  }
  return ok();
}

Result<Transaction> Transaction::begin(Database& db) {
  if (auto r = db.exec("BEGIN IMMEDIATE"); !r) return fail(r.error());
  return Transaction(db);
}

Transaction::~Transaction() {
  if (!done_) (void)db_->exec("ROLLBACK");
}

Result<void> Transaction::commit() {
  auto r = db_->exec("COMMIT");
  if (r) done_ = true;
  return r;
}

}  // namespace relman::controller::sqlite
