// Store tests run once per backend: `Backends/<Test>/sqlite` on a file in a temp dir and
// `Backends/<Test>/postgresql` in a fresh database on the server at RELMAN_TEST_PG_URL. Without
// that server the PostgreSQL instances skip, or fail when scripts/test runs them
// (RELMAN_TEST_REQUIRE_PG=1).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "controller/store/sql/pg_connection.hpp"
#include "controller/store/sql/sqlite_connection.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/test_database.hpp"

namespace relman::controller::sql {

class BackendTest : public ::testing::TestWithParam<Dialect> {
 protected:
  void SetUp() override {
    if (GetParam() != Dialect::postgresql) return;
    if (auto why = test::postgres_missing(); !why.empty()) {
      if (test::postgres_required()) FAIL() << why;
      GTEST_SKIP() << why;
    }
    try {
      pg_.emplace();
    } catch (const std::exception& e) {
      FAIL() << e.what();
    }
  }

  bool on_postgres() const { return pg_.has_value(); }
  PgTarget pg_target() const { return PgTarget{pg_->url(), test::postgres_password()}; }

  // A new connection to this test's database.
  Result<std::unique_ptr<Connection>> connect() {
    if (pg_) return open_postgresql(pg_target());
    return open_sqlite(tmp_ / "test.db");
  }

  std::unique_ptr<Connection> conn() {
    auto c = connect();
    EXPECT_TRUE(c) << c.error().describe();
    return c ? std::move(*c) : nullptr;
  }

  const std::filesystem::path sqlite_file() const { return tmp_ / "test.db"; }

 private:
  test::TempDir tmp_{"relman-store"};
  std::optional<test::PgTestDatabase> pg_;
};

inline std::string backend_name(const ::testing::TestParamInfo<Dialect>& info) {
  return dialect_name(info.param);
}

}  // namespace relman::controller::sql

#define RELMAN_INSTANTIATE_BACKENDS(suite)                                                    \
  INSTANTIATE_TEST_SUITE_P(Backends, suite,                                                   \
                           ::testing::Values(::relman::controller::sql::Dialect::sqlite,      \
                                             ::relman::controller::sql::Dialect::postgresql), \
                           ::relman::controller::sql::backend_name)
