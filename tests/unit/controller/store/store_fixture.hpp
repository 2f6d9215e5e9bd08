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

  // The id of the host CI an agent's connection created (0, and a test failure, if none).
  std::int64_t host_ci(const std::string& agent) {
    cmdb::CiFilter f;
    f.class_name = "host";
    auto list = store->list_cis(f, Page{});
    EXPECT_TRUE(list);
    for (const auto& ci : list ? *list : std::vector<cmdb::CiRecord>{}) {
      if (ci.source_key == "agent:" + agent) return ci.id;
    }
    ADD_FAILURE() << "no host CI for " << agent;
    return 0;
  }

  std::unique_ptr<SqlStore> store;
};

}  // namespace relman::controller
