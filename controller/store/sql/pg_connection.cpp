#include "controller/store/sql/pg_connection.hpp"

#if RELMAN_WITH_POSTGRES

#include <libpq-fe.h>

#include <charconv>
#include <optional>
#include <vector>

#include "controller/store/sql/placeholders.hpp"

namespace relman::controller::sql {
namespace {

constexpr Oid kInt8Oid = 20;  // BIGINT, from PostgreSQL's catalog (pg_type.h is server-only)

// libpq's messages span lines ("...failed: Connection refused\n\tIs the server running...").
std::string one_line(std::string_view s) {
  std::string out;
  for (char c : s) {
    const bool space = c == '\n' || c == '\r' || c == '\t' || c == ' ';
    if (space) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// The URL as it may be shown: a password written into it is masked.
std::string shown_url(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  auto start = scheme + 3;
  auto at = url.find('@', start);
  auto slash = url.find('/', start);
  if (at == std::string_view::npos || (slash != std::string_view::npos && slash < at)) {
    return std::string(url);
  }
  auto colon = url.find(':', start);
  if (colon == std::string_view::npos || colon > at) return std::string(url);
  return std::string(url.substr(0, colon + 1)) + "***" + std::string(url.substr(at));
}

// SQLSTATEs as the store's stable codes (the same ones the SQLite driver uses).
Error pg_error(PGconn* conn, const PGresult* res) {
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  const char* primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  std::string message = one_line(primary ? primary : PQerrorMessage(conn));
  std::string sqlstate = state ? state : "";
  if (PQstatus(conn) != CONNECTION_OK) {
    return Error{"store.unavailable", "lost the connection to PostgreSQL: " + message, sqlstate};
  }
  if (sqlstate.starts_with("23")) {
    return Error{"store.constraint", "constraint failed: " + message, sqlstate};
  }
  if (sqlstate == "40001" || sqlstate == "40P01") {
    return Error{"store.conflict", "a concurrent transaction won: " + message, sqlstate};
  }
  if (sqlstate == "55P03" || sqlstate == "57014") return Error{"store.busy", message, sqlstate};
  return Error{"store.query_failed", message, sqlstate};
}

bool succeeded(const PGresult* res) {
  auto status = PQresultStatus(res);
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

class PgStatement final : public StatementImpl {
 public:
  PgStatement(PGconn* conn, NumberedSql sql)
      : conn_(conn),
        sql_(std::move(sql.text)),
        values_(static_cast<std::size_t>(sql.parameters)),
        types_(static_cast<std::size_t>(sql.parameters), 0) {}

  void bind_int64(int index, std::int64_t v) override {
    if (!slot(index)) return;
    values_[index - 1] = std::to_string(v);
    types_[index - 1] = kInt8Oid;
  }
  void bind_text(int index, std::string_view v) override {
    if (!slot(index)) return;
    if (v.find('\0') != std::string_view::npos) {
      set_error(Error{"store.invalid_text", "text with a NUL byte cannot be stored",
                      "parameter " + std::to_string(index)});
      return;
    }
    values_[index - 1] = std::string(v);
    types_[index - 1] = 0;  // let the server infer it from the column
  }
  void bind_null(int index) override {
    if (!slot(index)) return;
    values_[index - 1].reset();
    types_[index - 1] = 0;
  }

  Result<bool> step() override {
    if (bind_error_) return fail(*bind_error_);
    if (!res_) {
      std::vector<const char*> values;
      for (const auto& v : values_) values.push_back(v ? v->c_str() : nullptr);
      ResultPtr res(PQexecParams(conn_, sql_.c_str(), static_cast<int>(values.size()),
                                 types_.data(), values.data(), nullptr, nullptr, 0),
                    &PQclear);
      if (!res || !succeeded(res.get())) return fail(pg_error(conn_, res.get()));
      const char* tuples = PQcmdTuples(res.get());
      changes_ = tuples && *tuples ? std::atoll(tuples) : 0;
      res_ = std::move(res);
      row_ = -1;
    }
    if (row_ + 1 < PQntuples(res_.get())) {
      ++row_;
      return true;
    }
    row_ = PQntuples(res_.get());
    return false;
  }
  void reset() override {
    res_.reset();
    row_ = -1;
    changes_ = 0;
  }

  std::int64_t int64(int col) const override {
    if (!res_ || row_ < 0 || PQgetisnull(res_.get(), row_, col)) return 0;
    const char* p = PQgetvalue(res_.get(), row_, col);
    const int n = PQgetlength(res_.get(), row_, col);
    if (n == 1 && (*p == 't' || *p == 'f')) return *p == 't';
    std::int64_t v = 0;
    std::from_chars(p, p + n, v);
    return v;
  }
  std::string text(int col) const override {
    if (!res_ || row_ < 0) return {};
    return std::string(PQgetvalue(res_.get(), row_, col),
                       static_cast<std::size_t>(PQgetlength(res_.get(), row_, col)));
  }
  bool is_null(int col) const override {
    return !res_ || row_ < 0 || PQgetisnull(res_.get(), row_, col);
  }
  std::int64_t changes() const override { return changes_; }

 private:
  bool slot(int index) {
    if (index >= 1 && static_cast<std::size_t>(index) <= values_.size()) return true;
    set_error(Error{"store.query_failed", "the statement has no parameter " + std::to_string(index),
                    sql_.substr(0, 200)});
    return false;
  }
  void set_error(Error e) {
    if (!bind_error_) bind_error_ = std::move(e);
  }

  PGconn* conn_;
  std::string sql_;
  std::vector<std::optional<std::string>> values_;
  std::vector<Oid> types_;
  ResultPtr res_{nullptr, &PQclear};
  int row_ = -1;
  std::int64_t changes_ = 0;
  std::optional<Error> bind_error_;
};

class PgConnection final : public Connection {
 public:
  explicit PgConnection(PGconn* conn) : conn_(conn) {}
  ~PgConnection() override { PQfinish(conn_); }

  Dialect dialect() const override { return Dialect::postgresql; }

  Result<Statement> prepare(std::string_view sql) override {
    RELMAN_TRY(numbered, number_placeholders(sql));
    return Statement(std::make_unique<PgStatement>(conn_, std::move(numbered)));
  }

  Result<void> exec(std::string_view sql) override {
    ResultPtr res(PQexec(conn_, std::string(sql).c_str()), &PQclear);
    if (!res || !succeeded(res.get())) return fail(pg_error(conn_, res.get()));
    return ok();
  }

  Result<void> begin() override { return exec("BEGIN ISOLATION LEVEL SERIALIZABLE"); }
  Result<void> commit() override {
    // COMMIT of a transaction that failed earlier "succeeds" as a ROLLBACK: refuse it here.
    if (PQtransactionStatus(conn_) == PQTRANS_INERROR) {
      return fail("store.query_failed", "the transaction failed earlier and was rolled back");
    }
    return exec("COMMIT");
  }
  void rollback() override {
    if (PQtransactionStatus(conn_) != PQTRANS_IDLE) (void)exec("ROLLBACK");
  }
  bool usable() override {
    return PQstatus(conn_) == CONNECTION_OK && PQtransactionStatus(conn_) == PQTRANS_IDLE;
  }

 private:
  PGconn* conn_;
};

void ignore_notice(void*, const char*) {}

}  // namespace

Result<std::unique_ptr<Connection>> open_postgresql(const PgTarget& target) {
  const char* keys[] = {"dbname",           "password",        "connect_timeout",
                        "application_name", "client_encoding", nullptr};
  const char* values[] = {target.url.c_str(),
                          target.password.empty() ? nullptr : target.password.c_str(),
                          "10",
                          "relman-controller",
                          "UTF8",
                          nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (!conn) {
    return fail("store.open_failed", "cannot connect to PostgreSQL: out of memory",
                shown_url(target.url));
  }
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string reason = one_line(PQerrorMessage(conn));
    if (PQconnectionNeedsPassword(conn)) {
      reason += " (the server wants a password: set database.password_file)";
    }
    PQfinish(conn);
    return fail("store.open_failed", "cannot connect to PostgreSQL: " + reason,
                shown_url(target.url));
  }
  PQsetNoticeProcessor(conn, ignore_notice, nullptr);
  auto out = std::make_unique<PgConnection>(conn);
  if (auto r = out->exec("SET client_min_messages = warning"); !r) {
    return fail("store.open_failed", "cannot set up the PostgreSQL session: " + r.error().message,
                shown_url(target.url));
  }
  return std::unique_ptr<Connection>(std::move(out));
}

}  // namespace relman::controller::sql

#else

namespace relman::controller::sql {

Result<std::unique_ptr<Connection>> open_postgresql(const PgTarget&) {
  return fail("store.unsupported",
              "this relman-controller was built without PostgreSQL (RELMAN_WITH_POSTGRES=OFF)");
}

}  // namespace relman::controller::sql

#endif
