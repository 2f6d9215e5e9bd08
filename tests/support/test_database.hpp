// Which database the tests run on. By default SQLite; with RELMAN_TEST_DB=postgresql the store
// and integration tests run on the PostgreSQL server at RELMAN_TEST_PG_URL (scripts/test starts
// a throw-away one), each test in a database of its own.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace relman::test {

// RELMAN_TEST_DB=postgresql.
bool postgres_selected();
// RELMAN_TEST_PG_URL, when set: a database on a server where we may CREATE DATABASE.
std::optional<std::string> postgres_url();
// RELMAN_TEST_PG_PASSWORD_FILE ("" when unset).
std::filesystem::path postgres_password_file();
std::string postgres_password();
// Why PostgreSQL tests cannot run, or "" when they can. scripts/test sets
// RELMAN_TEST_REQUIRE_PG=1: then a missing server fails the test instead of skipping it.
std::string postgres_missing();
bool postgres_required();

// A fresh database on the test server, dropped at scope end. Throws when it cannot be made.
class PgTestDatabase {
 public:
  PgTestDatabase();
  ~PgTestDatabase();
  PgTestDatabase(const PgTestDatabase&) = delete;
  PgTestDatabase& operator=(const PgTestDatabase&) = delete;
  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::string url_;
};

// Runs one statement (`$N` placeholders, values as text) on a PostgreSQL database; returns the
// number of rows it changed. Throws on failure.
std::int64_t pg_exec(const std::string& url, const std::string& statement,
                     const std::vector<std::string>& params = {});
// The same on a SQLite file (`?` placeholders).
std::int64_t sqlite_exec(const std::filesystem::path& file, const std::string& statement,
                         const std::vector<std::string>& params = {});

}  // namespace relman::test
