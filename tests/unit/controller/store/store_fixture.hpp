// A SqlStore on a fresh database of the test's backend (see backend.hpp), opened in SetUp.
#pragma once

#include <memory>

#include "controller/store/sql_store.hpp"
#include "tests/unit/controller/store/backend.hpp"

namespace relman::controller {

class StoreBackendTest : public sql::BackendTest {
 protected:
  void SetUp() override {
    sql::BackendTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    auto s = open_store();
    ASSERT_TRUE(s) << s.error().describe();
    store = std::move(*s);
  }

  // Another SqlStore on the same database (as a restarted or second controller).
  Result<std::unique_ptr<SqlStore>> open_store() {
    if (on_postgres()) return SqlStore::open_postgresql(pg_target(), 4);
    return SqlStore::open_sqlite(sqlite_file());
  }

  std::unique_ptr<SqlStore> store;
};

}  // namespace relman::controller
