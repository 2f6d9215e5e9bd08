#include "tests/support/test_database.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <stdexcept>

#include "tests/support/temp_dir.hpp"

#if RELMAN_WITH_POSTGRES
#include <libpq-fe.h>
#endif

namespace relman::test {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// The same server, another database: the URL's path is the database name.
std::string with_database(const std::string& url, const std::string& db) {
  auto scheme = url.find("://");
  auto query = url.find('?');
  std::string base = url.substr(0, query);
  std::string tail = query == std::string::npos ? "" : url.substr(query);
  auto slash = base.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (slash != std::string::npos) base.resize(slash);
  return base + "/" + db + tail;
}

#if RELMAN_WITH_POSTGRES
struct PgConn {
  explicit PgConn(const std::string& url) {
    std::string password = postgres_password();
    const char* keys[] = {"dbname", "password", nullptr};
    const char* values[] = {url.c_str(), password.empty() ? nullptr : password.c_str(), nullptr};
    conn = PQconnectdbParams(keys, values, 1);
    if (PQstatus(conn) != CONNECTION_OK) {
      std::string msg = PQerrorMessage(conn);
      PQfinish(conn);
      throw std::runtime_error("cannot connect to the test PostgreSQL server: " + msg);
    }
  }
  ~PgConn() { PQfinish(conn); }
  PGconn* conn = nullptr;
};
#endif

}  // namespace

bool postgres_selected() { return env("RELMAN_TEST_DB") == "postgresql"; }

std::optional<std::string> postgres_url() {
  auto url = env("RELMAN_TEST_PG_URL");
  if (url.empty()) return std::nullopt;
  return url;
}

std::filesystem::path postgres_password_file() { return env("RELMAN_TEST_PG_PASSWORD_FILE"); }

std::string postgres_password() {
  auto file = postgres_password_file();
  if (file.empty()) return {};
  auto text = read_file(file);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

bool postgres_required() { return env("RELMAN_TEST_REQUIRE_PG") == "1"; }

std::string postgres_missing() {
#if !RELMAN_WITH_POSTGRES
  return "built without PostgreSQL (RELMAN_WITH_POSTGRES=OFF)";
#endif
  if (postgres_url()) return {};
  return "RELMAN_TEST_PG_URL is not set: no PostgreSQL server to test against (scripts/test "
         "starts one)";
}

PgTestDatabase::PgTestDatabase() {
  static std::atomic<int> counter{0};
  auto base = postgres_url();
  if (!base) throw std::runtime_error(postgres_missing());
  name_ = "relman_t" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
  pg_exec(*base, "DROP DATABASE IF EXISTS " + name_);
  pg_exec(*base, "CREATE DATABASE " + name_ + " TEMPLATE template0 ENCODING 'UTF8'");
  url_ = with_database(*base, name_);
}

PgTestDatabase::~PgTestDatabase() {
  try {
    if (auto base = postgres_url())
      pg_exec(*base, "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (...) {
    // The server is going away with the test run anyway.
  }
}

std::int64_t pg_exec(const std::string& url, const std::string& statement,
                     const std::vector<std::string>& params) {
#if !RELMAN_WITH_POSTGRES
  (void)url;
  (void)params;
  throw std::runtime_error("built without PostgreSQL (RELMAN_WITH_POSTGRES=OFF): " + statement);
#else
  PgConn c(url);
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p.c_str());
  PGresult* res = PQexecParams(c.conn, statement.c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0);
  auto status = PQresultStatus(res);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    std::string msg = PQerrorMessage(c.conn);
    PQclear(res);
    throw std::runtime_error("statement failed: " + msg + " (" + statement + ")");
  }
  const char* tuples = PQcmdTuples(res);
  std::int64_t n = tuples && *tuples ? std::atoll(tuples) : 0;
  PQclear(res);
  return n;
#endif
}

std::int64_t sqlite_exec(const std::filesystem::path& file, const std::string& statement,
                         const std::vector<std::string>& params) {
  sqlite3* h = nullptr;
  if (sqlite3_open(file.c_str(), &h) != SQLITE_OK) {
    sqlite3_close(h);
    throw std::runtime_error("cannot open " + file.string());
  }
  sqlite3_busy_timeout(h, 5000);
  sqlite3_stmt* st = nullptr;
  std::string error;
  if (sqlite3_prepare_v2(h, statement.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    error = sqlite3_errmsg(h);
  } else {
    for (std::size_t i = 0; i < params.size(); ++i) {
      sqlite3_bind_text(st, static_cast<int>(i + 1), params[i].c_str(), -1, SQLITE_TRANSIENT);
    }
    if (sqlite3_step(st) != SQLITE_DONE) error = sqlite3_errmsg(h);
  }
  std::int64_t n = sqlite3_changes(h);
  sqlite3_finalize(st);
  sqlite3_close(h);
  if (!error.empty())
    throw std::runtime_error("statement failed: " + error + " (" + statement + ")");
  return n;
}

}  // namespace relman::test
